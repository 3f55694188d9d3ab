import type { Metadata } from "next";
import Link from "next/link";
import { ConvergenceHistory } from "@/components/convergence-history";
import { columns, DataTable } from "@/components/data-table";
import { DateTime } from "@/components/date-time";
import { PageHeader } from "@/components/page-header";
import { PolicyRolloutCard } from "@/components/policy-rollout-card";
import { RefreshOnFleetChange } from "@/components/refresh-on-fleet-change";
import { PolicyVersionCard } from "@/components/policy-version-card";
import { PolicyVersionCompareForm } from "@/components/policy-version-compare-form";
import { PolicyVersionRepublishButton } from "@/components/policy-version-republish-button";
import { PolicyVersionStageBadge } from "@/components/policy-version-stage";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { buttonClasses } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { getActivePolicyVersion, getRolloutVersion, listPolicyVersions } from "@/db/queries/agent-policies";
import { rolloutStageCounts } from "@/db/queries/convergence";
import type { AgentPolicyVersion } from "@/db/schema";
import { formatVersion, parseVersion } from "@/lib/agent-policy/rules";
import { heartbeats } from "@/lib/agents/heartbeats";
import { requireUser } from "@/lib/auth/session";
import { currentChangeRequests } from "@/lib/change-requests/service";
import { env } from "@/lib/env";

export const metadata: Metadata = { title: "Agent policy" };

// The history shows the newest versions; older ones stay reachable by URL (/agent-policy/versions/v3).
const HISTORY_LIMIT = 100;

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/**
 * The notice after a publish from the editor, which lands here with ?published=v3&pushed=2. A staged version's
 * selector comes from the version itself, never from the address.
 */
function publishedNotice(params: Awaited<SearchParams>, versions: AgentPolicyVersion[]): string | null {
  const version = typeof params.published === "string" ? parseVersion(params.published) : null;
  if (version === null) return null;
  const pushed = Number(params.pushed);
  const known = Number.isInteger(pushed) && pushed >= 0;
  const agents = `${pushed} connected agent${pushed === 1 ? "" : "s"}`;
  const selector = versions.find((candidate) => candidate.version === version)?.selector ?? null;
  if (selector !== null) return `Published ${formatVersion(version)}, rolling out to ${selector} first${known ? `: pushed it to the ${agents} it matches` : ""}.`;
  return `Published ${formatVersion(version)}${known ? ` and pushed it to ${agents}` : ""}.`;
}

export default async function AgentPolicyPage({ searchParams }: { searchParams: SearchParams }) {
  const { user } = await requireUser();
  const isAdmin = user.role === "admin";
  // The rollout's figures count what its agents just reported, not a heartbeat flush later.
  await heartbeats().written(user.orgId);
  const [versions, active, rollout] = await Promise.all([
    listPolicyVersions({ orgId: user.orgId, limit: HISTORY_LIMIT }),
    getActivePolicyVersion({ orgId: user.orgId }),
    getRolloutVersion({ orgId: user.orgId }),
  ]);
  const [counts, awaiting] = rollout?.selector
    ? await Promise.all([
        rolloutStageCounts({ orgId: user.orgId, version: rollout.version, selector: rollout.selector, offlineAfterSeconds: env().AGENT_OFFLINE_AFTER_SECONDS }),
        currentChangeRequests({ orgId: user.orgId, state: "pending" }),
      ])
    : [null, []];
  const rolloutTarget = rollout && `agent-policy:${formatVersion(rollout.version)}`;
  const notice = publishedNotice(await searchParams, versions);
  const publishLink = (text: string) => (
    <Link href="/agent-policy/publish" className={buttonClasses("primary")}>
      {text}
    </Link>
  );

  return (
    <div className="space-y-6">
      <PageHeader
        title="Agent policy"
        description="The versioned rule set every enrolled agent enforces. The active version applies to the whole fleet; a staged rollout applies a new one to some agents first."
        // One rollout at a time: publishing waits until it is promoted or aborted, as its card says.
        actions={isAdmin && active && !rollout && publishLink("Publish a new version")}
      />
      {notice && <Alert tone="success">{notice}</Alert>}

      {/* The rollout's figures follow its agents live. */}
      {rollout && <RefreshOnFleetChange />}
      {rollout && counts && (
        <PolicyRolloutCard
          rollout={rollout}
          active={active}
          counts={counts}
          canDecide={isAdmin}
          awaiting={awaiting.filter((request) => request.target === rolloutTarget && (request.action === "promote_agent_policy" || request.action === "abort_agent_policy"))}
        />
      )}

      {active ? (
        <PolicyVersionCard version={active} active title="Active version" />
      ) : (
        <Card>
          <CardHeader title="Active version" />
          <div className="space-y-3 px-5 py-8 text-center">
            {rollout ? (
              <>
                <p className="text-sm font-medium text-slate-900">No version applies to the whole fleet yet</p>
                <p className="text-sm text-slate-600">Agents outside the rollout wait until {formatVersion(rollout.version)} is promoted.</p>
              </>
            ) : (
              <>
                <p className="text-sm font-medium text-slate-900">No version published yet</p>
                <p className="text-sm text-slate-600">Agents enrol and wait until the first version is published; they receive it at once.</p>
                {isAdmin ? publishLink("Publish the first version") : <p className="text-sm text-slate-600">An admin can publish it.</p>}
              </>
            )}
          </div>
        </Card>
      )}

      {versions.length > 0 && <ConvergenceHistory orgId={user.orgId} />}
      {versions.length > 0 && <VersionHistory versions={versions} active={active} rollout={rollout} isAdmin={isAdmin} />}
    </div>
  );
}

