import "server-only";
import { z } from "zod";
import { bumpSessionVersion, completeEnrollment, lockSecondFactors, replaceRecoveryCodes } from "@/db/queries/mfa";
import { deletePasskey, insertPasskey, renamePasskey, spendChallenge } from "@/db/queries/passkeys";
import { getPolicy } from "@/db/queries/policies";
import { getDb } from "@/db";
import type { Passkey } from "@/db/schema";
import { recordAudit, type Actor } from "@/lib/audit/log";
import { randomHex } from "@/lib/ids";
import { MFA_POLICY_ID } from "@/lib/policies/defaults";
import { hashRecoveryCode, newRecoveryCodes } from "./totp";
import { challengeExpiry, verifyRegistration, type registrationResponseSchema } from "./webauthn";
import type { MfaState } from "./sign-in";

/** What a user calls a passkey ("Work laptop"). */
export const passkeyNameSchema = z.string().trim().min(1, "Give the passkey a name").max(60, "At most 60 characters");

/** The session changing a user's passkeys: who, which sign-in, and how that sign-in was authenticated. */
export interface FactorSession {
  actor: Actor;
  userId: string;
  sessionId: string;
  mfa: MfaState;
}

/** The factor session of a console action. */
export function factorSessionOf({ actor, user, session }: { actor: Actor; user: { id: string }; session: { sessionId: string; mfa: MfaState } }): FactorSession {
  return { actor, userId: user.id, sessionId: session.sessionId, mfa: session.mfa };
}

export type AddPasskeyOutcome =
  | { ok: true; passkey: Passkey; /** Handed out when this passkey is the user's first second factor; shown once. */ recoveryCodes: string[] | null }
  | { ok: false; reason: "invalid" | "already_registered" | "step_up_required" };

/**
 * Why a session that proved only a password may not change an account's existing second factors: with a passkey of
 * their own, whoever had the password would sign in as the user without it.
 */
const needsStepUp = (session: FactorSession, hasFactor: boolean) => hasFactor && session.mfa !== "verified";

/**
 * Registers a passkey from a ceremony this session started. The user's first second factor is an enrolment, like
 * TOTP's: recovery codes are issued, every other session ends, and this one is promoted through the grant
 * recorded for it. The passkey and its audit row commit together.
 */
export async function addPasskey(session: FactorSession, input: { response: z.output<typeof registrationResponseSchema>; name: string }): Promise<AddPasskeyOutcome> {
  const { actor, userId, sessionId } = session;
  const purpose = { kind: "register", userId, sessionId } as const;
  const verified = await verifyRegistration(input.response, purpose);
  if (!verified) return { ok: false, reason: "invalid" };
  const expiresAt = challengeExpiry(verified.challenge, purpose)!;
  return getDb().transaction(async (tx) => {
    const factors = await lockSecondFactors({ userId }, tx);
    if (!factors) return { ok: false, reason: "invalid" };
    const first = !factors.totp && factors.passkeys === 0;
    if (needsStepUp(session, !first)) return { ok: false, reason: "step_up_required" };
    if (!(await spendChallenge({ challenge: verified.challenge, expiresAt }, tx))) return { ok: false, reason: "invalid" };
    const { challenge: _challenge, ...credential } = verified;
    const passkey = await insertPasskey({ id: `pk_${randomHex(8)}`, orgId: actor.orgId, userId, name: input.name, ...credential }, tx);
    if (!passkey) return { ok: false, reason: "already_registered" };
    let recoveryCodes: string[] | null = null;
    let details = `Added passkey "${passkey.name}"`;
    if (first) {
      recoveryCodes = newRecoveryCodes();
      const grantedSessionVersion = (await bumpSessionVersion({ userId }, tx))!;
      await completeEnrollment({ userId, sessionId, grantedSessionVersion }, tx);
      await replaceRecoveryCodes({ userId, codeHashes: recoveryCodes.map(hashRecoveryCode) }, tx);
      details += ` as the first second factor, with ${recoveryCodes.length} recovery codes; every other session ended`;
    }
    await recordAudit(actor, { action: "passkey_add", resource: `user:${userId}`, details, success: true }, tx);
    return { ok: true, passkey, recoveryCodes };
  });
}

/** Undoes a removal that took the last second factor while MFA is required. */
class LastFactorKept extends Error {}

export type RemovePasskeyOutcome = { ok: true } | { ok: false; reason: "not_found" | "step_up_required" | "last_factor" };

/**
 * Removes one of the user's passkeys. While MFA Required is on, the user's last second factor stays: removing it
 * would leave an account that can only enrol again. With no factor left, the recovery codes go too.
 */
export async function removePasskey(session: FactorSession, { id }: { id: string }): Promise<RemovePasskeyOutcome> {
  const { actor, userId } = session;
  const removal = getDb().transaction(async (tx): Promise<RemovePasskeyOutcome> => {
    const factors = await lockSecondFactors({ userId }, tx);
    if (!factors) return { ok: false, reason: "not_found" };
    if (needsStepUp(session, true)) return { ok: false, reason: "step_up_required" };
    const removed = await deletePasskey({ userId, id }, tx);
    if (!removed) return { ok: false, reason: "not_found" };
    const lastFactor = !factors.totp && factors.passkeys === 1;
    // Undone, not refused up front: whether it is the last factor depends on the passkey being the user's.
    if (lastFactor && (await getPolicy({ orgId: actor.orgId, id: MFA_POLICY_ID }, tx))?.enabled) throw new LastFactorKept();
    if (lastFactor) await replaceRecoveryCodes({ userId, codeHashes: [] }, tx);
    const details = `Removed passkey "${removed.name}"${lastFactor ? "; no second factor is left, and the recovery codes were removed" : ""}`;
    await recordAudit(actor, { action: "passkey_remove", resource: `user:${userId}`, details, success: true }, tx);
    return { ok: true };
  });
  try {
    return await removal;
  } catch (error) {
    if (error instanceof LastFactorKept) return { ok: false, reason: "last_factor" };
    throw error;
  }
}

/** Renames one of the user's passkeys; false when the user has no such passkey. */
export function renameOwnPasskey({ actor, userId }: FactorSession, { id, name }: { id: string; name: string }): Promise<boolean> {
  return getDb().transaction(async (tx) => {
    const renamed = await renamePasskey({ userId, id, name }, tx);
    if (!renamed) return false;
    await recordAudit(actor, { action: "passkey_rename", resource: `user:${userId}`, details: `Renamed a passkey to "${renamed.name}"`, success: true }, tx);
    return true;
  });
}
