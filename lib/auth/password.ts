import { hash, verify, type Options } from "@node-rs/argon2";
import type { ZxcvbnFactory } from "@zxcvbn-ts/core";
import { z } from "zod";
import { findEnabledPolicyOfKind } from "@/db/queries/policies";
import { parseSettings, type PasswordSettings } from "@/lib/policies/kinds";

// The package's Algorithm enum is a const enum, which isolated modules cannot read: 2 is Argon2id.
const ARGON2ID = 2 as Options["algorithm"];
// OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
const OPTIONS: Options = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** The length a new password needs where no password policy is enabled. */
export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024;

/** A password being set: on first run, for a new user, or by its owner. Its rules are checked by {@link passwordProblem}. */
export const newPasswordSchema = z.string().min(1, "Enter a password").max(MAX_PASSWORD_LENGTH, `At most ${MAX_PASSWORD_LENGTH} characters`);

const BASELINE: PasswordSettings = { minLength: MIN_PASSWORD_LENGTH, rejectCommon: false };

/**
 * The rules a new password must meet: the organization's enabled password policy's, or the length alone without
 * one. A new organization (first-run setup, or a user created into one) has no policy yet: its first password
 * meets the password policy template's defaults.
 */
export async function passwordRulesFor(orgId: string | null): Promise<PasswordSettings> {
  if (orgId === null) return parseSettings("password", {}).data!;
  const policy = await findEnabledPolicyOfKind({ orgId, kind: "password" });
  return policy ? (policy.settings as PasswordSettings) : BASELINE;
}

let zxcvbn: Promise<ZxcvbnFactory> | undefined;

/** zxcvbn-ts with its common-password, name and English dictionaries: loaded on first use (a few MB). */
function strengthEstimator(): Promise<ZxcvbnFactory> {
  zxcvbn ??= (async () => {
    const [{ ZxcvbnFactory }, common, english] = await Promise.all([import("@zxcvbn-ts/core"), import("@zxcvbn-ts/language-common"), import("@zxcvbn-ts/language-en")]);
    return new ZxcvbnFactory({ dictionary: { ...common.dictionary, ...english.dictionary }, graphs: common.adjacencyGraphs, translations: english.translations });
  })();
  return zxcvbn;
}

/** zxcvbn's score below which a password counts as common: 3 means "safely unguessable" (about 10^8 guesses or more). */
const MIN_STRENGTH_SCORE = 3;

/**
 * What is wrong with a new password under the rules, naming the rule it fails, or null. `userInputs` (the email,
 * the organization) count as guessable words.
 */
export async function passwordProblem(password: string, rules: PasswordSettings, userInputs: string[] = []): Promise<string | null> {
  if ([...password].length < rules.minLength) return `Must be at least ${rules.minLength} characters (password policy: minimum length ${rules.minLength})`;
  if (password.length > MAX_PASSWORD_LENGTH) return `At most ${MAX_PASSWORD_LENGTH} characters`;
  if (!rules.rejectCommon) return null;
  const { score, feedback } = (await strengthEstimator()).check(password, userInputs);
  if (score >= MIN_STRENGTH_SCORE) return null;
  return `Too easy to guess (password policy: common passwords rejected)${feedback.warning ? `: ${feedback.warning}` : ""} Use a longer phrase of unrelated words.`;
}

export type NewPasswordHash = { ok: true; hash: string } | { ok: false; problem: string };

/** Checks a password being set against the organization's rules ({@link passwordRulesFor}) and hashes it. */
export async function hashNewPassword(password: string, { orgId, userInputs }: { orgId: string | null; userInputs: string[] }): Promise<NewPasswordHash> {
  const problem = await passwordProblem(password, await passwordRulesFor(orgId), userInputs);
  return problem ? { ok: false, problem } : { ok: true, hash: await hashPassword(password) };
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

let dummyHash: Promise<string> | undefined;

/**
 * Verifies a password. With no stored hash (unknown user) it still runs one full argon2id
 * verification against a dummy hash, so timing does not tell whether the account exists.
 */
export async function verifyPassword(storedHash: string | null | undefined, password: string): Promise<boolean> {
  if (!storedHash) {
    dummyHash ??= hashPassword("palisade-timing-equalizer");
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  return verify(storedHash, password).catch(() => false);
}
