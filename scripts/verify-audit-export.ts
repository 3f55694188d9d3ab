/**
 * The offline audit verifier: `npm run audit:verify -- <export.json> [--checkpoint FILE] [--keys FILE]`.
 * Works on a JSON export (GET /api/audit-logs/export?format=verifiable) with no server and no database.
 * Exit codes: 0 verified, 1 broken, 2 the export cannot be verified (filtered) or bad usage. A partial export
 * (past the 10,000-row limit, or a later page) verifies the stretch of the chain it holds, and says so.
 * docs/audit-chain.md describes the checks and each kind of problem.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseCheckpointsFile, parseExportFile, parseKeysFile, VerifyFileError } from "@/lib/audit/verify-files";
import { describeVerifyResult, verifyAuditChain } from "@/lib/audit/verify";

const USAGE = "Usage: npm run audit:verify -- <export.json> [--checkpoint FILE]... [--keys FILE]";

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ allowPositionals: true, options: { checkpoint: { type: "string", multiple: true }, keys: { type: "string" } } });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const [file] = args.positionals;
  if (!file || args.positionals.length > 1) {
    console.error(USAGE);
    return 2;
  }
  try {
    const exported = parseExportFile(readFileSync(file, "utf8"));
    if (exported.filtered) {
      console.error(
        `Cannot verify ${file}: it is a filtered export, so it does not hold the whole chain (rows between those it holds are missing by design). Export the audit log without filters, or verify on the server with \`npm run cli -- audit verify\`.`,
      );
      return 2;
    }
    const extra = (args.values.checkpoint ?? []).flatMap((path) => parseCheckpointsFile(readFileSync(path, "utf8")));
    const pinned = args.values.keys ? parseKeysFile(readFileSync(args.values.keys, "utf8")) : null;
    // A partial export (past the row limit, or a later page) is a contiguous stretch of the chain: it verifies from
    // its first row, taken as given, to its last; checkpoints outside that stretch say nothing about it.
    const [first, ...rest] = exported.rows;
    const partial = !exported.complete;
    // From its first row, unless that row is the chain's first: then from the genesis hash, as a complete export.
    const anchored = partial && first !== undefined && first.chainPosition !== 1;
    const last = exported.rows.at(-1)?.chainPosition ?? 0;
    const checkpoints = [...exported.checkpoints, ...extra].filter((checkpoint) => !partial || checkpoint.position <= last);
    if (partial) {
      console.log(
        `Partial export: it holds positions ${first?.chainPosition ?? "none"} to ${last} only.${anchored ? ` The row at ${first.chainPosition} is taken as given; what comes before it cannot be checked from this file.` : ""} A removal after ${last} cannot be checked from it either.`,
      );
    }
    const result = await verifyAuditChain({
      orgId: exported.orgId,
      rows: anchored ? rest : exported.rows,
      unchained: exported.unchained,
      checkpoints,
      keys: pinned ?? exported.keys,
      start: anchored ? { position: first.chainPosition!, hash: first.hash!, seq: first.seq, checkpoint: null } : undefined,
    });
    console.log(`Organization ${exported.orgId}, exported ${exported.exportedAt}: ${exported.rows.length} chained rows, ${exported.checkpoints.length + extra.length} checkpoints, keys ${pinned ? `pinned from ${args.values.keys}` : "as the export lists them (pin them with --keys for a stronger check)"}.`);
    console.log(describeVerifyResult(result));
    return result.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof VerifyFileError || (error as NodeJS.ErrnoException).code === "ENOENT") {
      console.error(`Cannot verify: ${(error as Error).message}`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main();
