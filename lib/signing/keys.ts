import { createHash, createPrivateKey, createPublicKey, hkdfSync, sign, verify, type KeyObject } from "node:crypto";
import canonicalize from "canonicalize";
import { env } from "@/lib/env";
import type { SigningKeyPurpose } from "./constants";

/** A detached Ed25519 signature over a payload's canonical JSON (RFC 8785), and the id of the key that made it. */
export interface Signature {
  keyId: string;
  value: string;
}

export interface SigningKeyPair {
  purpose: SigningKeyPurpose;
  keyId: string;
  /** The raw 32-byte public key, base64: what agents pin and verifiers load. */
  publicKey: string;
  privateKey: KeyObject;
}

// DER framing of an Ed25519 PKCS#8 private key, before its 32-byte seed (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
// DER framing of an Ed25519 SubjectPublicKeyInfo, before its 32-byte key.
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** The canonical bytes that are hashed and signed: RFC 8785 JSON, UTF-8. */
export function canonicalJson(payload: unknown): string {
  const text = canonicalize(payload);
  if (text === undefined) throw new Error("nothing to canonicalize");
  return text;
}

/** A key's id: the first 16 hex digits of the SHA-256 of its raw public key. */
export function keyIdOf(publicKey: string): string {
  return createHash("sha256").update(Buffer.from(publicKey, "base64")).digest("hex").slice(0, 16);
}

export function keyPairFromSeed(purpose: SigningKeyPurpose, seed: Buffer): SigningKeyPair {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  const publicKey = spki.subarray(SPKI_ED25519_PREFIX.length).toString("base64");
  return { purpose, keyId: keyIdOf(publicKey), publicKey, privateKey };
}

function configuredSeed(purpose: SigningKeyPurpose): Buffer {
  const configured = purpose === "audit" ? env().AUDIT_SIGNING_KEY : env().POLICY_SIGNING_KEY;
  if (configured) return Buffer.from(configured, "base64");
  // Unset: derived from AUTH_SECRET, which every instance shares and the embedded database keeps beside its data.
  const secret = env().AUTH_SECRET;
  if (!secret) throw new Error(`${purpose === "audit" ? "AUDIT_SIGNING_KEY" : "POLICY_SIGNING_KEY"} is not set, and there is no AUTH_SECRET to derive it from`);
  return Buffer.from(hkdfSync("sha256", secret, "palisade", `palisade/${purpose}-signing-key/v1`, 32));
}

const pairs = new Map<SigningKeyPurpose, SigningKeyPair>();

/** The key this instance signs with for `purpose`. */
export function signingKey(purpose: SigningKeyPurpose): SigningKeyPair {
  let pair = pairs.get(purpose);
  if (!pair) pairs.set(purpose, (pair = keyPairFromSeed(purpose, configuredSeed(purpose))));
  return pair;
}

/** The policy key rotated out (POLICY_SIGNING_KEY_PREVIOUS), which endorses the current one for agents that pinned it. */
export function previousPolicyKey(): SigningKeyPair | null {
  const seed = env().POLICY_SIGNING_KEY_PREVIOUS;
  return seed ? keyPairFromSeed("policy", Buffer.from(seed, "base64")) : null;
}

export function signWith(pair: SigningKeyPair, payload: unknown): Signature {
  return { keyId: pair.keyId, value: sign(null, Buffer.from(canonicalJson(payload), "utf8"), pair.privateKey).toString("base64") };
}

/** Whether `signature` is `publicKey`'s Ed25519 signature over the payload's canonical JSON. Never throws. */
export function verifySignature(publicKey: string, payload: unknown, signature: string): boolean {
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(publicKey, "base64")]), format: "der", type: "spki" });
    return verify(null, Buffer.from(canonicalJson(payload), "utf8"), key, Buffer.from(signature, "base64"));
  } catch {
    return false;
  }
}

/** What a key endorsement signs: the new key, in the words of the key before it. */
export function endorsementPayload(pair: { purpose: SigningKeyPurpose; keyId: string; publicKey: string }) {
  return { purpose: pair.purpose, keyId: pair.keyId, publicKey: pair.publicKey };
}
