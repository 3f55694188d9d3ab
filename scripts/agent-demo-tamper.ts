/**
 * `npm run agent:demo-tamper -- --server http://localhost:3000 --enroll penr_…`
 *
 * Shows a tampered policy refused by the reference agent. It enrols a reference agent directly with the server
 * (which pins the policy signing key), then runs it behind a man in the middle (scripts/tamper-proxy.ts) that
 * disables the first rule of every policy on its way to the agent. The agent refuses each tampered policy, keeps
 * enforcing what it had, logs the refusal on stderr, and reports it in its heartbeat: the console's agents page
 * shows "Refused v1: bad signature…". Publish a version first (or while it waits) so there is a rule to tamper with.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startTamperingProxy } from "./tamper-proxy";

const { values } = parseArgs({ options: { server: { type: "string" }, enroll: { type: "string" }, "wait-seconds": { type: "string", default: "120" } } });
if (!values.server || !values.enroll) throw new Error("usage: npm run agent:demo-tamper -- --server URL --enroll penr_… [--wait-seconds 120]");
const server = values.server.replace(/\/+$/, "");
const dir = mkdtempSync(path.join(tmpdir(), "palisade-demo-"));
const state = path.join(dir, "state.json");

/** Runs the reference agent, echoing its output, until `until` appears (true) or the time runs out (false). */
function runAgent(args: string[], until: string, seconds: number): Promise<boolean> {
  return new Promise((resolve) => {
    const agent = spawn("node_modules/.bin/tsx", ["agent/palisade-agent.ts", "--state", state, "--hostname", "demo-tamper", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let seen = "";
    const timer = setTimeout(() => finish(false), seconds * 1000);
    const finish = (found: boolean) => {
      clearTimeout(timer);
      // Give its heartbeat (0–2 s after a refusal) time to report it before stopping.
      setTimeout(() => (agent.kill(), resolve(found)), found ? 3000 : 0);
    };
    for (const [stream, prefix] of [[agent.stdout!, "agent  "], [agent.stderr!, "agent! "]] as const) {
      stream.on("data", (chunk: Buffer) => {
        for (const line of chunk.toString().split("\n").filter(Boolean)) console.log(`${prefix}${line}`);
        seen += chunk.toString();
        if (seen.includes(until)) finish(true);
      });
    }
  });
}

try {
  console.log(`1. Enrolling a reference agent directly with ${server}: it pins the policy signing key.`);
  if (!(await runAgent(["--server", server, "--enroll", values.enroll], "stream connected", 30))) throw new Error("the agent did not connect");
  // Forget where it was in the stream, so the server sends the whole policy again: through the proxy, this time.
  const { lastEventId: _resumeFrom, ...saved } = JSON.parse(readFileSync(state, "utf8")) as { lastEventId?: string };
  writeFileSync(state, JSON.stringify(saved), { mode: 0o600 });
  const proxy = await startTamperingProxy(server);
  console.log(`\n2. Running it behind a man in the middle (${proxy.url}) that disables the first rule of every policy it carries.`);
  console.log(`   Waiting up to ${values["wait-seconds"]} s for a policy with rules (publish one in the console if the organization has none).\n`);
  const refused = await runAgent(["--server", proxy.url], "REFUSED", Number(values["wait-seconds"]));
  await proxy.close();
  console.log(
    refused
      ? `\n3. The agent refused the tampered policy (${proxy.tampered()} frame(s) rewritten) and kept enforcing what it had; its heartbeat reported the refusal: see Console → Agents → demo-tamper.`
      : "\nNo tampered policy reached the agent: publish a version with at least one rule, and run the demo again.",
  );
  process.exitCode = refused ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
