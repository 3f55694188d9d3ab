"use client";

import { useEffect, useId, useState } from "react";
import type { toConvergenceJson } from "@/lib/agent-policy/serialize";
import { DataTable } from "./data-table";
import { DateTime } from "./date-time";
import { formatDuration } from "./format";
import { Badge } from "./ui/badge";
import { Card, CardHeader } from "./ui/card";

export type ConvergenceJson = ReturnType<typeof toConvergenceJson>;

type StreamState = "connecting" | "live" | "reconnecting";

const STREAM_BADGE: Record<StreamState, { text: string; tone: "green" | "amber" | "neutral" }> = {
  connecting: { text: "Connecting…", tone: "neutral" },
  live: { text: "Live", tone: "green" },
  reconnecting: { text: "Reconnecting…", tone: "amber" },
};

const MAX_BACKOFF_MS = 30_000;

/**
 * Follows GET /api/events: every `convergence` event replaces the figures. EventSource reconnects by itself
 * after a dropped connection; it gives up only on an HTTP error (a restarting instance behind a proxy), and
 * then a new one is opened with backoff.
 */
function useConvergence(initial: ConvergenceJson): { data: ConvergenceJson; stream: StreamState } {
  const [data, setData] = useState(initial);
  const [stream, setStream] = useState<StreamState>("connecting");
  useEffect(() => {
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    const connect = () => {
      const current = new EventSource("/api/events");
      source = current;
      current.addEventListener("open", () => {
        failures = 0;
        setStream("live");
      });
      current.addEventListener("convergence", (event) => setData(JSON.parse((event as MessageEvent<string>).data) as ConvergenceJson));
      current.addEventListener("error", () => {
        setStream("reconnecting");
        if (current.readyState !== EventSource.CLOSED) return;
        retry = setTimeout(connect, Math.min(MAX_BACKOFF_MS, 1000 * 2 ** failures++));
      });
    };
    connect();
    return () => {
      clearTimeout(retry);
      source?.close();
    };
  }, []);
  return { data, stream };
}

function Stat({ label, value, tone }: { label: string; value: number; tone?: string }) {
  return (
    <div className="rounded-md bg-slate-50 px-3 py-2">
      <dt className="text-xs font-medium text-slate-600">{label}</dt>
      <dd className={tone ?? "text-lg font-semibold text-slate-900"}>{value}</dd>
    </div>
  );
}

type VersionJson = ConvergenceJson["versions"][number];

/** Where a version's agents stand: a rollout's version counts only the agents its selector matches. */
function convergenceText(version: VersionJson, isLatest: boolean): string {
  if (version.stage === "aborted") return "rollout aborted";
  const within = version.stage === "canary" ? ` on ${version.selector}` : "";
  if (version.convergenceSeconds !== null) return `converged${within} in ${formatDuration(version.convergenceSeconds)}`;
  if (version.stage === "canary") return `rolling out to ${version.selector}`;
  return isLatest ? "converging" : "superseded before converging";
}

/** Per version: how many agents applied it, how many lag behind, and how long the fleet took to converge. Live. */
export function FleetConvergenceLive({ initial }: { initial: ConvergenceJson }) {
  const { data, stream } = useConvergence(initial);
  const titleId = useId();
  const { agents, versions, latestVersion } = data;
  // A staged rollout in progress: its agents are up to date on its version, the others on the active one.
  const rollout = versions.find((version) => version.stage === "canary");
  const badge = STREAM_BADGE[stream];
  const percent = agents.online === 0 ? 0 : Math.round((agents.upToDate / agents.online) * 100);

  return (
    <div role="region" aria-labelledby={titleId}>
      <Card>
        <CardHeader
          title={<span id={titleId}>Fleet convergence</span>}
          description={
            rollout
              ? "Online agents against the version that applies to each: the rollout's for the agents it targets, the active one for the rest. Updated as agents report."
              : "Online agents against the active version, updated as agents report."
          }
          actions={
            <span role="status" aria-label={`Live updates: ${badge.text}`}>
              <Badge tone={badge.tone}>{badge.text}</Badge>
            </span>
          }
        />
        <div className="space-y-4 px-5 py-4">
          <dl className="grid grid-cols-2 gap-3 sm:grid-cols-5">
            <Stat label="Agents" value={agents.total} />
            <Stat label="Online" value={agents.online} />
            <Stat label="Offline" value={agents.offline} />
            <Stat label="Up to date" value={agents.upToDate} tone="text-lg font-semibold text-emerald-700" />
            <Stat label="Outdated" value={agents.outdated} tone={agents.outdated > 0 ? "text-lg font-semibold text-amber-700" : undefined} />
          </dl>
          {latestVersion === null && !rollout ? (
            <p className="text-sm text-slate-600">No version published yet.</p>
          ) : (
            <div className="space-y-1.5">
              <p className="text-sm text-slate-800" id={`${titleId}-progress`}>
                {rollout ? `${latestVersion ?? "no version"} for the fleet, ${rollout.version} for ${rollout.selector}` : latestVersion}: {agents.upToDate} of {agents.online} online agents up to date
              </p>
              {/* A <progress> element rather than a styled width: the Content-Security-Policy allows no inline styles. */}
              <progress
                aria-labelledby={`${titleId}-progress`}
                value={percent}
                max={100}
                className="block h-2 w-full appearance-none overflow-hidden rounded-full bg-slate-200 [&::-moz-progress-bar]:bg-emerald-500 [&::-webkit-progress-bar]:bg-slate-200 [&::-webkit-progress-value]:rounded-full [&::-webkit-progress-value]:bg-emerald-500 [&::-webkit-progress-value]:transition-[width]"
              />
            </div>
          )}
          {versions.length > 0 && (
            <DataTable
              label="Convergence by version"
              layout="inset"
              minWidth="min-w-[32rem]"
              columns={[{ label: "Version" }, { label: "Published" }, { label: "Applied", numeric: true }, { label: "Outdated", numeric: true }, { label: "Convergence" }]}
            >
              {versions.map((version) => {
                const isLatest = version.version === latestVersion;
                // While a rollout is in progress the outdated agents lag behind either version: the total above says how many.
                const showOutdated = isLatest && !rollout;
                return (
                  <tr key={version.version}>
                    <th scope="row" className="font-medium text-slate-900">
                      {version.version} <span className="font-normal text-slate-600">· {version.name}</span>
                    </th>
                    <td className="text-slate-700">
                      <DateTime value={version.createdAt} />
                    </td>
                    <td className="text-right tabular-nums text-slate-900">{version.applied}</td>
                    <td className="text-right tabular-nums text-slate-900">{showOutdated ? agents.outdated : <><span aria-hidden="true">—</span><span className="sr-only">not applicable</span></>}</td>
                    <td className="text-slate-700">{convergenceText(version, isLatest)}</td>
                  </tr>
                );
              })}
            </DataTable>
          )}
        </div>
      </Card>
    </div>
  );
}
