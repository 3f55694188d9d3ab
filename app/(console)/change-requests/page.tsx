import type { Metadata } from "next";
import { ChangeRequestCard } from "@/components/change-request-card";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { isFourEyesOn } from "@/db/queries/organizations";
import { requireUser } from "@/lib/auth/session";
import { currentChangeRequests } from "@/lib/change-requests/service";

export const metadata: Metadata = { title: "Change requests" };

const RECENT = 20;

export default async function ChangeRequestsPage() {
  const { user } = await requireUser();
  const [fourEyes, requests] = await Promise.all([isFourEyesOn({ orgId: user.orgId }), currentChangeRequests({ orgId: user.orgId, limit: 100 })]);
  const pending = requests.filter((request) => request.state === "pending");
  const decided = requests.filter((request) => !pending.includes(request)).slice(0, RECENT);
  const canDecide = user.role === "admin";
  return (
    <div className="space-y-8">
      <PageHeader
        title="Change requests"
        description={
          fourEyes
            ? "Four-eyes approval is on: disabling or deleting a critical policy, publishing an agent policy version, promoting or aborting its staged rollout, and turning four-eyes off wait here for a second admin."
            : "Four-eyes approval is off: changes apply at once. An admin can turn it on under Organization."
        }
      />
      <section aria-labelledby="awaiting" className="space-y-3">
        <h2 id="awaiting" className="text-lg font-semibold text-slate-900">
          Awaiting approval
        </h2>
        {pending.length === 0 ? (
          <EmptyState title="Nothing awaits approval">Requests appear here until a second admin approves or rejects them, or 72 hours pass.</EmptyState>
        ) : (
          pending.map((request) => <ChangeRequestCard key={request.id} request={request} viewerId={user.id} canDecide={canDecide} />)
        )}
      </section>
      {decided.length > 0 && (
        <section aria-labelledby="decided" className="space-y-3">
          <h2 id="decided" className="text-lg font-semibold text-slate-900">
            Recently decided
          </h2>
          {decided.map((request) => (
            <ChangeRequestCard key={request.id} request={request} viewerId={user.id} canDecide={false} />
          ))}
        </section>
      )}
    </div>
  );
}
