import { formatAgo, formatDateTime } from "./format";

/** A moment, exact (UTC) or relative to `now`; the exact time is always in the tooltip and the markup. */
export function DateTime({ value, now, fallback = "never" }: { value: Date | string | null; now?: number; fallback?: string }) {
  if (value === null) return <span className="text-slate-500">{fallback}</span>;
  const exact = formatDateTime(value);
  return (
    <time dateTime={new Date(value).toISOString()} title={exact}>
      {now === undefined ? exact : formatAgo(value, now)}
    </time>
  );
}
