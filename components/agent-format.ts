/**
 * Time formatting for the agent pages. Always UTC, so the server's rendering and the browser's agree
 * (no hydration mismatch) whatever either machine's time zone.
 */

const dateTime = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});

/** "3 Mar 2025, 14:05:09 UTC" */
export function formatDateTime(value: Date | string): string {
  return `${dateTime.format(new Date(value))} UTC`;
}

const trim = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));

/** A span of time: "0.4 s", "3.2 s", "4 min 12 s", "2 h 5 min", "3 d 4 h". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 60) return `${trim(Math.round(s * 10) / 10)} s`;
  const whole = Math.round(s);
  if (whole < 3600) return joinUnits(Math.floor(whole / 60), "min", whole % 60, "s");
  if (whole < 86_400) return joinUnits(Math.floor(whole / 3600), "h", Math.floor((whole % 3600) / 60), "min");
  return joinUnits(Math.floor(whole / 86_400), "d", Math.floor((whole % 86_400) / 3600), "h");
}

function joinUnits(major: number, majorUnit: string, minor: number, minorUnit: string): string {
  return minor === 0 ? `${major} ${majorUnit}` : `${major} ${majorUnit} ${minor} ${minorUnit}`;
}

/** "12 s ago", "5 min ago", "just now". */
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
