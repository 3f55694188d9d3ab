/**
 * A one-line description of an unexpected error that is safe to log: drizzle puts query parameters
 * (hashes, encrypted secrets) into its messages, so everything from "params:" on is dropped.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const message = error.message.split("\nparams:")[0] ?? error.message;
  const cause = error.cause instanceof Error ? ` (cause: ${describeError(error.cause)})` : "";
  const { code } = error as { code?: unknown };
  const codeSuffix = typeof code === "string" ? ` [${code}]` : "";
  return `${error.name}${codeSuffix}: ${message}${cause}`;
}

export function logError(context: string, error: unknown): void {
  console.error(`[palisade] ${context}: ${describeError(error)}`);
}
