import type { Metadata } from "next";
import Link from "next/link";
import { Breadcrumb, POLICIES_CRUMB } from "@/components/breadcrumb";
import { PageHeader } from "@/components/page-header";
import { PolicyForm } from "@/components/policy-form";
import { PolicySettingsForm } from "@/components/policy-settings-form";
import { POLICY_TYPE_LABELS } from "@/components/policy-labels";
import { Card } from "@/components/ui/card";
import { requireUser } from "@/lib/auth/session";
import { cn } from "@/components/ui/cn";
import { isPolicyKind, POLICY_KIND_SPECS, POLICY_KINDS, settingsFields, type PolicyKind } from "@/lib/policies/kinds";

export const metadata: Metadata = { title: "New policy · Policies" };

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

const CUSTOM = "custom";

/** The template picker: each kind Palisade enforces on itself, and a custom policy of rule strings. */
function TemplatePicker({ selected }: { selected: PolicyKind | typeof CUSTOM }) {
  const choices = [
    ...POLICY_KINDS.map((kind) => ({ value: kind, label: POLICY_KIND_SPECS[kind].label, description: POLICY_KIND_SPECS[kind].description, type: POLICY_TYPE_LABELS[POLICY_KIND_SPECS[kind].type] })),
    { value: CUSTOM, label: "Custom policy", description: "A name, a type and rule strings, which agents and clients read", type: "Any type" },
  ];
  return (
    <nav aria-label="Templates" className="mb-6">
      <h2 className="mb-3 text-sm font-semibold text-slate-900">New policy from template</h2>
      <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        {choices.map((choice) => {
          const current = choice.value === selected;
          return (
            <li key={choice.value}>
              <Link
                href={`/policies/new?template=${choice.value}`}
                aria-current={current ? "page" : undefined}
                className={cn(
                  "block h-full rounded-lg border p-4 text-sm focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600",
                  current ? "border-indigo-600 bg-indigo-50 ring-1 ring-indigo-600" : "border-slate-200 bg-white hover:border-slate-400",
                )}
              >
                <span className="block font-medium text-slate-900">{choice.label}</span>
                <span className="mt-1 block text-slate-600">{choice.description}</span>
                <span className="mt-2 block text-xs uppercase tracking-wide text-slate-700">{choice.type}</span>
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

export default async function NewPolicyPage({ searchParams }: Props) {
  await requireUser({ role: "admin" });
  const { template } = await searchParams;
  const kind = isPolicyKind(template) ? template : null;
  return (
    <div>
      <PageHeader
        eyebrow={<Breadcrumb trail={[POLICIES_CRUMB]} />}
        title="New policy"
        description="Start from a template Palisade enforces on its own console and API, or write a custom policy. Creation is audited."
      />
      <TemplatePicker selected={kind ?? CUSTOM} />
      <Card className="p-5 sm:p-6">
        {kind ? (
          <PolicySettingsForm key={kind} kind={kind} fields={settingsFields(kind)} initial={{ name: POLICY_KIND_SPECS[kind].name, description: POLICY_KIND_SPECS[kind].description }} />
        ) : (
          <PolicyForm />
        )}
      </Card>
    </div>
  );
}
