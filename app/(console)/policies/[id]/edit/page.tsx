import type { Metadata } from "next";
import { Breadcrumb, POLICIES_CRUMB } from "@/components/breadcrumb";
import { PageHeader } from "@/components/page-header";
import { PolicyForm } from "@/components/policy-form";
import { PolicySettingsForm } from "@/components/policy-settings-form";
import { settingsFields } from "@/lib/policies/kinds";
import { Card } from "@/components/ui/card";
import { loadPolicy } from "../load";

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { policy } = await loadPolicy((await params).id, "admin");
  return { title: `Edit ${policy.name} · Policies` };
}

export default async function EditPolicyPage({ params }: Props) {
  const { policy } = await loadPolicy((await params).id, "admin");
  return (
    <div>
      <PageHeader
        eyebrow={<Breadcrumb trail={[POLICIES_CRUMB, { href: `/policies/${encodeURIComponent(policy.id)}`, label: policy.name }]} />}
        title={`Edit ${policy.name}`}
        description="Changes apply at once and are audited with the before and after values."
      />
      <Card className="p-5 sm:p-6">
        {policy.kind && policy.settings ? (
          <PolicySettingsForm kind={policy.kind} fields={settingsFields(policy.kind)} initial={{ id: policy.id, name: policy.name, description: policy.description, settings: policy.settings }} />
        ) : (
          <PolicyForm initial={{ id: policy.id, name: policy.name, description: policy.description, type: policy.type, rules: policy.rules }} />
        )}
      </Card>
    </div>
  );
}
