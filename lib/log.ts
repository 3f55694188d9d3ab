/**
 * A one-line description of an unexpected error that is safe to log. A failed query's message holds its SQL
 * text and parameters (hashes, sealed secrets, whatever a client sent): only the database's own error, which
 * drizzle keeps as the cause, and its code are described.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code } = error as { code?: unknown };
  const codeSuffix = typeof code === "string" ? ` [${code}]` : "";
  if (error.message.startsWith("Failed query:")) {
    const cause = error.cause === undefined ? "" : `: ${describeError(error.cause)}`;
    return `${error.name}${codeSuffix}: a query failed${cause}`;
  }
  const cause = error.cause instanceof Error ? ` (cause: ${describeError(error.cause)})` : "";
  return `${error.name}${codeSuffix}: ${error.message}${cause}`;
}

export function logError(context: string, error: unknown): void {
  console.error(`[palisade] ${context}: ${describeError(error)}`);
}
