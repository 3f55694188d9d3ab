import { z } from "zod";

const databaseUrl = z
  .string()
  .trim()
  .refine(
    (value) => /^postgres(ql)?:\/\//.test(value) || value.startsWith("pglite:"),
    "must be a postgres:// or postgresql:// URL, pglite:<directory> or pglite:memory:",
  );

// An Ed25519 private key as its 32-byte seed, base64 (`openssl rand -base64 32`).
const signingSeed = z
  .string()
  .trim()
  .refine((value) => /^[A-Za-z0-9+/_-]{43}=?$/.test(value) && Buffer.from(value, "base64").length === 32, "must be 32 random bytes, base64 (openssl rand -base64 32)")
  .optional()
  .or(z.literal("").transform(() => undefined));

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: databaseUrl.optional().or(z.literal("").transform(() => undefined)),
  // With DATABASE_URL=pglite:memory:, start from this dump of a data directory (PGlite's dumpDataDir) instead of an empty database.
  PGLITE_MEMORY_TEMPLATE: z.string().min(1).optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  AUTH_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  AUTH_COOKIE_SECURE: z
    .enum(["true", "false"])
    .transform((value) => value === "true")
    .optional(),
  // The console's public URL. Passkeys are bound to its origin; without it, http://localhost:PORT.
  AUTH_URL: z.url({ protocol: /^https?$/ }).optional(),
  // The passkeys' relying-party id: AUTH_URL's host unless set, for example to a parent domain.
  WEBAUTHN_RP_ID: z.string().trim().min(1).max(253).optional(),
  TRUSTED_PROXIES: z.coerce.number().int().min(0).max(10).default(0),
  // Under the server entry, the agent data plane is served on its lean path; "route-handlers" sends it through Next.
  AGENT_DATA_PLANE: z.enum(["lean", "route-handlers"]).default("lean"),
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(12, "must be at least 12 characters").optional(),
  ADMIN_ORG: z.string().trim().min(1).max(100).default("Default"),
  SSE_KEEPALIVE_SECONDS: z.coerce.number().int().min(1).max(300).default(15),
  SSE_MAX_BUFFER_BYTES: z.coerce.number().int().min(4096).default(1024 * 1024),
  // Agent streams starting at once (authenticating, reading their start); beyond, a start answers 503 + Retry-After.
  STREAM_STARTS_MAX: z.coerce.number().int().min(1).max(100_000).default(2000),
  AGENT_EVENT_RETENTION: z.coerce.number().int().min(10).default(1000),
  AGENT_OFFLINE_AFTER_SECONDS: z.coerce.number().int().min(5).default(90),
  HEARTBEAT_FLUSH_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  // The lowest level of log line written; unset, `info` (`silent` under the test runner).
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional().or(z.literal("").transform(() => undefined)),
  // Signs the audit chain's checkpoints; unset, derived from AUTH_SECRET. Set it to keep it apart from AUTH_SECRET.
  AUDIT_SIGNING_KEY: signingSeed,
  // Signs the policies sent to agents; unset, derived from AUTH_SECRET. The previous key, while set, endorses it.
  POLICY_SIGNING_KEY: signingSeed,
  POLICY_SIGNING_KEY_PREVIOUS: signingSeed,
  // How often each instance signs a checkpoint of every organization whose chain grew.
  AUDIT_CHECKPOINT_INTERVAL_SECONDS: z.coerce.number().int().min(10).max(86_400).default(3600),
  // Audit streaming may reach loopback, link-local and private addresses (an on-premises SIEM; the tests), and plain http.
  WEBHOOK_ALLOW_PRIVATE: z
    .enum(["true", "false", ""])
    .default("false")
    .transform((value) => value === "true"),
  // GET /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, /metrics does not exist (404).
  METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{32,512}$/, "must be 32 to 512 printable ASCII characters without spaces")
    .optional()
    .or(z.literal("").transform(() => undefined)),
});

export type Env = z.infer<typeof envSchema>;

function loadEnv(): Env {
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`).join("\n");
    throw new Error(`Invalid environment configuration:\n${problems}`);
  }
  return parsed.data;
}

let cached: Env | undefined;

/** The validated environment, read once per process. */
export function env(): Env {
  cached ??= loadEnv();
  return cached;
}
