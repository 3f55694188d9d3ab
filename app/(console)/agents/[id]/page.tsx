import type { Metadata } from "next";
import { AgentLabelsForm } from "@/components/agent-labels-form";
import { notFound } from "next/navigation";
import { AgentLabels, AgentRefusal, AgentStatusBadge, AgentVersionBadge } from "@/components/agent-badges";
import { AgentOverridesEditor } from "@/components/agent-overrides-editor";
import { AgentRuleList } from "@/components/agent-rule-summary";
import { RULE_TYPE_LABELS } from "@/components/agent-rule-types";
import { AGENTS_CRUMB, Breadcrumb } from "@/components/breadcrumb";
import { ConfirmActionButton } from "@/components/confirm-action-button";
import { DateTime } from "@/components/date-time";
import { requestTime } from "@/components/format";
import { PageHeader } from "@/components/page-header";
import { Card, CardHeader } from "@/components/ui/card";
import { firstReportedAt, getAgent } from "@/db/queries/agents";
import type { AgentRuleOverride } from "@/lib/agent-policy/types";
import { effectiveRules, formatVersion } from "@/lib/agent-policy/rules";
import { heartbeats } from "@/lib/agents/heartbeats";
import { toAgentJson } from "@/lib/agents/serialize";
import { requireUser } from "@/lib/auth/session";
import { env } from "@/lib/env";
import { versionForAgent } from "@/lib/agent-policy/lookup";
import { revokeAgentAction } from "./actions";

type Params = Promise<{ id: string }>;

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  return { title: `Agent ${(await params).id}` };
}

export default async function AgentPage({ params }: { params: Params }) {
  const { user } = await requireUser();
  const id = (await params).id;
  await heartbeats().written(user.orgId);
  const agent = await getAgent({ orgId: user.orgId, id });
  if (!agent) notFound();
  const { version: active, rollout, targets } = await versionForAgent(agent);
  const appliedAt = active ? await firstReportedAt({ agentId: agent.id, version: active.version }) : null;
  const view = toAgentJson(agent, targets, env().AGENT_OFFLINE_AFTER_SECONDS);
  const inRollout = active !== null && active.id === rollout?.id;
  const canEdit = user.role === "admin" && agent.revokedAt === null;
  const now = requestTime();

  const details: [string, React.ReactNode][] = [
    ["Agent id", <code key="id" className="font-mono">{agent.id}</code>],
    ["Status", <AgentStatusBadge key="status" agent={view} />],
    ["Labels", <AgentLabels key="labels" labels={agent.labels} />],
    ["Reported version", <AgentVersionBadge key="version" agent={view} />],
    ["Version that applies", active ? `${formatVersion(active.version)}${inRollout ? ` (rolling out to ${rollout.selector})` : ""}` : "none published"],
    ["Applied it", <DateTime key="applied" value={appliedAt} fallback="not yet" />],
    ["Last refused policy", <AgentRefusal key="refusal" refusal={view.reportedRefusal} />],
    ["Last heartbeat", <DateTime key="seen" value={agent.lastSeenAt} now={now} />],
    ["Agent software", agent.agentVersion ?? "unknown"],
    ["Enrolled", <DateTime key="enrolled" value={agent.createdAt} />],
  ];
  if (agent.revokedAt) details.push(["Revoked", <DateTime key="revoked" value={agent.revokedAt} />]);

  return (
    <div className="space-y-6">
      <PageHeader eyebrow={<Breadcrumb trail={[AGENTS_CRUMB]} />} title={agent.hostname} />

      <Card>
        <CardHeader title="Details" />
        <dl className="grid gap-x-6 gap-y-3 px-5 py-4 text-sm sm:grid-cols-[auto_1fr]">
          {details.map(([term, value]) => (
            <div key={term} className="contents">
              <dt className="font-medium text-slate-600">{term}</dt>
              <dd className="text-slate-900">{value}</dd>
            </div>
          ))}
        </dl>
      </Card>

      <Card>
        <CardHeader
          title="Effective rules"
          description={
            active
              ? `${inRollout ? "The rollout's version" : "The active version"}, ${formatVersion(active.version)}, with this agent's overrides applied.`
              : "No version is published yet."
          }
        />
        <div className="px-5 py-2">
          {active ? (
            <AgentRuleList rules={effectiveRules(active.rules, agent.overrides)} label="Effective rules" overridden={new Set(agent.overrides.map((override) => override.type))} />
          ) : (
            <p className="py-3 text-sm text-slate-600">This agent enforces nothing until the first version is published.</p>
          )}
        </div>
      </Card>

      <Card>
        <CardHeader title="Overrides" description="Per rule type, replace the enabled flag or config fields of the active rules on this agent only." />
        <div className="px-5 py-4">
          {canEdit ? (
            <AgentOverridesEditor agentId={agent.id} saved={agent.overrides} activeRules={active?.rules ?? []} />
          ) : (
            <OverridesSummary overrides={agent.overrides} />
          )}
        </div>
      </Card>

      {canEdit && (
        <Card>
          <CardHeader title="Labels" description="The labels this agent enrolled with, as an admin sets them. Changes are audited." />
          <div className="px-5 py-4">
            <AgentLabelsForm agentId={agent.id} labels={agent.labels} />
          </div>
        </Card>
      )}

      {canEdit && (
        <Card>
          <CardHeader title="Revoke this agent" description="Its token stops working at once and its open stream closes. The host must enrol again with a new key." />
          <div className="px-5 py-4">
            <ConfirmActionButton
              label="Revoke agent"
              action={revokeAgentAction}
              payload={{ id: agent.id }}
              dialog={{
                title: `Revoke ${agent.hostname}?`,
                confirmLabel: "Revoke agent",
                body: <p>{agent.id} loses access at once: its token is refused and its policy stream is closed. This cannot be undone.</p>,
              }}
            />
          </div>
        </Card>
      )}
    </div>
  );
}

function OverridesSummary({ overrides }: { overrides: AgentRuleOverride[] }) {
  if (overrides.length === 0) return <p className="text-sm text-slate-600">No overrides: this agent runs the active version as published.</p>;
  return (
    <ul className="space-y-2 text-sm" aria-label="Overrides">
      {overrides.map((override) => (
        <li key={override.type}>
          <span className="font-medium text-slate-900">{RULE_TYPE_LABELS[override.type]}</span>
          {override.enabled !== undefined && <span className="text-slate-700">: {override.enabled ? "enabled" : "disabled"}</span>}
          {override.config && <code className="ml-2 break-all font-mono text-xs text-slate-700">{JSON.stringify(override.config)}</code>}
        </li>
      ))}
    </ul>
  );
}
