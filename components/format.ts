/**
 * Times are shown in UTC, to the second: audit entries are compared across people and time zones, and a
 * server-rendered time must not depend on where the server runs.
 */
export function formatDateTime(date: Date | string | null | undefined, fallback = "—"): string {
  if (!date) return fallback;
  const iso = (typeof date === "string" ? new Date(date) : date).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

export function formatDate(date: Date | null | undefined, fallback = "—"): string {
  return date ? date.toISOString().slice(0, 10) : fallback;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
