/**
 * The offline audit verifier: `npm run audit:verify -- <export.json> [--checkpoint FILE] [--keys FILE]`.
 * Works on a JSON export (GET /api/audit-logs/export?format=json) with no server and no database.
 * Exit codes: 0 verified, 1 broken, 2 the export cannot be verified (filtered or partial) or bad usage.
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
    if (exported.filtered || !exported.complete) {
      console.error(
        `Cannot verify ${file}: it is ${exported.filtered ? "a filtered export" : "a partial export (truncated at the row limit, or a later page)"}, so it does not hold the whole chain. Export the audit log without filters (and, past 10,000 entries, verify on the server with \`npm run cli -- audit verify\`).`,
      );
      return 2;
    }
    const extra = (args.values.checkpoint ?? []).flatMap((path) => parseCheckpointsFile(readFileSync(path, "utf8")));
    const pinned = args.values.keys ? parseKeysFile(readFileSync(args.values.keys, "utf8")) : null;
    const result = await verifyAuditChain({
      orgId: exported.orgId,
      rows: exported.rows,
      unchained: exported.unchained,
      checkpoints: [...exported.checkpoints, ...extra],
      keys: pinned ?? exported.keys,
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
