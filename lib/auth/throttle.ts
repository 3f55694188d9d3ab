import { recordAudit, type Actor } from "@/lib/audit/log";
import {
  closeRefusalRuns,
  countRefusal,
  insertPendingAttempt,
  lockSignInKeys,
  readThrottleState,
  type RefusalRun,
  type ThrottleState,
  type ThrottleWindows,
} from "@/db/queries/login-attempts";
import { getDb, type Executor } from "@/db";
import { findEnabledPolicyOfKind } from "@/db/queries/policies";
import type { LoginLimitsSettings } from "@/lib/policies/kinds";

/**
 * Sign-in throttling (OWASP ASVS 4.0.3 §2.2.1: anti-automation that does not let an attacker lock the owner out).
 * Every password or code check is one attempt, counted before it runs:
 * - an account from one address: 10 failures in 15 minutes lock that address out of the account for 15 minutes
 *   from the failure that reached the limit; an enabled `login_limits` policy sets all three for its organization;
 * - one address, whatever the accounts: 50 failures in 15 minutes, then it waits likewise;
 * - an account from addresses it has not signed in from in 90 days: after 20 failures in an hour, each further
 *   attempt from such an address waits twice as long as the one before (1 s, 2 s, 4 s … up to 15 minutes).
 *   This caps an account at well under 100 failures an hour, and never applies at the owner's usual addresses.
 * A successful sign-in forgives that account's failures from that address.
 */
export const THROTTLE = {
  pairLimit: 10,
  pairWindowMs: 15 * 60_000,
  pairLockoutMs: 15 * 60_000,
  addressLimit: 50,
  addressWindowMs: 15 * 60_000,
  accountFreeFailures: 20,
  accountWindowMs: 60 * 60_000,
  accountMaxDelayMs: 15 * 60_000,
  knownAddressMs: 90 * 24 * 60 * 60_000,
} as const satisfies ThrottleWindows & Record<string, number>;

export type ThrottleRule = "account-address" | "address" | "account";

export interface Refusal {
  rule: ThrottleRule;
  until: Date;
}

/** The rule that refuses an attempt now (the one that lifts last), or null when the attempt may be checked. */
export function throttleRefusal(state: ThrottleState, windows: ThrottleWindows = THROTTLE): Refusal | null {
  const candidates: Refusal[] = [];
  if (state.pairLockedAt) candidates.push({ rule: "account-address", until: new Date(state.pairLockedAt.getTime() + windows.pairLockoutMs) });
  if (state.addressNthFailureAt) candidates.push({ rule: "address", until: new Date(state.addressNthFailureAt.getTime() + THROTTLE.addressWindowMs) });
  const excess = state.accountFailures - THROTTLE.accountFreeFailures;
  if (!state.knownAddress && excess >= 0 && state.accountLastFailureAt) {
    const delay = Math.min(1000 * 2 ** excess, THROTTLE.accountMaxDelayMs);
    candidates.push({ rule: "account", until: new Date(state.accountLastFailureAt.getTime() + delay) });
  }
  const active = candidates.filter((candidate) => candidate.until > state.now);
  return active.reduce<Refusal | null>((latest, candidate) => (!latest || candidate.until > latest.until ? candidate : latest), null);
}

/**
 * The limits for an attempt: an enabled `login_limits` policy of the account's organization sets the account and
 * address rule. An email without an account gets the defaults.
 */
async function windowsFor(orgId: string | null, executor: Executor): Promise<ThrottleWindows> {
  const policy = orgId ? await findEnabledPolicyOfKind({ orgId, kind: "login_limits" }, executor) : null;
  if (!policy) return THROTTLE;
  const limits = policy.settings as LoginLimitsSettings;
  return { ...THROTTLE, pairLimit: limits.maxFailures, pairWindowMs: limits.windowMinutes * 60_000, pairLockoutMs: limits.lockoutMinutes * 60_000 };
}

export type Reservation = { ok: true; attemptId: number } | { ok: false; retryAt: Date };

/** Who an attempt is against, when the email belongs to an account: refusals are audited in its organization. */
export interface ThrottleSubject {
  actor: Actor;
  userId: string;
}

const RULE_WORDS: Record<ThrottleRule, string> = {
  "account-address": "too many failed attempts on this account from this address",
  address: "too many failed attempts from this address",
  account: "too many failed attempts on this account from unfamiliar addresses",
};

function throttleKey(rule: ThrottleRule, email: string, ip: string): string {
  if (rule === "address") return `address:${ip}`;
  if (rule === "account") return `account:${email}`;
  return `account-address:${email}|${ip}`;
}

async function auditRunSummary(run: RefusalRun, executor: Executor): Promise<void> {
  if (run.refused <= 1) return;
  const actor: Actor = { orgId: run.orgId, userId: run.userId, email: run.userEmail, ip: run.ip };
  await recordAudit(actor, {
    action: "login_failed",
    resource: run.userId ? `user:${run.userId}` : "sign-in",
    details: `Refused ${run.refused - 1} more sign-in attempt(s) between ${run.firstAt.toISOString()} and ${run.lastAt.toISOString()} (${run.throttleKey.split(":")[0]} throttle)`,
    success: false,
  }, executor);
}

/**
 * Checks the limits and records the attempt as one step: concurrent attempts on one email or from one address
 * take turns, so exactly as many as the limits allow get a password check. A refusal is audited once per run
 * (the first), and the run's count when it ends, never once per request.
 */
export function reserveSignInAttempt({ email, ip, subject }: { email: string; ip: string; subject: ThrottleSubject | null }): Promise<Reservation> {
  return getDb().transaction(async (tx) => {
    await lockSignInKeys({ email, ip }, tx);
    const windows = await windowsFor(subject?.actor.orgId ?? null, tx);
    const state = await readThrottleState({ email, ip, windows }, tx);
    const refusal = throttleRefusal(state, windows);
    if (!refusal) return { ok: true, attemptId: await insertPendingAttempt({ email, ip, knownAddress: state.knownAddress }, tx) };
    if (subject) {
      const key = { orgId: subject.actor.orgId, throttleKey: throttleKey(refusal.rule, email, ip) };
      // A run whose throttle lifted is summarized before a new one starts.
      for (const ended of await closeRefusalRuns(key, tx)) await auditRunSummary(ended, tx);
      const count = await countRefusal({ ...key, userId: subject.userId, userEmail: subject.actor.email ?? email, ip, until: refusal.until }, tx);
      if (count === 1) {
        await recordAudit(subject.actor, {
          action: "login_failed",
          resource: `user:${subject.userId}`,
          details: `Refused: ${RULE_WORDS[refusal.rule]} until ${refusal.until.toISOString()}; further refusals are counted and summarized`,
          success: false,
        }, tx);
      }
    }
    return { ok: false, retryAt: refusal.until };
  });
}

/** Summarizes the refusal runs whose throttle has lifted (run periodically). */
export async function summarizeRefusalRuns(): Promise<void> {
  await getDb().transaction(async (tx) => {
    for (const run of await closeRefusalRuns(null, tx)) await auditRunSummary(run, tx);
  });
}
