import type { Metadata } from "next";
import Link from "next/link";
import { AuditTable } from "@/components/audit-table";
import { ConfirmActionButton } from "@/components/confirm-action-button";
import { CRITICAL_POLICY_REASONS } from "@/components/critical-policies";
import { EmptyState } from "@/components/empty-state";
import { formatDateTime } from "@/components/format";
import { Breadcrumb, POLICIES_CRUMB } from "@/components/breadcrumb";
import { PageHeader } from "@/components/page-header";
import { POLICY_TYPE_LABELS, POLICY_TYPE_TONES } from "@/components/policy-labels";
import { PolicyStatus } from "@/components/policy-status";
import { PolicyToggle } from "@/components/policy-toggle";
import { Badge } from "@/components/ui/badge";
import { buttonClasses } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { PolicyRevisions } from "@/components/policy-revisions";
import { listAuditLogs } from "@/db/queries/audit-logs";
import { listPolicyRevisions } from "@/db/queries/policy-revisions";
import { revisionParam } from "@/lib/policies/schemas";
import { isCriticalPolicy } from "@/lib/policies/defaults";
import { POLICY_KIND_SPECS } from "@/lib/policies/kinds";
import { deletePolicyAction } from "../actions";
import { loadPolicy } from "./load";

const HISTORY_ROWS = 50;

type Props = { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> };

/** The two revisions to compare: the ones asked for, else the newest and the one before it. */
function comparison(revisions: { revision: number }[], query: Record<string, string | string[] | undefined>): { from: number; to: number } | null {
  const asked = (name: string) => {
    const parsed = revisionParam.safeParse(query[name]);
    return parsed.success ? parsed.data : undefined;
  };
  const [newest, previous] = revisions;
  if (!newest || !previous) return null;
  return { from: asked("from") ?? previous.revision, to: asked("to") ?? newest.revision };
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { policy } = await loadPolicy((await params).id);
  return { title: `${policy.name} · Policies` };
}

export default async function PolicyPage({ params, searchParams }: Props) {
  const { user, policy } = await loadPolicy((await params).id);
  const revisions = await listPolicyRevisions({ orgId: user.orgId, policyId: policy.id });
  const canEdit = user.role === "admin";
  const critical = isCriticalPolicy(policy.id);
  const resource = `policy:${policy.id}`;
  const history = await listAuditLogs({ orgId: user.orgId, resource, limit: HISTORY_ROWS });
  const href = `/policies/${encodeURIComponent(policy.id)}`;

  return (
    <div className="space-y-8">
      <PageHeader
        eyebrow={<Breadcrumb trail={[POLICIES_CRUMB]} />}
        title={policy.name}
        description={policy.description || undefined}
        actions={
          canEdit && (
            <>
              <Link href={`${href}/edit`} className={buttonClasses("secondary", "sm")}>
                Edit
              </Link>
              <ConfirmActionButton
                label="Delete"
                variant="danger"
                action={deletePolicyAction}
                payload={{ id: policy.id, confirmed: critical }}
                dialog={
                  critical
                    ? {
                        title: `Delete the critical policy ${policy.name}?`,
                        confirmLabel: "Delete this critical policy",
                        typeToConfirm: policy.id,
                        body: (
                          <>
                            <p className="font-semibold text-red-800">
                              {policy.name} is one of the three critical default policies. {CRITICAL_POLICY_REASONS[policy.id]}
                            </p>
                            <p>Deleting it removes its protection for the whole organization, and it is not recreated. Disabling it can be undone; deleting cannot.</p>
                          </>
                        ),
                      }
                    : {
                        title: `Delete ${policy.name}?`,
                        confirmLabel: "Delete policy",
                        body: <p>The policy and its rules are removed for the whole organization. Its audit history stays.</p>,
                      }
                }
              />
            </>
          )
        }
      />

      <Card>
        <CardHeader
          title="Policy"
          actions={canEdit ? <PolicyToggle id={policy.id} name={policy.name} enabled={policy.enabled} critical={critical} /> : <PolicyStatus enabled={policy.enabled} critical={critical} />}
        />
        <div className="grid gap-6 p-5 md:grid-cols-3">
          <div className="md:col-span-2">
            <h3 className="text-sm font-semibold text-slate-900">Rules</h3>
            <ol className="mt-2 list-decimal space-y-1 pl-5 text-sm text-slate-700" aria-label="Rules">
              {policy.rules.map((rule, index) => (
                <li key={index}>{rule}</li>
              ))}
            </ol>
          </div>
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
            <dt className="text-slate-600">ID</dt>
            <dd className="font-mono text-xs break-all text-slate-900">{policy.id}</dd>
            <dt className="text-slate-600">Type</dt>
            <dd className="flex flex-wrap gap-1.5">
              <Badge tone={POLICY_TYPE_TONES[policy.type]}>{POLICY_TYPE_LABELS[policy.type]}</Badge>
              {critical && <Badge tone="amber">Critical</Badge>}
            </dd>
            {policy.kind && (
              <>
                <dt className="text-slate-600">Enforced</dt>
                <dd className="text-slate-900">
                  {policy.enabled ? "By Palisade on its own console and API" : "Not while disabled"} ({POLICY_KIND_SPECS[policy.kind].label.toLowerCase()})
                </dd>
              </>
            )}
            <dt className="text-slate-600">Created</dt>
            <dd className="text-slate-900 tabular-nums">{formatDateTime(policy.createdAt)}</dd>
            <dt className="text-slate-600">Updated</dt>
            <dd className="text-slate-900 tabular-nums">{formatDateTime(policy.updatedAt)}</dd>
          </dl>
        </div>
      </Card>

      <Card>
        <CardHeader title="Revisions" description="Every state this policy has been in. Compare any two, or restore one as the newest." />
        <PolicyRevisions policyId={policy.id} revisions={revisions} compare={comparison(revisions, await searchParams)} canRestore={canEdit} />
      </Card>

      <section aria-labelledby="history" className="space-y-3">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h2 id="history" className="text-lg font-semibold text-slate-900">
            History
          </h2>
          <Link href={`/audit?resource=${encodeURIComponent(resource)}`} className="text-sm font-medium text-indigo-700 underline-offset-2 hover:underline">
            {history.length > HISTORY_ROWS ? `See all ${policy.name} entries in the audit log` : "Open in the audit log"}
          </Link>
        </div>
        {history.length === 0 ? (
          <EmptyState title="No changes recorded yet">Toggles, edits and failed attempts on this policy appear here.</EmptyState>
        ) : (
          <AuditTable entries={history.slice(0, HISTORY_ROWS)} label={`History of ${policy.name}`} />
        )}
      </section>
    </div>
  );
}
