/**
 * The admin CLI: `npm run cli -- <command>`, against whatever DATABASE_URL points at.
 * `npm run cli -- help` lists the commands (lib/cli/commands.ts).
 */
import { closeDatabase, databaseReady, resolveDatabaseTarget } from "@/db";
import { dataDirHolder } from "@/db/pglite-lock";
import { readFileSync } from "node:fs";
import { FILE_OPTIONS, runCommand } from "@/lib/cli/commands";
import { sendToServer } from "@/lib/server/control-socket";
import { logToStderr } from "@/lib/log";

logToStderr();

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return "";
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const argv = process.argv.slice(2);
// Only `--password -` reads standard input; anything else must not wait on it.
const stdin = argv.includes("-") ? await readStdin() : "";
// Files the options name are read here, where the operator's paths mean something (a command may run in the server).
const files: Record<string, string> = {};
argv.forEach((arg, index) => {
  const inline = FILE_OPTIONS.find((option) => arg.startsWith(`${option}=`));
  const path = inline ? arg.slice(inline.length + 1) : (FILE_OPTIONS as readonly string[]).includes(arg) ? argv[index + 1] : undefined;
  if (path === undefined) return;
  try {
    files[path] = readFileSync(path, "utf8");
  } catch {
    // Left out: the command says it cannot read the file.
  }
});
const io = { out: (line: string) => console.log(line), err: (line: string) => console.error(line), stdin, files };

const target = resolveDatabaseTarget();
if (target.engine === "pglite" && target.dataDir && dataDirHolder(target.dataDir) !== null) {
  // A running server holds the embedded database: run the command inside it.
  const result = await sendToServer(target.dataDir, { argv, stdin, files });
  for (const { stream, line } of result.output) io[stream](line);
  process.exitCode = result.code;
} else {
  try {
    await databaseReady();
    process.exitCode = await runCommand(argv, io);
  } finally {
    await closeDatabase();
  }
}
