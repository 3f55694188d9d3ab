import type { Metadata } from "next";
import Form from "next/form";
import Link from "next/link";
import { z } from "zod";
import { AgentLabels, AgentStatusBadge, AgentVersionBadge } from "@/components/agent-badges";
import { columns, DataTable } from "@/components/data-table";
import { DateTime } from "@/components/date-time";
import { FleetConvergence } from "@/components/fleet-convergence";
import { requestTime } from "@/components/format";
import { PageHeader } from "@/components/page-header";
import { Button, buttonClasses } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { Input } from "@/components/ui/field";
import { listAgents } from "@/db/queries/agents";
import { AGENT_STATUSES, type AgentStatus } from "@/lib/agents/status";
import { heartbeats } from "@/lib/agents/heartbeats";
import { toAgentJson } from "@/lib/agents/serialize";
import { requireUser } from "@/lib/auth/session";
import { env } from "@/lib/env";
import { formatVersion } from "@/lib/agent-policy/rules";
import { versionTargets } from "@/lib/agent-policy/version-targets";

export const metadata: Metadata = { title: "Agents" };

// Fleets run to thousands of agents: the page holds one page of them, never the whole fleet.
const PAGE_SIZE = 50;

const STATUS_LABELS: Record<AgentStatus, string> = { all: "All", online: "Online", offline: "Offline", outdated: "Outdated", stale: "Stale", revoked: "Revoked" };
const STATUSES = AGENT_STATUSES.map((value) => ({ value, label: STATUS_LABELS[value] }));

// A bad parameter falls back to its default rather than failing the page.
const querySchema = z.object({
  status: z.enum(AGENT_STATUSES).catch("all"),
  q: z.string().trim().max(200).catch(""),
  page: z.coerce.number().int().min(1).max(1_000_000).catch(1),
});
type AgentQuery = z.infer<typeof querySchema>;

function agentsHref({ status, q, page }: AgentQuery): string {
  const params = new URLSearchParams();
  if (status !== "all") params.set("status", status);
  if (q) params.set("q", q);
  if (page > 1) params.set("page", String(page));
  const query = params.toString();
  return query ? `/agents?${query}` : "/agents";
}

