import { createHash, randomBytes } from "node:crypto";

/** Recognizable prefixes, so a leaked secret can be identified (and secret scanners can match it). */
export const SECRET_PREFIXES = {
  apiToken: "pal_",
  agentToken: "pagt_",
  enrollmentKey: "penr_",
} as const;
export type SecretKind = keyof typeof SECRET_PREFIXES;

const SECRET_BYTES = 32;
const BODY_PATTERN = /^[A-Za-z0-9_-]{43}$/;
// How much of a secret may be shown later to tell secrets apart: the prefix and 6 characters.
const VISIBLE_CHARACTERS = 6;

export interface IssuedSecret {
  /** Shown to the user exactly once. */
  secret: string;
  /** What the database stores. */
  hash: string;
  /** Safe to display: the kind prefix and the first few characters. */
  displayPrefix: string;
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

export function issueSecret(kind: SecretKind): IssuedSecret {
  const prefix = SECRET_PREFIXES[kind];
  const secret = prefix + randomBytes(SECRET_BYTES).toString("base64url");
  return { secret, hash: hashSecret(secret), displayPrefix: secret.slice(0, prefix.length + VISIBLE_CHARACTERS) };
}

/** True when the string has the exact shape of a secret of this kind; anything else is refused without a lookup. */
export function isWellFormedSecret(kind: SecretKind, candidate: string): boolean {
  const prefix = SECRET_PREFIXES[kind];
  return candidate.startsWith(prefix) && BODY_PATTERN.test(candidate.slice(prefix.length));
}
