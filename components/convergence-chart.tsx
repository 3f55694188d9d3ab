"use client";

import { useSyncExternalStore } from "react";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatDuration } from "./format";

export interface CurveJson {
  label: string;
  points: { seconds: number; upToDate: number }[];
}

const COLORS = ["#4f46e5", "#059669", "#d97706", "#0284c7", "#e11d48"];

// The chart is drawn in the browser only: its layout is measured there, and its styles are set from script, which
// the Content-Security-Policy allows (it refuses style attributes in server-rendered markup).
const subscribe = () => () => {};
const useMounted = () =>
  useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );

/** Agents up to date over time since publish, one line per version. The figure around it carries the same data as a table. */
export function ConvergenceChart({ curves, summary }: { curves: CurveJson[]; summary: string }) {
  const mounted = useMounted();
  return (
    <div role="img" aria-label={summary} className="h-64 w-full">
      {mounted && (
        <ResponsiveContainer width="100%" height="100%">
          <LineChart margin={{ top: 8, right: 16, bottom: 8, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
            <XAxis dataKey="seconds" type="number" domain={[0, "dataMax"]} tickFormatter={formatDuration} fontSize={12} stroke="#475569" />
            <YAxis allowDecimals={false} fontSize={12} stroke="#475569" width={40} />
            <Tooltip labelFormatter={(seconds) => `${formatDuration(Number(seconds))} after publish`} formatter={(upToDate) => [`${upToDate} up to date`, "Agents"]} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {curves.map((curve, index) => (
              <Line key={curve.label} data={curve.points} dataKey="upToDate" name={curve.label} type="stepAfter" dot={false} stroke={COLORS[index % COLORS.length]} strokeWidth={2} isAnimationActive={false} />
            ))}
          </LineChart>
        </ResponsiveContainer>
      )}
    </div>
  );
}