export default async function AgentsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { user } = await requireUser();
  const query = querySchema.parse(await searchParams);
  const offlineAfterSeconds = env().AGENT_OFFLINE_AFTER_SECONDS;
  await heartbeats().written(user.orgId);
  const targets = await versionTargets(user.orgId, { fresh: true });
  const { agents, total } = await listAgents({
    orgId: user.orgId,
    status: query.status,
    search: query.q || undefined,
    targets,
    offlineAfterSeconds,
    limit: PAGE_SIZE,
    offset: (query.page - 1) * PAGE_SIZE,
  });
  const rows = agents.map((agent) => toAgentJson(agent, targets, offlineAfterSeconds));
  // The agents a staged rollout targets are those whose version is the rollout's.
  const rolloutVersion = targets.rollout && formatVersion(targets.rollout.version);
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const filtered = query.status !== "all" || query.q !== "";
  const now = requestTime();

  return (
    <div className="space-y-6">
      <PageHeader
        title="Agents"
        description="Endpoint agents enrolled in your organization, and the policy version each one runs."
        actions={
          user.role === "admin" && (
            <Link href="/agents/enrollment-keys" className={buttonClasses("secondary")}>
              Enrollment keys
            </Link>
          )
        }
      />

      <FleetConvergence orgId={user.orgId} />

      <Card>
        <CardHeader title="All agents" description={`${total} ${total === 1 ? "agent matches" : "agents match"}${filtered ? " this filter" : ""}.`} />
        <div className="flex flex-col gap-3 border-b border-slate-200 px-5 py-4 lg:flex-row lg:items-end lg:justify-between">
          <nav aria-label="Filter agents by status">
            <ul className="flex flex-wrap gap-1.5">
              {STATUSES.map(({ value, label }) => {
                const current = query.status === value;
                return (
                  <li key={value}>
                    <Link
                      href={agentsHref({ status: value, q: query.q, page: 1 })}
                      aria-current={current ? "page" : undefined}
                      className={cn(
                        "inline-block rounded-full px-3 py-1 text-sm font-medium ring-1 ring-inset focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600",
                        current ? "bg-indigo-600 text-white ring-indigo-600" : "bg-white text-slate-700 ring-slate-300 hover:bg-slate-50",
                      )}
                    >
                      {label}
                    </Link>
                  </li>
                );
              })}
            </ul>
          </nav>
          <Form action="/agents" role="search" className="flex items-end gap-2">
            {query.status !== "all" && <input type="hidden" name="status" value={query.status} />}
            <div className="space-y-1.5">
              <label htmlFor="agent-search" className="block text-sm font-medium text-slate-800">
                Search by hostname or id
              </label>
              <Input id="agent-search" name="q" type="search" defaultValue={query.q} maxLength={200} className="w-full sm:w-64" />
            </div>
            <Button type="submit" variant="secondary">
              Search
            </Button>
          </Form>
        </div>

        {rows.length === 0 ? (
          <div className="space-y-2 px-5 py-10 text-center">
            {filtered || query.page > 1 ? (
              <>
                <p className="text-sm font-medium text-slate-900">No agents match.</p>
                <Link href="/agents" className="text-sm font-medium text-indigo-700 underline-offset-2 hover:underline">
                  Show all agents
                </Link>
              </>
            ) : (
              <>
                <p className="text-sm font-medium text-slate-900">No agents enrolled yet.</p>
                <p className="text-sm text-slate-600">
                  Create an enrollment key, then start an agent with <code className="rounded bg-slate-100 px-1 font-mono text-xs">npm run agent -- --server URL --enroll KEY</code>.
                </p>
              </>
            )}
          </div>
        ) : (
          <DataTable
            label="Agents table"
            layout="flush"
            minWidth="min-w-[56rem]"
            columns={columns("Agent", "Labels", "Status", "Policy version", "Last heartbeat", "Applied")}
          >
            {rows.map((agent) => (
              <tr key={agent.id}>
                <th scope="row" className="font-normal">
                  <Link href={`/agents/${agent.id}`} className="font-medium text-indigo-700 underline-offset-2 hover:underline">
                    {agent.hostname}
                  </Link>
                  <span className="block font-mono text-xs text-slate-600">{agent.id}</span>
                </th>
                <td>
                  <AgentLabels labels={agent.labels} />
                </td>
                <td>
                  <AgentStatusBadge agent={agent} />
                  {agent.reportedRefusal && agent.revokedAt === null && (
                    <span className="mt-1 block max-w-xs truncate text-xs text-red-800" title={agent.reportedRefusal.reason}>
                      Refused {agent.reportedRefusal.version ?? "a policy"}: {agent.reportedRefusal.reason}
                    </span>
                  )}
                </td>
                <td>
                  <AgentVersionBadge agent={agent} showTarget inRollout={agent.targetVersion !== null && agent.targetVersion === rolloutVersion} />
                </td>
                <td className="text-slate-700">
                  <DateTime value={agent.lastSeenAt} now={now} />
                </td>
                <td className="text-slate-700">
                  <DateTime value={agent.reportedVersionSince} now={now} fallback="—" />
                </td>
              </tr>
            ))}
          </DataTable>
        )}

        {pages > 1 && (
          <nav aria-label="Pagination" className="flex flex-wrap items-center justify-between gap-3 border-t border-slate-200 px-5 py-3 text-sm">
            <p className="text-slate-600">
              Page {Math.min(query.page, pages)} of {pages}
            </p>
            <div className="flex gap-2">
              {query.page > 1 && (
                <Link href={agentsHref({ ...query, page: Math.min(query.page - 1, pages) })} className={buttonClasses("secondary", "sm")} rel="prev">
                  Previous
                </Link>
              )}
              {query.page < pages && (
                <Link href={agentsHref({ ...query, page: query.page + 1 })} className={buttonClasses("secondary", "sm")} rel="next">
                  Next
                </Link>
              )}
            </div>
          </nav>
        )}
      </Card>
    </div>
  );
}
