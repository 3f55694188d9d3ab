import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb, queryRows } from "@/db";
import { pruneLoginAttempts } from "@/db/queries/login-attempts";
import { pruneMfaEnrollments } from "@/db/queries/mfa";
import { pruneSpentChallenges } from "@/db/queries/passkeys";
import { pruneConsoleSessions, touchConsoleSession } from "@/db/queries/users";
import { randomHex } from "@/lib/ids";
import { createTestOrg } from "../helpers";

const HOUR = 60 * 60 * 1000;
const count = async (query: ReturnType<typeof sql>) => Number((await queryRows<{ n: number }>(getDb(), query))[0]!.n);

describe("maintenance keeps the sign-in tables bounded, and forgets only what has aged out", () => {
  it("login attempts and usual addresses", async () => {
    const email = `prune-${randomHex(4)}@example.test`;
    const { viewer } = await createTestOrg();
    await getDb().execute(sql`insert into login_attempts (email, ip, known_address, outcome, created_at) values
      (${email}, '192.0.2.1', false, 'failed', now() - interval '49 hours'), (${email}, '192.0.2.1', false, 'failed', now() - interval '47 hours')`);
    await getDb().execute(sql`insert into sign_in_addresses (user_id, ip, last_success_at) values
      (${viewer.user.id}, '192.0.2.1', now() - interval '91 days'), (${viewer.user.id}, '192.0.2.2', now() - interval '89 days')`);
    await pruneLoginAttempts({ olderThanMs: 48 * HOUR, addressesOlderThanMs: 90 * 24 * HOUR });
    expect(await count(sql`select count(*)::int as n from login_attempts where email = ${email}`)).toBe(1);
    expect(await count(sql`select count(*)::int as n from sign_in_addresses where user_id = ${viewer.user.id} and ip = '192.0.2.2'`)).toBe(1);
    expect(await count(sql`select count(*)::int as n from sign_in_addresses where user_id = ${viewer.user.id}`)).toBe(1);
  });

  it("MFA enrolments and console session activity", async () => {
    const { viewer } = await createTestOrg();
    await getDb().execute(sql`insert into mfa_enrollments (user_id, session_id, totp_secret, created_at) values
      (${viewer.user.id}, 'old', 'sealed', now() - interval '25 hours'), (${viewer.user.id}, 'new', 'sealed', now() - interval '23 hours')`);
    await pruneMfaEnrollments({ olderThanMs: 24 * HOUR });
    expect(await queryRows(getDb(), sql`select session_id from mfa_enrollments where user_id = ${viewer.user.id}`)).toEqual([{ session_id: "new" }]);

    await touchConsoleSession({ userId: viewer.user.id, sessionId: "recent" });
    await touchConsoleSession({ userId: viewer.user.id, sessionId: "stale" });
    await getDb().execute(sql`update console_sessions set last_seen_at = now() - interval '13 hours' where user_id = ${viewer.user.id} and session_id = 'stale'`);
    await pruneConsoleSessions({ olderThanMs: 12 * HOUR });
    expect(await queryRows(getDb(), sql`select session_id from console_sessions where user_id = ${viewer.user.id}`)).toEqual([{ session_id: "recent" }]);
  });

  it("answered WebAuthn challenges, once they have expired", async () => {
    const [expired, live] = [`expired-${randomHex(6)}`, `live-${randomHex(6)}`];
    await getDb().execute(sql`insert into spent_webauthn_challenges (challenge_hash, expires_at) values
      (${expired}, now() - interval '1 second'), (${live}, now() + interval '1 minute')`);
    await pruneSpentChallenges();
    expect(await queryRows(getDb(), sql`select challenge_hash from spent_webauthn_challenges where challenge_hash in (${expired}, ${live})`)).toEqual([{ challenge_hash: live }]);
  });
});
