import pino, { type DestinationStream, type LevelWithSilent, type Logger, type LoggerOptions } from "pino";
import { env } from "@/lib/env";
import { currentRequestContext } from "@/lib/observability/request-context";
import { processSingleton } from "@/lib/singleton";

/**
 * The server's log: one JSON object per line on stdout (pino), at LOG_LEVEL and above. Every line written while
 * a request is served carries its `requestId`. In development, on a terminal, lines are pretty-printed instead.
 */

/** The name of the process's logger in the singleton registry (lib/singleton.ts); tests put a capturing one there. */
export const LOGGER_SINGLETON = "logger";

// Nothing logs these; should a log call ever pass one, its value is replaced rather than written.
const SECRET_KEYS = ["authorization", "cookie", "password", "token", "secret"];
const REDACTED_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`]);

export function createLogger({ level, destination }: { level: LevelWithSilent; destination?: DestinationStream }): Logger {
  const options: LoggerOptions = {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    // A new object each time: pino merges the line's own fields into it.
    mixin: () => {
      const context = currentRequestContext();
      return context ? { requestId: context.requestId } : {};
    },
  };
  if (!destination && process.env.NODE_ENV === "development" && process.stdout.isTTY) {
    // pino-pretty is a development dependency; pino loads it in a worker thread, only here.
    return pino({ ...options, transport: { target: "pino-pretty", options: { colorize: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" } } });
  }
  // Level names rather than numbers, for whoever reads the JSON.
  const json: LoggerOptions = { ...options, formatters: { level: (label) => ({ level: label }) } };
  return destination ? pino(json, destination) : pino(json);
}

/** LOG_LEVEL, else `info`; under the test runner `silent`, so expected failures do not fill the test output. */
function configuredLevel(): LevelWithSilent {
  const { LOG_LEVEL, NODE_ENV } = env();
  return LOG_LEVEL ?? (NODE_ENV === "test" ? "silent" : "info");
}

/** The process's logger, one for the server entry and every bundle Next loads. */
export function logger(): Logger {
  return processSingleton(LOGGER_SINGLETON, () => createLogger({ level: configuredLevel() }));
}

/** For a command-line tool, whose standard output is its answer (a token a script captures): logs go to stderr. */
export function logToStderr(): void {
  processSingleton(LOGGER_SINGLETON, () => createLogger({ level: configuredLevel(), destination: pino.destination(2) }));
}

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

/** Logs an unexpected error, described by {@link describeError} only: never its stack or its query's parameters. */
export function logError(context: string, error: unknown): void {
  logger().error({ error: describeError(error) }, context);
}
