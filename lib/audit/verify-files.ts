import { z } from "zod";
import type { VerifiableCheckpoint, VerifiableKey, VerifiableRow } from "./verify";

// Pure: reads the files the verifiers take (an export, checkpoints kept elsewhere, pinned keys). No database.

const checkpoint = z.object({
  orgId: z.string().min(1),
  position: z.number().int().min(1),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.string().min(1),
  keyId: z.string().min(1),
  signature: z.string().min(1),
});

const key = z.object({ keyId: z.string().min(1), publicKey: z.string().min(1) });

const entry = z.object({
  id: z.string().regex(/^log-\d+$/),
  user_id: z.string().nullable(),
  user_email: z.string().nullable(),
  action: z.string(),
  resource: z.string(),
  details: z.string(),
  timestamp: z.string(),
  success: z.boolean(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  chain_position: z.number().int().nullable().optional(),
  hash: z.string().nullable().optional(),
});

const exportFile = z.object({
  format: z.literal("palisade-audit-export/1"),
  orgId: z.string().min(1),
  exportedAt: z.string(),
  entries: z.array(entry),
  filtered: z.boolean(),
  complete: z.boolean(),
  checkpoints: z.array(checkpoint),
  keys: z.array(key),
});

export class VerifyFileError extends Error {}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new VerifyFileError(`${what} is not JSON`);
  }
}

function parsed<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new VerifyFileError(`${what} is not in the expected form (${issue.path.join(".") || "top level"}: ${issue.message})`);
}

/** Checkpoints kept elsewhere: one checkpoint, an array of them (GET /api/audit-logs/checkpoints), or a JSON export. */
export function parseCheckpointsFile(text: string): VerifiableCheckpoint[] {
  const value = parseJson(text, "The checkpoint file");
  if (Array.isArray(value)) return parsed(z.array(checkpoint), value, "The checkpoint file");
  if (value && typeof value === "object" && "checkpoints" in value) return parsed(z.object({ checkpoints: z.array(checkpoint) }), value, "The checkpoint file").checkpoints;
  return [parsed(checkpoint, value, "The checkpoint file")];
}

/** Pinned keys: one key, an array of them (GET /api/audit-logs/keys), or a JSON export's. */
export function parseKeysFile(text: string): VerifiableKey[] {
  const value = parseJson(text, "The keys file");
  if (Array.isArray(value)) return parsed(z.array(key), value, "The keys file");
  if (value && typeof value === "object" && "keys" in value) return parsed(z.object({ keys: z.array(key) }), value, "The keys file").keys;
  return [parsed(key, value, "The keys file")];
}

export interface ParsedExport {
  orgId: string;
  exportedAt: string;
  filtered: boolean;
  complete: boolean;
  /** Chained rows in chain order. */
  rows: VerifiableRow[];
  /** Rows the export lists without a chain position. */
  unchained: VerifiableRow[];
  checkpoints: VerifiableCheckpoint[];
  keys: VerifiableKey[];
}

/** A JSON export (GET /api/audit-logs/export?format=verifiable), its rows in chain order. */
export function parseExportFile(text: string): ParsedExport {
  const value = parseJson(text, "The export");
  if (Array.isArray(value)) {
    throw new VerifyFileError("The export is a bare array: it comes from a release before the audit chain, and carries no hashes to verify");
  }
  const file = parsed(exportFile, value, "The export");
  const rows = file.entries.map(
    (item): VerifiableRow => ({
      orgId: file.orgId,
      seq: Number(item.id.slice(4)),
      chainPosition: item.chain_position ?? null,
      hash: item.hash ?? null,
      createdAt: new Date(item.timestamp),
      userId: item.user_id,
      userEmail: item.user_email,
      action: item.action,
      resource: item.resource,
      details: item.details,
      success: item.success,
      ip: item.ip,
      userAgent: item.user_agent,
      before: item.before ?? null,
      after: item.after ?? null,
    }),
  );
  const chained = rows.filter((row) => row.chainPosition !== null).sort((a, b) => a.chainPosition! - b.chainPosition! || a.seq - b.seq);
  return {
    orgId: file.orgId,
    exportedAt: file.exportedAt,
    filtered: file.filtered,
    complete: file.complete,
    rows: chained,
    unchained: rows.filter((row) => row.chainPosition === null).sort((a, b) => a.seq - b.seq),
    checkpoints: file.checkpoints,
    keys: file.keys,
  };
}
