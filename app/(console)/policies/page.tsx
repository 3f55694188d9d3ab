import type { Metadata } from "next";
import Link from "next/link";
import { z } from "zod";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { PolicyCard } from "@/components/policy-card";
import { POLICY_TYPE_EXAMPLES, POLICY_TYPE_LABELS } from "@/components/policy-labels";
import { buttonClasses } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { DeletedPolicies } from "@/components/deleted-policies";
import { listPolicies } from "@/db/queries/policies";
import { listDeletedPolicies } from "@/db/queries/policy-revisions";
import { POLICY_TYPES, type PolicyType } from "@/lib/policies/constants";
import { requireUser } from "@/lib/auth/session";

export const metadata: Metadata = { title: "Security policies" };

// An unknown ?type= shows every policy rather than an error: it can only come from a hand-edited URL.
const typeFilter = z.enum([...POLICY_TYPES, "deleted"]).optional().catch(undefined);

export default async function PoliciesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { user } = await requireUser();
  const type = typeFilter.parse((await searchParams).type);
  const policies = await listPolicies({ orgId: user.orgId });
  const deleted = await listDeletedPolicies({ orgId: user.orgId });
  const canEdit = user.role === "admin";
  const groups: PolicyType[] = type === "deleted" ? [] : type ? [type] : [...POLICY_TYPES];
  const tabs = [
    { type: undefined, label: "All", count: policies.length },
    ...POLICY_TYPES.map((each) => ({ type: each, label: POLICY_TYPE_LABELS[each], count: policies.filter((policy) => policy.type === each).length })),
    { type: "deleted" as const, label: "Deleted", count: deleted.length },
  ];

  return (
    <div>
      <PageHeader
        title="Security policies"
        description={canEdit ? "Turn policies on and off, and create your own. Every change is audited." : "You have read-only access: an admin can change policies."}
        actions={
          canEdit && (
            <Link href="/policies/new" className={buttonClasses("primary")}>
              New policy
            </Link>
          )
        }
      />
      <nav aria-label="Filter by type" className="mb-6 overflow-x-auto">
        <ul className="flex gap-1 border-b border-slate-200">
          {tabs.map((tab) => {
            const current = tab.type === type;
            return (
              <li key={tab.label}>
                <Link
                  href={tab.type ? `/policies?type=${tab.type}` : "/policies"}
                  aria-current={current ? "page" : undefined}
                  className={cn(
                    "-mb-px inline-flex items-center gap-1.5 border-b-2 px-3 py-2 text-sm font-medium whitespace-nowrap focus-visible:outline-2 focus-visible:outline-indigo-600",
                    current ? "border-indigo-600 text-indigo-700" : "border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900",
                  )}
                >
                  {tab.label}
                  <span className="rounded-full bg-slate-100 px-1.5 text-xs text-slate-700">{tab.count}</span>
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>

      {type === "deleted" && <DeletedPolicies deleted={deleted} canRestore={canEdit} />}
      <div className="space-y-10">
        {groups.map((group) => {
          const ofType = policies.filter((policy) => policy.type === group);
          return (
            <section key={group} aria-labelledby={`group-${group}`}>
              <h2 id={`group-${group}`} className="mb-3 text-lg font-semibold text-slate-900">
                {POLICY_TYPE_LABELS[group]} policies
              </h2>
              {ofType.length === 0 ? (
                <EmptyState
                  title={`No ${group} policies`}
                  action={
                    canEdit && (
                      <Link href="/policies/new" className={buttonClasses("secondary", "sm")}>
                        Create one
                      </Link>
                    )
                  }
                >
                  {POLICY_TYPE_EXAMPLES[group]}
                </EmptyState>
              ) : (
                <div className="grid gap-4 lg:grid-cols-2">
                  {ofType.map((policy) => (
                    <PolicyCard key={policy.id} policy={policy} canEdit={canEdit} />
                  ))}
                </div>
              )}
            </section>
          );
        })}
      </div>
    </div>
  );
}

