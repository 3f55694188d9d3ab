import { stringify } from "csv-stringify/sync";
import { listAuditLogs, type AuditLogFilter } from "@/db/queries/audit-logs";
import type { AuditLog } from "@/db/schema";
import { allAuditCheckpoints } from "@/db/queries/audit-checkpoints";
import { logError } from "@/lib/log";
import { auditPublicKeys, toCheckpointJson } from "./checkpoints";
import { toAuditLogJson } from "./serialize";

/**
 * The limits of audit-log exports, in one place.
 * - An export reads the log in keyset batches of EXPORT_BATCH_ROWS entries and writes each batch before
 *   reading the next, so an export holds at most about one batch in memory whatever its size.
 * - At most MAX_EXPORTS_PER_USER exports of one user, and MAX_EXPORTS_PER_ORG of one organization, run at
 *   once on an instance; a further one answers 429 with Retry-After: EXPORT_RETRY_AFTER_SECONDS.
 *   The counts are per instance (in memory): behind a load balancer with N instances, an organization
 *   can run up to N × MAX_EXPORTS_PER_ORG exports in all, each instance's memory still bounded.
 */
export const EXPORT_BATCH_ROWS = 500;
export const MAX_EXPORTS_PER_USER = 2;
export const MAX_EXPORTS_PER_ORG = 4;
export const EXPORT_RETRY_AFTER_SECONDS = 5;

export const CSV_COLUMNS = ["id", "timestamp", "user_id", "user_email", "action", "resource", "details", "success", "ip", "user_agent", "before", "after", "chain_position", "hash"] as const;

/**
 * A spreadsheet runs a cell that starts with one of these as a formula. User agents, emails and policy
 * names are chosen by whoever sent them, so such cells get a leading apostrophe (OWASP's CSV injection advice).
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const neutralizeFormula = (value: string) => (FORMULA_START.test(value) ? `'${value}` : value);

function csvRecord(entry: AuditLog): string[] {
  const json = toAuditLogJson(entry);
  return CSV_COLUMNS.map((column) => {
    const value = json[column as keyof typeof json];
    if (value === undefined || value === null) return "";
    if (typeof value === "number") return String(value);
    return neutralizeFormula(typeof value === "string" ? value : JSON.stringify(value));
  });
}

interface FileFormat {
  /** Written first, even when nothing matches. */
  open: string;
  /** One batch; `first` is true for the first batch written. */
  batch: (rows: AuditLog[], first: boolean) => string;
  close: string;
}

/**
 * Batch by batch, the same bytes as formatting every row at once: CSV records each end with a newline,
 * and a JSON array is `[`, its elements joined by commas, `]`.
 */
const formats = (json: { prefix: string; suffix: string }): Record<"csv" | "json", FileFormat> => ({
  csv: {
    open: stringify([], { header: true, columns: [...CSV_COLUMNS], eof: true }),
    batch: (rows) => stringify(rows.map(csvRecord), { eof: true }),
    close: "",
  },
  json: {
    open: `${json.prefix}[`,
    batch: (rows, first) => (first ? "" : ",") + rows.map((row) => JSON.stringify(toAuditLogJson(row))).join(","),
    close: `]${json.suffix}`,
  },
});

export interface ExportStreamOptions {
  format: "csv" | "json";
  /** The filter; its `beforeSeq` and `limit` are ignored (see `newestSeq` and `rows`). */
  filter: AuditLogFilter;
  /** The newest entry to write (from auditLogExtent), so entries added meanwhile stay out. */
  newestSeq: number | null;
  /** How many entries to write at most. */
  rows: number;
  /** Runs exactly once, when the stream ends: written to the end, failed, or cancelled by the client. */
  onFinish: () => void;
  /** The request's signal: the client went away. */
  signal?: AbortSignal;
  batchRows?: number;
  /** JSON only: what surrounds the entries array (the export's envelope, lib/audit/export-envelope.ts). */
  json?: { prefix: string; suffix: string };
}

