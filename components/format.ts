/**
 * Times are shown in UTC, to the second, as "2026-03-07 12:00:05 UTC": audit entries are compared across
 * people and time zones, the audit log's date filters are UTC calendar days in the same form, and a time
 * rendered on the server must not depend on where the server runs (nor differ from the browser's).
 */
export function formatDateTime(date: Date | string | null | undefined, fallback = "—"): string {
  if (!date) return fallback;
  const iso = new Date(date).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

const trim = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));

function joinUnits(major: number, majorUnit: string, minor: number, minorUnit: string): string {
  return minor === 0 ? `${major} ${majorUnit}` : `${major} ${majorUnit} ${minor} ${minorUnit}`;
}

/** A span of time: "0.4 s", "3.2 s", "4 min 12 s", "2 h 5 min", "3 d 4 h". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 60) return `${trim(Math.round(s * 10) / 10)} s`;
  const whole = Math.round(s);
  if (whole < 3600) return joinUnits(Math.floor(whole / 60), "min", whole % 60, "s");
  if (whole < 86_400) return joinUnits(Math.floor(whole / 3600), "h", Math.floor((whole % 3600) / 60), "min");
  return joinUnits(Math.floor(whole / 86_400), "d", Math.floor((whole % 86_400) / 3600), "h");
}

/** A moment relative to `now` (milliseconds): "12 s ago", "5 min ago", "just now". */
export function formatAgo(value: Date | string, now: number): string {
  const seconds = (now - new Date(value).getTime()) / 1000;
  if (seconds < 1) return "just now";
  return `${formatDuration(Math.floor(seconds))} ago`;
}

/**
 * The moment a server component renders, for relative times and expiry. A server component renders once per
 * request and never re-renders in the browser, so this cannot drift between renders the way a client
 * component's clock would (which is what react-hooks/purity guards against).
 */
export function requestTime(): number {
  return Date.now();
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
