import "server-only";
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { z } from "zod";
import type { Passkey } from "@/db/schema";
import { env } from "@/lib/env";

/**
 * Palisade's WebAuthn relying party: its id and origin, its challenges, and the two ceremonies' checks. User
 * verification is always required, so a passkey alone is two factors (something held, and a PIN or biometric).
 */

const RP_NAME = "Palisade";
const CEREMONY_TIMEOUT_MS = 2 * 60_000;
/** A challenge is answered within this long, or never. */
export const CHALLENGE_LIFETIME_MS = 5 * 60_000;

export interface RelyingParty {
  id: string;
  origin: string;
}

/** From AUTH_URL (the console's public URL), else http://localhost:PORT; WEBAUTHN_RP_ID overrides the id. */
export function relyingParty(): RelyingParty {
  const config = env();
  const url = new URL(config.AUTH_URL ?? `http://localhost:${config.PORT}`);
  return { id: config.WEBAUTHN_RP_ID ?? url.hostname, origin: url.origin };
}

/**
 * What a challenge is for. Registration challenges are bound to the session that asked (`user:session`), so one
 * session's challenge cannot complete another's ceremony; sign-in challenges are bound to nothing.
 */
export type ChallengePurpose = { kind: "register"; userId: string; sessionId: string } | { kind: "sign_in" };

const NONCE_BYTES = 16;
const EXPIRY_BYTES = 8;
const MAC_BYTES = 32;

function challengeKey(): Buffer {
  const secret = env().AUTH_SECRET;
  if (!secret) throw new Error("AUTH_SECRET is not set");
  return Buffer.from(hkdfSync("sha256", secret, "palisade", "palisade/webauthn-challenge/v1", 32));
}

function purposeLabel(purpose: ChallengePurpose): string {
  return purpose.kind === "register" ? `register:${purpose.userId}:${purpose.sessionId}` : "sign_in";
}

function challengeMac(purpose: ChallengePurpose, body: Buffer): Buffer {
  return createHmac("sha256", challengeKey()).update(purposeLabel(purpose)).update("\0").update(body).digest();
}

/**
 * A fresh challenge: a nonce and its expiry, sealed with an HMAC over the purpose. Nothing is stored until it is
 * answered (spendChallenge, in the answer's transaction, makes it single-use).
 */
export function issueChallenge(purpose: ChallengePurpose, now = Date.now()): string {
  const expiry = Buffer.alloc(EXPIRY_BYTES);
  expiry.writeBigUInt64BE(BigInt(now + CHALLENGE_LIFETIME_MS));
  const body = Buffer.concat([randomBytes(NONCE_BYTES), expiry]);
  return Buffer.concat([body, challengeMac(purpose, body)]).toString("base64url");
}

/** When a challenge this server issued for this purpose expires, or null when it did not issue it. */
export function challengeExpiry(challenge: string, purpose: ChallengePurpose): Date | null {
  const bytes = Buffer.from(challenge, "base64url");
  if (bytes.length !== NONCE_BYTES + EXPIRY_BYTES + MAC_BYTES) return null;
  const body = bytes.subarray(0, NONCE_BYTES + EXPIRY_BYTES);
  if (!timingSafeEqual(bytes.subarray(body.length), challengeMac(purpose, body))) return null;
  return new Date(Number(body.readBigUInt64BE(NONCE_BYTES)));
}

function isLiveChallenge(challenge: string, purpose: ChallengePurpose, now = Date.now()): boolean {
  const expiry = challengeExpiry(challenge, purpose);
  return expiry !== null && expiry.getTime() > now;
}

/** The library base64url-encodes the challenge it is given as bytes: so the browser sees the challenge issued. */
const challengeBytes = (challenge: string) => new Uint8Array(Buffer.from(challenge, "base64url"));

const base64url = z.string().max(16_384).regex(/^[A-Za-z0-9_-]*$/, "must be base64url");
const credentialFields = {
  id: base64url.min(1).max(1024),
  rawId: base64url.min(1).max(1024),
  type: z.literal("public-key"),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
};

/** What the browser's `startAuthentication()` returns, as Palisade accepts it. */
export const authenticationResponseSchema = z.object({
  ...credentialFields,
  response: z.object({ clientDataJSON: base64url, authenticatorData: base64url, signature: base64url, userHandle: base64url.optional() }),
});

/** What the browser's `startRegistration()` returns, as Palisade accepts it. */
export const registrationResponseSchema = z.object({
  ...credentialFields,
  response: z.object({
    clientDataJSON: base64url,
    attestationObject: base64url,
    transports: z.array(z.string().max(32)).max(10).optional(),
    authenticatorData: base64url.optional(),
    publicKey: base64url.optional(),
    publicKeyAlgorithm: z.number().int().optional(),
  }),
});

