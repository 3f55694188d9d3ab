import { databaseReady, databaseTarget } from "@/db";
import { tightenDataDir } from "@/db/data-dir";
import { pruneAgentEvents } from "@/db/queries/agent-events";
import { pruneDeliveredDeliveries } from "@/db/queries/audit-deliveries";
import { pruneVersionReports } from "@/db/queries/convergence";
import { pruneLoginAttempts } from "@/db/queries/login-attempts";
import { pruneMfaEnrollments } from "@/db/queries/mfa";
import { pruneSpentChallenges } from "@/db/queries/passkeys";
import { expireOverdueRequests } from "@/lib/change-requests/service";
import { chainUnchainedAuditRows } from "@/lib/audit/chain-service";
import { checkpointGrownChains } from "@/lib/audit/checkpoints";
import { processDeliveryWorker } from "@/lib/audit-streaming/worker";
import { summarizeRefusalRuns, THROTTLE } from "@/lib/auth/throttle";
import { SESSION_ABSOLUTE_LIFETIME_SECONDS } from "@/lib/auth/authjs";
import { pruneConsoleSessions } from "@/db/queries/users";
import { env } from "@/lib/env";
import { hub } from "@/lib/events/hub";
import { stopEventDelivery } from "@/lib/events/shutdown";
import { logError } from "@/lib/log";
import { createAdminFromEnv } from "@/lib/server/bootstrap";
import { startControlSocket } from "@/lib/server/control-socket";
import { processSingleton } from "@/lib/singleton";
import { signingKeysRegistered } from "@/lib/signing/service";

const MAINTENANCE_INTERVAL_MS = 60_000;
// A login_limits policy's lockout (up to a day) counts back from a failure whose window (up to a day) counts back
// further: attempts can matter for two days.
const LOGIN_ATTEMPT_RETENTION_MS = 48 * 60 * 60 * 1000;
const USUAL_ADDRESS_RETENTION_MS = THROTTLE.knownAddressMs;
// An enrolment page left open this long starts over.
const MFA_ENROLLMENT_RETENTION_MS = 24 * 60 * 60 * 1000;
// The convergence views show the newest ten versions; a few more are kept for the API.
const VERSION_REPORTS_KEPT = 50;
// Delivered audit streaming rows are kept a week (the console shows recent deliveries); the audit rows stay.
const DELIVERED_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** The embedded database's files stay private to their owner (see db/data-dir.ts). */
function tightenEmbeddedData(): void {
  const target = databaseTarget();
  if (target.engine === "pglite" && target.dataDir) tightenDataDir(target.dataDir);
}

/**
 * Bounded tables stay bounded: the agent event log keeps its newest events, login attempts two days, console
 * session activity the longest a session can live, version reports 50 versions, answered WebAuthn challenges
 * until they expire; change requests past their 72 hours expire.
 */
async function maintain(): Promise<void> {
  try {
    tightenEmbeddedData();
    await pruneAgentEvents({ keep: env().AGENT_EVENT_RETENTION });
    await pruneLoginAttempts({ olderThanMs: LOGIN_ATTEMPT_RETENTION_MS, addressesOlderThanMs: USUAL_ADDRESS_RETENTION_MS });
    await summarizeRefusalRuns();
    await pruneMfaEnrollments({ olderThanMs: MFA_ENROLLMENT_RETENTION_MS });
    await pruneSpentChallenges();
    await expireOverdueRequests();
    await pruneConsoleSessions({ olderThanMs: SESSION_ABSOLUTE_LIFETIME_SECONDS * 1000 });
    await pruneVersionReports({ keepVersions: VERSION_REPORTS_KEPT });
    await pruneDeliveredDeliveries({ olderThanMs: DELIVERED_RETENTION_MS });
  } catch (error) {
    logError("maintenance", error);
  }
}

/**
 * Prepares the server process, once, however many callers ask (instrumentation.ts under Next, and the server
 * entry before it serves its lean data plane, each with its own copy of this module).
 */
export function bootServer(): Promise<void> {
  return processSingleton("server boot", boot);
}

async function boot(): Promise<void> {
  await databaseReady();
  await chainUnchainedAuditRows();
  await signingKeysRegistered();
  await createAdminFromEnv();
  const target = databaseTarget();
  // With the embedded database, `npm run cli` reaches it through this server.
  if (target.engine === "pglite" && target.dataDir) startControlSocket(target.dataDir);
  setInterval(() => void maintain(), MAINTENANCE_INTERVAL_MS).unref();
  // Each instance signs the chains that grew; instances racing on one head keep one checkpoint (its primary key).
  setInterval(() => void checkpointGrownChains().catch((error: unknown) => logError("audit checkpoints", error)), env().AUDIT_CHECKPOINT_INTERVAL_SECONDS * 1000).unref();
  await hub().listen();
  // Audit streaming: every instance sends the outbox (rows are claimed once across instances).
  processDeliveryWorker().start();
  // The server (the entry, or `next start`) answers these signals by closing once every open response has ended,
  // and SSE streams only end when the server ends them.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void stopEventDelivery().catch((error) => logError("shutdown", error));
      void processDeliveryWorker().stop().catch((error) => logError("shutdown", error));
    });
  }
}
