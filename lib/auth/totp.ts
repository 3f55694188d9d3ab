import { Secret, TOTP } from "otpauth";
import QRCode from "qrcode";
import { randomBytes } from "node:crypto";
import { hashSecret } from "./secrets";

const ISSUER = "Palisade";
const PERIOD = 30;

function totp(secretBase32: string, label = "") {
  return new TOTP({ issuer: ISSUER, label, algorithm: "SHA1", digits: 6, period: PERIOD, secret: Secret.fromBase32(secretBase32) });
}

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The otpauth:// URI an authenticator app scans, and the same as an SVG QR code. */
export async function totpEnrollment(secretBase32: string, email: string): Promise<{ uri: string; qrSvg: string }> {
  const uri = totp(secretBase32, email).toString();
  return { uri, qrSvg: await QRCode.toString(uri, { type: "svg", margin: 1, errorCorrectionLevel: "M" }) };
}

/**
 * Checks a 6-digit code, allowing one period of clock drift either way. Returns the time step it matched,
 * or null. Callers refuse steps at or before the last accepted one, so a code works only once.
 */
export function matchTotp(secretBase32: string, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const generator = totp(secretBase32);
  const delta = generator.validate({ token: code, timestamp: now, window: 1 });
  return delta === null ? null : generator.counter({ timestamp: now }) + delta;
}

/** For tests and the reference tooling: the code an authenticator would show now. */
export function currentTotp(secretBase32: string, now = Date.now()): string {
  return totp(secretBase32).generate({ timestamp: now });
}

export const RECOVERY_CODE_COUNT = 10;

/** Ten one-time recovery codes like "7f3k-9q2m-x8c1", shown once and stored as SHA-256 hashes. */
export function newRecoveryCodes(): string[] {
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(12);
    const chars = Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join("");
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
  });
}

/** Recovery codes are compared case- and separator-insensitively. */
export function hashRecoveryCode(code: string): string {
  return hashSecret(code.toLowerCase().replace(/[^a-z0-9]/g, ""));
}