/** A JSON text posted by the browser, parsed against `schema`; null when it is not that. */
export function parseCeremonyResponse<S extends z.ZodType>(schema: S, text: string): z.output<S> | null {
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The WebAuthn user handle of a user: their id. It tells which account a discoverable credential belongs to. */
export function userHandleOf(userId: string): string {
  return Buffer.from(userId, "utf8").toString("base64url");
}

export function registrationOptions(input: {
  userId: string;
  sessionId: string;
  email: string;
  existing: Pick<Passkey, "credentialId" | "transports">[];
}): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { userId, sessionId, email, existing } = input;
  return generateRegistrationOptions({
    rpName: RP_NAME,
    rpID: relyingParty().id,
    userName: email,
    userDisplayName: email,
    userID: new Uint8Array(Buffer.from(userId, "utf8")),
    challenge: challengeBytes(issueChallenge({ kind: "register", userId, sessionId })),
    timeout: CEREMONY_TIMEOUT_MS,
    attestationType: "none",
    // The same authenticator cannot be registered twice.
    excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
  });
}

/** Options for a sign-in: no credential list, so the page reveals nothing about who has which passkey. */
export function authenticationOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: relyingParty().id,
    challenge: challengeBytes(issueChallenge({ kind: "sign_in" })),
    timeout: CEREMONY_TIMEOUT_MS,
    userVerification: "required",
  });
}

/** The challenge a ceremony's client data answers (unchecked: the verification checks it). */
function answeredChallenge(clientDataJSON: string): string | null {
  try {
    const data: unknown = JSON.parse(Buffer.from(clientDataJSON, "base64url").toString("utf8"));
    return typeof data === "object" && data !== null && "challenge" in data && typeof data.challenge === "string" ? data.challenge : null;
  } catch {
    return null;
  }
}

export interface VerifiedRegistration {
  challenge: string;
  credentialId: string;
  publicKey: string;
  counter: number;
  transports: string[];
  multiDevice: boolean;
  backedUp: boolean;
}

/** Checks a registration answered this session's live challenge, from our origin, with user verification. */
export async function verifyRegistration(
  response: z.output<typeof registrationResponseSchema>,
  purpose: Extract<ChallengePurpose, { kind: "register" }>,
): Promise<VerifiedRegistration | null> {
  const challenge = answeredChallenge(response.response.clientDataJSON);
  const rp = relyingParty();
  try {
    const { verified, registrationInfo } = await verifyRegistrationResponse({
      response: response as RegistrationResponseJSON,
      expectedChallenge: (answered) => isLiveChallenge(answered, purpose),
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
    });
    if (!verified || !registrationInfo || !challenge) return null;
    const { credential } = registrationInfo;
    return {
      challenge,
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString("base64url"),
      counter: credential.counter,
      transports: credential.transports ?? [],
      multiDevice: registrationInfo.credentialDeviceType === "multiDevice",
      backedUp: registrationInfo.credentialBackedUp,
    };
  } catch {
    return null;
  }
}

export type AssertionCheck =
  | { ok: true; challenge: string; newCounter: number; backedUp: boolean }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "counter_regressed"; newCounter: number };

/**
 * Checks a sign-in assertion against a stored passkey: a live sign-in challenge, our origin and relying party, user
 * verification, the signature, and the signature counter. A counter that does not move forward (when the
 * authenticator keeps one) is told apart: it means the credential was cloned, and the caller audits it.
 */
export async function verifyAssertion(response: z.output<typeof authenticationResponseSchema>, passkey: Pick<Passkey, "credentialId" | "publicKey" | "counter" | "transports">): Promise<AssertionCheck> {
  const challenge = answeredChallenge(response.response.clientDataJSON);
  const rp = relyingParty();
  let newCounter: number;
  let backedUp: boolean;
  try {
    const { verified, authenticationInfo } = await verifyAuthenticationResponse({
      response: response as AuthenticationResponseJSON,
      expectedChallenge: (answered) => isLiveChallenge(answered, { kind: "sign_in" }),
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      // The counter is checked below, where a regression can be told from any other failure.
      credential: { id: passkey.credentialId, publicKey: new Uint8Array(Buffer.from(passkey.publicKey, "base64url")), counter: 0 },
      requireUserVerification: true,
    });
    if (!verified || !challenge) return { ok: false, reason: "invalid" };
    ({ newCounter, credentialBackedUp: backedUp } = authenticationInfo);
  } catch {
    return { ok: false, reason: "invalid" };
  }
  if ((newCounter > 0 || passkey.counter > 0) && newCounter <= passkey.counter) return { ok: false, reason: "counter_regressed", newCounter };
  return { ok: true, challenge, newCounter, backedUp };
}
