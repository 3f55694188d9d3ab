import ipaddr from "ipaddr.js";
import { z } from "zod";
import type { PolicyType } from "./constants";

/**
 * Policy kinds: security policies with typed settings that Palisade enforces on its own console and API.
 * Safe for the browser: the console builds each kind's settings form from these schemas.
 */
export const POLICY_KINDS = ["password", "login_limits", "session_timeout", "ip_allowlist"] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

const whole = (min: number, max: number, fallback: number) =>
  z.int(`must be a whole number from ${min} to ${max}`).min(min, `must be at least ${min}`).max(max, `must be at most ${max}`).default(fallback);

/** One address or a CIDR range, IPv4 or IPv6, stored as a normalized CIDR (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7/32`). */
export const cidrRange = z
  .string()
  .trim()
  .transform((value, context) => {
    const range = parseRange(value);
    if (range) return `${range[0].toString()}/${range[1]}`;
    context.addIssue({ code: "custom", message: "must be an IPv4 or IPv6 address or CIDR range, such as 10.0.0.0/8 or 2001:db8::/32" });
    return z.NEVER;
  });

function parseRange(value: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | null {
  if (ipaddr.isValidCIDR(value)) {
    // The network address, so 10.1.2.3/8 and 10.0.0.0/8 are one range.
    const [address, bits] = ipaddr.parseCIDR(value);
    const network = address.kind() === "ipv4" ? ipaddr.IPv4.networkAddressFromCIDR(value) : ipaddr.IPv6.networkAddressFromCIDR(value);
    return [network, bits];
  }
  if (ipaddr.isValid(value)) {
    const address = ipaddr.parse(value);
    return [address, address.kind() === "ipv4" ? 32 : 128];
  }
  return null;
}

export const IP_ALLOWLIST_SCOPES = ["console", "api", "both"] as const;
export type IpAllowlistScope = (typeof IP_ALLOWLIST_SCOPES)[number];

const settingsSchemas = {
  password: z.strictObject({
    minLength: whole(8, 128, 12).meta({ title: "Minimum length", description: "Characters a new password needs at least." }),
    rejectCommon: z.boolean().default(true).meta({ title: "Reject common passwords", description: "Refuse passwords that are common or easy to guess (zxcvbn's dictionaries and patterns)." }),
  }),
  login_limits: z.strictObject({
    maxFailures: whole(3, 100, 10).meta({ title: "Failed sign-ins allowed", description: "Per account and address, inside the window." }),
    windowMinutes: whole(1, 1440, 15).meta({ title: "Window (minutes)", description: "How far back failures count." }),
    lockoutMinutes: whole(1, 1440, 15).meta({ title: "Lockout (minutes)", description: "How long that address is locked out of the account once the limit is reached." }),
  }),
  session_timeout: z.strictObject({
    absoluteHours: whole(1, 12, 12).meta({ title: "Absolute lifetime (hours)", description: "Sessions end this long after sign-in, however active." }),
    idleMinutes: whole(5, 720, 30).meta({ title: "Idle timeout (minutes)", description: "Sessions end after this long without use." }),
  }),
  ip_allowlist: z.strictObject({
    cidrs: z
      .array(cidrRange)
      .min(1, "must list at least one address or range")
      .max(100, "must list at most 100 addresses or ranges")
      .meta({ title: "Allowed addresses", description: "One IPv4 or IPv6 address or CIDR range a line, such as 10.0.0.0/8 or 2001:db8::/32." }),
    appliesTo: z.enum(IP_ALLOWLIST_SCOPES).default("both").meta({ title: "Applies to", choices: { console: "The console", api: "The API (tokens)", both: "The console and the API" } }),
  }),
} satisfies Record<PolicyKind, z.ZodType>;

export type PolicySettings<K extends PolicyKind = PolicyKind> = z.output<(typeof settingsSchemas)[K]>;
export type PasswordSettings = PolicySettings<"password">;
export type LoginLimitsSettings = PolicySettings<"login_limits">;
export type SessionTimeoutSettings = PolicySettings<"session_timeout">;
export type IpAllowlistSettings = PolicySettings<"ip_allowlist">;

/** The active settings of an organization: one per kind at most. */
export type ActiveSettings = { [K in PolicyKind]?: PolicySettings<K> };

const scopeWords: Record<IpAllowlistScope, string> = { console: "the console", api: "the API", both: "the console and the API" };

export interface KindSpec<K extends PolicyKind> {
  type: PolicyType;
  /** What the template picker shows. */
  label: string;
  /** The new policy's default name and description. */
  name: string;
  description: string;
  settings: (typeof settingsSchemas)[K];
  /** The rule strings shown to the seed's clients, generated from the settings. */
  rules(settings: PolicySettings<K>): string[];
}

export const POLICY_KIND_SPECS: { [K in PolicyKind]: KindSpec<K> } = {
  password: {
    type: "access",
    label: "Password policy",
    name: "Password policy",
    description: "Rules every new password must meet",
    settings: settingsSchemas.password,
    rules: (s) => [`Minimum length ${s.minLength}`, s.rejectCommon ? "Common and easily guessed passwords rejected" : "Common passwords not checked"],
  },
  login_limits: {
    type: "access",
    label: "Login attempt limits",
    name: "Login attempt limits",
    description: "Failed sign-ins allowed before an account is locked from an address",
    settings: settingsSchemas.login_limits,
    rules: (s) => [
      `At most ${s.maxFailures} failed sign-ins in ${s.windowMinutes} minutes per account and address`,
      `Locked for ${s.lockoutMinutes} minutes once the limit is reached`,
    ],
  },
  session_timeout: {
    type: "session",
    label: "Session timeout",
    name: "Session timeout",
    description: "How long a console session lasts",
    settings: settingsSchemas.session_timeout,
    rules: (s) => [`Sessions end ${s.absoluteHours} hours after sign-in`, `Sessions end after ${s.idleMinutes} minutes without activity`],
  },
  ip_allowlist: {
    type: "network",
    label: "IP allowlist",
    name: "IP allowlist",
    description: "Addresses the console and the API accept requests from",
    settings: settingsSchemas.ip_allowlist,
    rules: (s) => [`Only these addresses may reach ${scopeWords[s.appliesTo]}`, ...s.cidrs.map((cidr) => `Allow ${cidr}`)],
  },
};

export function isPolicyKind(value: unknown): value is PolicyKind {
  return typeof value === "string" && (POLICY_KINDS as readonly string[]).includes(value);
}

/** Validates settings for a kind, filling defaults: what is stored and what the rules are generated from. */
export function parseSettings<K extends PolicyKind>(kind: K, input: unknown) {
  return POLICY_KIND_SPECS[kind].settings.safeParse(input ?? {}) as z.ZodSafeParseResult<PolicySettings<K>>;
}

export function rulesFor<K extends PolicyKind>(kind: K, settings: PolicySettings<K>): string[] {
  return POLICY_KIND_SPECS[kind].rules(settings);
}

/** Whether an IP allowlist admits `ip` on a channel. An unknown or malformed address is not admitted. */
export function isAddressAllowed(settings: IpAllowlistSettings, ip: string | null, channel: "console" | "api"): boolean {
  if (settings.appliesTo !== "both" && settings.appliesTo !== channel) return true;
  if (!ip || !ipaddr.isValid(ip)) return false;
  // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d; process() turns it back into IPv4.
  const address = ipaddr.process(ip);
  return settings.cidrs.some((cidr) => {
    const range = ipaddr.parseCIDR(cidr);
    return range[0].kind() === address.kind() && address.match(range);
  });
}

/** One settings field as a form shows it, read from the kind's schema: its control, limits, default and words. */
export type SettingsField = { name: string; label: string; hint?: string } & (
  | { control: "integer"; min: number; max: number; defaultValue: number }
  | { control: "boolean"; defaultValue: boolean }
  | { control: "choice"; choices: { value: string; label: string }[]; defaultValue: string }
  | { control: "lines" }
);

interface FieldMeta {
  title?: string;
  description?: string;
  choices?: Record<string, string>;
}

export function settingsFields(kind: PolicyKind): SettingsField[] {
  return Object.entries(POLICY_KIND_SPECS[kind].settings.shape).map(([name, schema]) => {
    const meta = (z.globalRegistry.get(schema) ?? {}) as FieldMeta;
    const words = { name, label: meta.title ?? name, hint: meta.description };
    const def = schema._zod.def;
    if (def.type === "array") return { ...words, control: "lines" };
    if (def.type !== "default") throw new Error(`settings field ${kind}.${name} has no control`);
    const inner = def.innerType as z.ZodType;
    if (inner instanceof z.ZodNumber) return { ...words, control: "integer", min: inner.minValue ?? 0, max: inner.maxValue ?? Number.MAX_SAFE_INTEGER, defaultValue: def.defaultValue as number };
    if (inner instanceof z.ZodBoolean) return { ...words, control: "boolean", defaultValue: def.defaultValue as boolean };
    if (inner instanceof z.ZodEnum) {
      const choices = (inner.options as string[]).map((value) => ({ value, label: meta.choices?.[value] ?? value }));
      return { ...words, control: "choice", choices, defaultValue: def.defaultValue as string };
    }
    throw new Error(`settings field ${kind}.${name} has no control`);
  });
}
