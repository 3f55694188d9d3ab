import Link from "next/link";
import type { AgentPolicyVersion, ChangeRequest } from "@/db/schema";
import { formatVersion } from "@/lib/agent-policy/rules";
import { describeChangeRequest } from "@/lib/change-requests/describe";
import { DateTime } from "./date-time";
import { plural } from "./format";
import { PolicyRolloutButtons } from "./policy-rollout-buttons";
import { Alert } from "./ui/alert";
import { Badge } from "./ui/badge";
import { buttonClasses } from "./ui/button";
import { Card, CardHeader } from "./ui/card";

/** The rollout's agents as `rolloutStageCounts` counts them. */
export interface RolloutCounts {
  targeted: number;
  applied: number;
  outdated: number;
  offline: number;
}

function Figure({ label, value, tone = "text-slate-900" }: { label: string; value: number; tone?: string }) {
  return (
    <div className="rounded-md bg-white px-3 py-2 ring-1 ring-slate-200">
      <dt className="text-xs font-medium text-slate-600">{label}</dt>
      <dd className={`text-lg font-semibold tabular-nums ${tone}`}>{value}</dd>
    </div>
  );
}

function StageLabel({ children }: { children: string }) {
  return <p className="text-xs font-semibold uppercase tracking-wide text-slate-500">{children}</p>;
}

/**
 * The staged rollout in progress, as its two stages: the agents its selector matches, which apply the new version
 * now, and the rest of the fleet, which keeps the active version until an admin promotes or aborts the rollout.
 */
export function PolicyRolloutCard({
  rollout,
  active,
  counts,
  canDecide,
  awaiting,
}: {
  rollout: AgentPolicyVersion;
  active: AgentPolicyVersion | null;
  counts: RolloutCounts;
  /** Admins get Promote and Abort. */
  canDecide: boolean;
  /** Change requests (four-eyes) to promote or abort this rollout, awaiting a second admin. */
  awaiting: ChangeRequest[];
}) {
  const label = formatVersion(rollout.version);
  const fleet = active && formatVersion(active.version);
  const selector = rollout.selector ?? "";
  const percent = counts.targeted === 0 ? 0 : Math.round((counts.applied / counts.targeted) * 100);

  return (
    <div role="region" aria-labelledby="rollout-title">
      <Card className="border-indigo-300 ring-2 ring-indigo-100">
        <CardHeader
          title={
            <span id="rollout-title" className="flex flex-wrap items-center gap-2">
              Rollout in progress
              <Badge tone="indigo">{label}</Badge>
            </span>
          }
          description={
            <>
              <Link href={`/agent-policy/versions/${label}`} className="font-medium text-indigo-700 underline-offset-2 hover:underline">
                {rollout.name}
              </Link>
              , published <DateTime value={rollout.createdAt} />
              {rollout.createdBy && ` by ${rollout.createdBy}`}
            </>
          }
        />
        <div className="space-y-4 px-5 py-4">
          <ol aria-label="Rollout stages" className="grid gap-4 lg:grid-cols-2">
            <li className="space-y-3 rounded-md border border-indigo-200 bg-indigo-50/50 p-4" aria-labelledby="rollout-canary">
              <div className="space-y-1">
                <StageLabel>Stage 1 · now</StageLabel>
                <h3 id="rollout-canary" className="text-sm font-semibold text-slate-900">
                  Agents matching <code className="rounded bg-white px-1 font-mono text-xs ring-1 ring-indigo-200">{selector}</code>
                </h3>
                <p className="text-sm text-slate-700">They apply {label} now.</p>
              </div>
              <dl className="grid grid-cols-2 gap-2 sm:grid-cols-4">
                <Figure label="Targeted" value={counts.targeted} />
                <Figure label="Applied" value={counts.applied} tone="text-emerald-700" />
                <Figure label="Outdated" value={counts.outdated} tone={counts.outdated > 0 ? "text-amber-700" : undefined} />
                <Figure label="Offline" value={counts.offline} />
              </dl>
              <div className="space-y-1.5">
                <p id="rollout-progress" className="text-sm text-slate-800">
                  {counts.applied} of {plural(counts.targeted, "targeted agent")} applied {label}
                </p>
                {/* A <progress> element rather than a styled width: the Content-Security-Policy allows no inline styles. */}
                <progress
                  aria-labelledby="rollout-progress"
                  value={percent}
                  max={100}
                  className="block h-2 w-full appearance-none overflow-hidden rounded-full bg-slate-200 [&::-moz-progress-bar]:bg-indigo-500 [&::-webkit-progress-bar]:bg-slate-200 [&::-webkit-progress-value]:rounded-full [&::-webkit-progress-value]:bg-indigo-500"
                />
              </div>
            </li>
            <li className="space-y-1 rounded-md border border-slate-200 p-4" aria-labelledby="rollout-fleet">
              <StageLabel>Stage 2 · when promoted</StageLabel>
              <h3 id="rollout-fleet" className="text-sm font-semibold text-slate-900">
                The rest of the fleet
              </h3>
              <p className="text-sm text-slate-700">
                {fleet ? `The rest of the fleet keeps ${fleet} until ${label} is promoted.` : `The rest of the fleet has no version until ${label} is promoted.`}
              </p>
            </li>
          </ol>

          {awaiting.map((request) => (
            <Alert key={request.id} tone="info" title="Awaiting a second admin">
              <p>
                {describeChangeRequest(request)}, requested by {request.requestedByEmail}.{" "}
                <Link href="/change-requests" className="font-medium underline underline-offset-2">
                  Change requests
                </Link>
              </p>
            </Alert>
          ))}

          <div className="flex flex-wrap items-start justify-between gap-3 border-t border-slate-200 pt-4">
            {canDecide ? <PolicyRolloutButtons version={rollout.version} selector={selector} activeVersion={active?.version ?? null} /> : <span />}
            {fleet && (
              <Link href={`/agent-policy/diff?from=${fleet}&to=${label}`} className={buttonClasses("ghost", "sm")}>
                Compare {label} with {fleet}
              </Link>
            )}
          </div>
          <p className="text-xs text-slate-600">No other version can be published until this rollout is promoted or aborted.</p>
        </div>
      </Card>
    </div>
  );
}
