import { convergenceCurves, type ConvergenceCurve } from "@/db/queries/convergence";
import { formatVersion } from "@/lib/agent-policy/rules";
import { ConvergenceChart } from "./convergence-chart";
import { columns, DataTable } from "./data-table";
import { formatDuration } from "./format";
import { Card, CardHeader } from "./ui/card";

/** When a share of a curve's final count was reached, for the table: the first point at or above it. */
function timeTo(points: { seconds: number; upToDate: number }[], share: number): string {
  const total = points.at(-1)?.upToDate ?? 0;
  const reached = points.find((point) => total > 0 && point.upToDate >= total * share);
  return reached ? formatDuration(reached.seconds) : "—";
}

/** A staged version's curves: its canary agents, then the fleet from promotion. */
const stageLabel = ({ stage, selector }: ConvergenceCurve) => (selector === null ? "" : stage === "canary" ? ` · canary (${selector})` : " · promoted to the fleet");

/**
 * How the recent versions spread through the fleet: agents up to date over time since each was published, from the
 * heartbeat history, as a line chart and, for screen readers and small screens, as a table.
 */
export async function ConvergenceHistory({ orgId }: { orgId: string }) {
  const curves = (await convergenceCurves({ orgId })).filter((curve) => curve.points.length > 0);
  if (curves.length === 0) return null;
  const labelled = curves.map((curve) => ({ ...curve, label: `${formatVersion(curve.version)} · ${curve.name}${stageLabel(curve)}` }));
  const summary = `Agents up to date over time since publish, for ${labelled.map((curve) => `${formatVersion(curve.version)} (${curve.points.at(-1)!.upToDate} agents)`).join(", ")}. The table below has the figures.`;
  return (
    <Card>
      <CardHeader
        title="Convergence over time"
        description="Agents that had applied each version, by time since it was published, or for a staged rollout since each stage began (from their heartbeats)."
      />
      <figure className="space-y-4 p-5">
        <ConvergenceChart curves={labelled.map(({ label, points }) => ({ label, points }))} summary={summary} />
        <figcaption className="sr-only">{summary}</figcaption>
        <details className="text-sm">
          <summary className="cursor-pointer font-medium text-indigo-700">Figures as a table</summary>
          <div className="mt-3">
            <DataTable label="Convergence figures" layout="inset" columns={columns("Version", "Agents applied", "Half of them by", "90% by", "All by")} minWidth="min-w-[32rem]">
              {labelled.map((curve) => (
                <tr key={`${curve.version}-${curve.stage}`}>
                  <th scope="row" className="font-medium text-slate-900">
                    {curve.label}
                  </th>
                  <td className="tabular-nums">{curve.points.at(-1)!.upToDate}</td>
                  <td>{timeTo(curve.points, 0.5)}</td>
                  <td>{timeTo(curve.points, 0.9)}</td>
                  <td>{timeTo(curve.points, 1)}</td>
                </tr>
              ))}
            </DataTable>
          </div>
        </details>
      </figure>
    </Card>
  );
}