/**
 * The export as a pull-based stream: the next batch is read from the database only when the client has
 * taken the previous one (high-water mark 0), so a slow client slows the reads rather than growing memory.
 *
 * When the client disconnects, the stream is cancelled (or the request aborted): no further batch is read,
 * a batch being read is dropped, and `onFinish` runs. A database failure mid-export errors the stream, so
 * the response ends without its last chunk and clients see an incomplete transfer, never a file that looks
 * complete; it is logged, and `onFinish` runs.
 */
export function auditLogExportStream(options: ExportStreamOptions): ReadableStream<Uint8Array> {
  const { filter, signal, batchRows = EXPORT_BATCH_ROWS } = options;
  const format = formats(options.json ?? { prefix: "", suffix: "" })[options.format];
  const encoder = new TextEncoder();
  let cursor = options.newestSeq === null ? undefined : options.newestSeq + 1;
  let remaining = options.newestSeq === null ? 0 : options.rows;
  let opened = false;
  let wroteRows = false;
  let finished = false;

  const finish = () => {
    if (finished) return;
    finished = true;
    signal?.removeEventListener("abort", finish);
    options.onFinish();
  };
  if (signal?.aborted) finish();
  else signal?.addEventListener("abort", finish);

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (finished) {
          // The request was aborted: nothing more is read.
          controller.close();
          return;
        }
        let chunk = "";
        if (!opened) {
          opened = true;
          chunk = format.open;
        }
        if (remaining > 0) {
          const size = Math.min(batchRows, remaining);
          let rows: AuditLog[];
          try {
            // listAuditLogs returns one row more than its limit: asking for size - 1 fetches at most `size`.
            rows = await listAuditLogs({ ...filter, beforeSeq: cursor, limit: size - 1 });
          } catch (error) {
            logError("exporting the audit log", error);
            finish();
            controller.error(new Error("The export failed while reading the audit log"));
            return;
          }
          if (finished) return; // cancelled while reading: the stream is closed already
          if (rows.length > 0) {
            chunk += format.batch(rows, !wroteRows);
            wroteRows = true;
            cursor = rows.at(-1)!.seq;
          }
          remaining = rows.length < size ? 0 : remaining - rows.length;
        }
        if (remaining === 0) chunk += format.close;
        if (chunk) controller.enqueue(encoder.encode(chunk));
        if (remaining === 0) {
          controller.close();
          finish();
        }
      },
      cancel() {
        finish();
      },
    },
    { highWaterMark: 0 },
  );
}

/** The JSON export's format marker; the offline verifier (scripts/verify-audit-export.ts) checks it. */
export const JSON_EXPORT_FORMAT = "palisade-audit-export/1";

/**
 * What surrounds a JSON export's entries: the organization, whether the export holds its whole chain, and its
 * checkpoints and audit public keys, so the file verifies offline (docs/audit-chain.md). Read before the export's
 * extent, so every checkpoint's position is a row the export holds.
 */
export async function jsonExportEnvelope({ orgId, filtered }: { orgId: string; filtered: boolean }): Promise<{ prefix: string; suffix: (complete: boolean) => string }> {
  const checkpoints = (await allAuditCheckpoints({ orgId })).map(toCheckpointJson);
  const keys = await auditPublicKeys();
  const exportedAt = new Date().toISOString();
  return {
    prefix: `{"format":${JSON.stringify(JSON_EXPORT_FORMAT)},"orgId":${JSON.stringify(orgId)},"exportedAt":"${exportedAt}","entries":`,
    // `complete`: every row of the chain up to the newest exported; a filtered or partial export cannot verify it.
    suffix: (complete) => `,"filtered":${filtered},"complete":${complete},"checkpoints":${JSON.stringify(checkpoints)},"keys":${JSON.stringify(keys)}}`,
  };
}