function VersionHistory({ versions, active, rollout, isAdmin }: { versions: AgentPolicyVersion[]; active: AgentPolicyVersion | null; rollout: AgentPolicyVersion | null; isAdmin: boolean }) {
  const highest = versions[0]!.version;
  // Compared by default: what agents are being moved to (the rollout's version, else the active one) and the version before it.
  const to = rollout ?? active ?? versions[0]!;
  const from = versions.find((version) => version.version < to.version);
  return (
    <Card>
      <CardHeader
        title="Version history"
        description={`Newest first${versions.length === HISTORY_LIMIT ? `, the latest ${HISTORY_LIMIT}` : ""}. Compare any two versions, or republish an old one to roll back${rollout ? " once the rollout in progress is promoted or aborted" : ""}.`}
      />
      {from && (
        <div className="border-b border-slate-200 px-5 py-4">
          <PolicyVersionCompareForm versions={versions} from={from.version} to={to.version} />
        </div>
      )}
      <DataTable label="Version history table" layout="flush" minWidth="min-w-[40rem]" columns={columns("Version", "Name", "Rules", "Published", "Actions")}>
        {versions.map((version) => {
          const label = formatVersion(version.version);
          const isActive = version.version === active?.version;
          return (
            <tr key={version.id}>
              <th scope="row" className="font-medium">
                <span className="flex flex-wrap items-center gap-2">
                  <Link href={`/agent-policy/versions/${label}`} className="text-indigo-700 underline-offset-2 hover:underline">
                    {label}
                  </Link>
                  {isActive && <Badge tone="green">Active</Badge>}
                  <PolicyVersionStageBadge version={version} />
                </span>
              </th>
              <td className="text-slate-900">
                {version.name}
                {version.republishedFrom !== null && <span className="block text-xs text-slate-500">Republished from {formatVersion(version.republishedFrom)}</span>}
              </td>
              <td className="text-slate-700">{version.rules.length}</td>
              <td className="text-slate-700">
                <DateTime value={version.createdAt} />
                {version.createdBy && <span className="block text-xs text-slate-500">{version.createdBy}</span>}
              </td>
              <td>
                {active && !isActive && (
                  <div className="flex flex-wrap items-start justify-end gap-2">
                    <Link href={`/agent-policy/diff?from=${label}&to=${formatVersion(active.version)}`} className={buttonClasses("ghost", "sm")}>
                      <span>
                        Compare<span className="sr-only"> {label}</span> with active
                      </span>
                    </Link>
                    {isAdmin && !rollout && <PolicyVersionRepublishButton version={version.version} highestVersion={highest} />}
                  </div>
                )}
              </td>
            </tr>
          );
        })}
      </DataTable>
    </Card>
  );
}
