import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { getDb, queryRows, type Executor, type Tx } from "@/db";
import { loginAttempts, signInAddresses, signInRefusals, users } from "@/db/schema";
import { type LoginOutcome } from "@/lib/auth/login-outcomes";

const ago = (ms: number) => sql`now() - make_interval(secs => ${ms / 1000})`;

// Advisory-lock classes, so an email's lock and an address's lock can never collide.
const EMAIL_LOCK_CLASS = 7_221;
const ADDRESS_LOCK_CLASS = 7_222;

/**
 * Serializes sign-in attempts on one email and on one address until the transaction ends, so checking the limits
 * and recording the attempt are one step. Always the email first, then the address: no two attempts can wait on
 * each other in a cycle.
 */
export async function lockSignInKeys({ email, ip }: { email: string; ip: string }, tx: Tx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${EMAIL_LOCK_CLASS}, hashtext(${email}))`);
  await tx.execute(sql`select pg_advisory_xact_lock(${ADDRESS_LOCK_CLASS}, hashtext(${ip}))`);
}

export interface ThrottleWindows {
  /** Failures of this email from this address: `pairLimit` inside `pairWindowMs` lock the pair for `pairLockoutMs`. */
  pairLimit: number;
  pairWindowMs: number;
  pairLockoutMs: number;
  addressLimit: number;
  addressWindowMs: number;
  accountWindowMs: number;
  knownAddressMs: number;
}

export interface ThrottleState {
  now: Date;
  /**
   * The latest failure of this email from this address, inside the lockout, that brought the failures inside the
   * window before it to `pairLimit`: the pair is locked for `pairLockoutMs` from then. Null when there is none.
   */
  pairLockedAt: Date | null;
  addressNthFailureAt: Date | null;
  /** Whether an account with this email signed in successfully from this address recently. */
  knownAddress: boolean;
  /** Failures of this email from addresses unknown to it, inside the account window, and the latest of them. */
  accountFailures: number;
  accountLastFailureAt: Date | null;
}

const failing = inArray(loginAttempts.outcome, ["pending", "failed"]);

/** Everything the limits are decided on, in one round trip. Run it under {@link lockSignInKeys}. */
export async function readThrottleState({ email, ip, windows }: { email: string; ip: string; windows: ThrottleWindows }, tx: Tx): Promise<ThrottleState> {
  const nthFailure = (scope: ReturnType<typeof eq>, limit: number, windowMs: number) =>
    sql`(select ${loginAttempts.createdAt} from ${loginAttempts} where ${scope} and ${failing} and ${loginAttempts.createdAt} > ${ago(windowMs)}
         order by ${loginAttempts.createdAt} desc offset ${limit - 1} limit 1)`;
  // Correlated on purpose: a pair's failures stop being recorded while it is locked, so there are few to scan.
  const pairLockedAt = sql`(select max(f.created_at) from ${loginAttempts} f
       where f.email = ${email} and f.ip = ${ip} and f.outcome in ('pending', 'failed') and f.created_at > ${ago(windows.pairLockoutMs)}
         and (select count(*) from ${loginAttempts} g
              where g.email = f.email and g.ip = f.ip and g.outcome in ('pending', 'failed')
                and g.created_at > f.created_at - make_interval(secs => ${windows.pairWindowMs / 1000}) and g.created_at <= f.created_at) >= ${windows.pairLimit})`;
  const unknownFailures = sql`${loginAttempts.email} = ${email} and not ${loginAttempts.knownAddress} and ${failing} and ${loginAttempts.createdAt} > ${ago(windows.accountWindowMs)}`;
  const [row] = await queryRows<{ now: string; pair: string | null; address: string | null; known: boolean; account_failures: number; account_last: string | null }>(
    tx,
    sql`select now() as now,
      ${pairLockedAt} as pair,
      ${nthFailure(eq(loginAttempts.ip, ip), windows.addressLimit, windows.addressWindowMs)} as address,
      exists (select 1 from ${signInAddresses} join ${users} on ${users.id} = ${signInAddresses.userId}
              where lower(${users.email}) = ${email} and ${signInAddresses.ip} = ${ip} and ${signInAddresses.lastSuccessAt} > ${ago(windows.knownAddressMs)}) as known,
      (select count(*)::int from ${loginAttempts} where ${unknownFailures}) as account_failures,
      (select max(${loginAttempts.createdAt}) from ${loginAttempts} where ${unknownFailures}) as account_last`,
  );
  const date = (value: string | null) => (value === null ? null : new Date(value));
  return {
    now: new Date(row!.now),
    pairLockedAt: date(row!.pair),
    addressNthFailureAt: date(row!.address),
    knownAddress: row!.known,
    accountFailures: Number(row!.account_failures),
    accountLastFailureAt: date(row!.account_last),
  };
}

/** Records an attempt about to be checked; it counts as a failure until {@link settleLoginAttempt}. */
export async function insertPendingAttempt({ email, ip, knownAddress }: { email: string; ip: string; knownAddress: boolean }, tx: Tx): Promise<number> {
  const [row] = await tx.insert(loginAttempts).values({ email, ip, knownAddress, outcome: "pending" }).returning({ id: loginAttempts.id });
  return row!.id;
}

/** Settles an attempt. A success forgives this email's earlier failures from the same address. */
export async function settleLoginAttempt({ id, outcome }: { id: number; outcome: Extract<LoginOutcome, "failed" | "succeeded"> }): Promise<void> {
  await getDb().transaction(async (tx) => {
    const [attempt] = await tx.update(loginAttempts).set({ outcome }).where(eq(loginAttempts.id, id)).returning();
    if (outcome !== "succeeded" || !attempt) return;
    await tx
      .update(loginAttempts)
      .set({ outcome: "forgiven" })
      .where(and(eq(loginAttempts.email, attempt.email), eq(loginAttempts.ip, attempt.ip), eq(loginAttempts.outcome, "failed")));
  });
}

/** Marks the address as one the user signs in from. */
export async function rememberSignInAddress({ userId, ip }: { userId: string; ip: string }): Promise<void> {
  await getDb()
    .insert(signInAddresses)
    .values({ userId, ip })
    .onConflictDoUpdate({ target: [signInAddresses.userId, signInAddresses.ip], set: { lastSuccessAt: sql`now()` } });
}

export interface RefusalRun {
  orgId: string;
  throttleKey: string;
  userId: string | null;
  userEmail: string | null;
  ip: string | null;
  refused: number;
  firstAt: Date;
  lastAt: Date;
}

/**
 * Counts one refused attempt in the run of its key, starting a run when none is open. Returns the run's count
 * (1 for the first refusal).
 */
export async function countRefusal(run: { orgId: string; throttleKey: string; userId: string; userEmail: string; ip: string; until: Date }, tx: Tx): Promise<number> {
  const [row] = await tx
    .insert(signInRefusals)
    .values({ ...run })
    .onConflictDoUpdate({
      target: [signInRefusals.orgId, signInRefusals.throttleKey],
      set: { refused: sql`${signInRefusals.refused} + 1`, lastAt: sql`now()`, until: sql`greatest(${signInRefusals.until}, excluded.until)` },
    })
    .returning({ refused: signInRefusals.refused });
  return row!.refused;
}

/** Ends the runs whose throttle has lifted (of one key, or all), returning them for their summaries. */
export async function closeRefusalRuns(key: { orgId: string; throttleKey: string } | null, executor: Executor): Promise<RefusalRun[]> {
  return executor
    .delete(signInRefusals)
    .where(and(lt(signInRefusals.until, sql`now()`), key ? eq(signInRefusals.orgId, key.orgId) : undefined, key ? eq(signInRefusals.throttleKey, key.throttleKey) : undefined))
    .returning({
      orgId: signInRefusals.orgId,
      throttleKey: signInRefusals.throttleKey,
      userId: signInRefusals.userId,
      userEmail: signInRefusals.userEmail,
      ip: signInRefusals.ip,
      refused: signInRefusals.refused,
      firstAt: signInRefusals.firstAt,
      lastAt: signInRefusals.lastAt,
    });
}

/** Forgets attempts older than `olderThanMs` and usual addresses older than `addressesOlderThanMs`: both tables stay small. */
export async function pruneLoginAttempts({ olderThanMs, addressesOlderThanMs }: { olderThanMs: number; addressesOlderThanMs: number }): Promise<void> {
  await getDb().delete(loginAttempts).where(lt(loginAttempts.createdAt, ago(olderThanMs)));
  await getDb().delete(signInAddresses).where(lt(signInAddresses.lastSuccessAt, ago(addressesOlderThanMs)));
}
