import type { Metadata } from "next";
import Link from "next/link";
import { AuditFeed } from "@/components/audit-table";
import { CRITICAL_POLICY_REASONS } from "@/components/critical-policies";
import { EmptyState } from "@/components/empty-state";
import { FleetConvergence } from "@/components/fleet-convergence";
import { plural } from "@/components/format";
import { PageHeader } from "@/components/page-header";
import { POLICY_TYPE_LABELS, POLICY_TYPE_TONES } from "@/components/policy-labels";
import { PolicyStatus } from "@/components/policy-status";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Card, CardHeader } from "@/components/ui/card";
import { listAuditLogs } from "@/db/queries/audit-logs";
import { describeChangeRequest } from "@/lib/change-requests/describe";
import { currentChangeRequests } from "@/lib/change-requests/service";
import { listPolicies } from "@/db/queries/policies";
import { type Policy } from "@/db/schema";
import { POLICY_TYPES } from "@/lib/policies/constants";
import { requireUser } from "@/lib/auth/session";
import { DEFAULT_POLICIES, isCriticalPolicy } from "@/lib/policies/defaults";

export const metadata: Metadata = { title: "Overview" };

const RECENT_EVENTS = 8;
const linkClass = "font-medium text-indigo-700 underline-offset-2 hover:underline";

/** The critical defaults that are not protecting the organization: disabled, or deleted altogether. */
function criticalGaps(policies: Policy[]) {
  return DEFAULT_POLICIES.flatMap((critical) => {
    const current = policies.find((policy) => policy.id === critical.id);
    if (current?.enabled) return [];
    return [{ id: critical.id, name: critical.name, state: current ? ("disabled" as const) : ("deleted" as const) }];
  });
}

const PENDING_SHOWN = 5;

export default async function OverviewPage() {
  const { user } = await requireUser();
  const [policies, recent, pending] = await Promise.all([
    listPolicies({ orgId: user.orgId }),
    listAuditLogs({ orgId: user.orgId, limit: RECENT_EVENTS }),
    currentChangeRequests({ orgId: user.orgId, state: "pending", limit: PENDING_SHOWN }),
  ]);
  const gaps = criticalGaps(policies);
  const enabledCount = policies.filter((policy) => policy.enabled).length;

  return (
    <div className="space-y-8">
      <PageHeader title="Overview" description="Your organization's security policies and the latest activity." />

      {pending.length > 0 && (
        <Card>
          <CardHeader
            title={<span id="awaiting-approval">Changes awaiting approval</span>}
            description="Four-eyes approval holds these until a second admin approves or rejects them."
            actions={
              <Link href="/change-requests" className="text-sm font-medium text-indigo-700 underline-offset-2 hover:underline">
                Review
              </Link>
            }
          />
          <ul aria-labelledby="awaiting-approval" className="divide-y divide-slate-200">
            {pending.map((request) => (
              <li key={request.id} className="flex flex-wrap items-center justify-between gap-2 px-5 py-3 text-sm">
                <span className="font-medium text-slate-900">{describeChangeRequest(request)}</span>
                <span className="text-slate-600">requested by {request.requestedByEmail}</span>
              </li>
            ))}
          </ul>
        </Card>
      )}

      {gaps.length > 0 && (
        <Alert tone="error" title={gaps.length === 1 ? "A critical policy is not enforced" : `${gaps.length} critical policies are not enforced`}>
          <ul className="mt-1 space-y-1">
            {gaps.map((gap) => (
              <li key={gap.id}>
                {gap.state === "disabled" ? (
                  <Link href={`/policies/${gap.id}`} className="font-semibold underline underline-offset-2">
                    {gap.name}
                  </Link>
                ) : (
                  <span className="font-semibold">{gap.name}</span>
                )}{" "}
                is {gap.state}. {CRITICAL_POLICY_REASONS[gap.id]}
              </li>
            ))}
          </ul>
          <p className="mt-2">The Security Policies API document recommends keeping these three policies enabled in production.</p>
        </Alert>
      )}

      <section aria-labelledby="policy-counts">
        <h2 id="policy-counts" className="sr-only">
          Policy counts
        </h2>
        <dl className="grid grid-cols-2 gap-4 lg:grid-cols-4">
          <div className="rounded-lg border border-slate-200 bg-white p-4 shadow-xs">
            <dt className="text-sm text-slate-600">All policies</dt>
            <dd className="mt-1 text-2xl font-semibold text-slate-900">{policies.length}</dd>
            <dd className="text-xs text-slate-600">
              {enabledCount} enabled, {policies.length - enabledCount} disabled
            </dd>
          </div>
          {POLICY_TYPES.map((type) => {
            const ofType = policies.filter((policy) => policy.type === type);
            return (
              <div key={type} className="rounded-lg border border-slate-200 bg-white p-4 shadow-xs">
                <dt className="text-sm text-slate-600">
                  <Link href={`/policies?type=${type}`} className={linkClass}>
                    {POLICY_TYPE_LABELS[type]}
                  </Link>
                </dt>
                <dd className="mt-1 text-2xl font-semibold text-slate-900">{ofType.length}</dd>
                <dd className="text-xs text-slate-600">{ofType.filter((policy) => policy.enabled).length} enabled</dd>
              </div>
            );
          })}
        </dl>
      </section>

      <FleetConvergence orgId={user.orgId} />

      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader
            title="Security policies"
            description={plural(policies.length, "policy", "policies")}
            actions={
              <Link href="/policies" className={linkClass}>
                Manage
              </Link>
            }
          />
          {policies.length === 0 ? (
            <div className="p-5">
              <EmptyState title="No policies">All policies, the defaults included, have been deleted.</EmptyState>
            </div>
          ) : (
            <ul className="divide-y divide-slate-200">
              {policies.map((policy) => (
                <li key={policy.id} className="flex flex-wrap items-center justify-between gap-2 px-5 py-3">
                  <div className="min-w-0">
                    <Link href={`/policies/${encodeURIComponent(policy.id)}`} className="font-medium text-slate-900 underline-offset-2 hover:underline">
                      {policy.name}
                    </Link>
                    <div className="mt-0.5 flex items-center gap-1.5">
                      <Badge tone={POLICY_TYPE_TONES[policy.type]}>{POLICY_TYPE_LABELS[policy.type]}</Badge>
                      {isCriticalPolicy(policy.id) && <Badge tone="amber">Critical</Badge>}
                    </div>
                  </div>
                  <PolicyStatus enabled={policy.enabled} critical={isCriticalPolicy(policy.id)} />
                </li>
              ))}
            </ul>
          )}
        </Card>

        <section aria-labelledby="recent-events" className="space-y-3">
          <div className="flex items-center justify-between">
            <h2 id="recent-events" className="text-base font-semibold text-slate-900">
              Latest audit events
            </h2>
            <Link href="/audit" className={linkClass}>
              View the audit log
            </Link>
          </div>
          {recent.length === 0 ? (
            <EmptyState title="No activity yet" />
          ) : (
            <AuditFeed entries={recent.slice(0, RECENT_EVENTS)} />
          )}
        </section>
      </div>
    </div>
  );
}
