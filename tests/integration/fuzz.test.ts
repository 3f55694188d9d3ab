import fc from "fast-check";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { getDb, queryRows } from "@/db";
import { heartbeats } from "@/lib/agents/heartbeats";
import { acceptedCredential, createRouteFixture, readBody, routeHandlers, ROUTES, send, type RouteRequest } from "../api-routes";

/**
 * Property-based fuzzing of every route (tests/api-routes.ts): random bodies, wrong types, huge strings, deep
 * nesting, unicode, NUL and lone surrogates, duplicate keys, malformed JSON, odd query strings and path segments,
 * sent with the credential the route accepts, so they reach validation and beyond. Never a 5xx; a refused request
 * changes nothing of the organization's (a refusal may only add its own failure audit row).
 *
 * FUZZ_RUNS sets the cases per route (default 20, about 900 cases per engine); FUZZ_SEED replays a run (fast-check
 * prints the seed and the shrunk case of a failure).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 20);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

// ---- values that break things ----

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const anyCodePoint = fc.oneof({ weight: 8, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) }, { weight: 1, arbitrary: loneSurrogate });

const nastyString = fc.oneof(
  fc.string({ unit: anyCodePoint, maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom("", " ", "\u0000", "a\u0000b", "\uD800", "x\uDFFF", "\u202Eexe.jpg", "\u200B", "🧨", "%00", "%E0%A4%A", "../../etc/passwd", "' OR 1=1 --", "<script>", "\\", "null", "0", "-1", "1e309", "NaN", "v0", "v-1", "v99999999999999999999", "ring=canary,", "a in (", "pol-mfa-required"),
  // Up to twice the 1 MiB body limit.
  fc.integer({ min: 1000, max: 2_100_000 }).map((length) => "x".repeat(length)),
);

/**
 * `depth` levels of arrays or objects around a leaf (the limit is 32), built only when sent (`toJSON`): fast-check
 * describes a case recursively, which a deep value would overflow. Deeper still (to 200,000 levels) is sent as raw
 * text below: JSON.stringify itself recurses.
 */
class Nested {
  constructor(
    readonly depth: number,
    readonly arrays: boolean,
  ) {}
  toJSON(): unknown {
    let value: unknown = "leaf";
    for (let level = 0; level < this.depth; level++) value = this.arrays ? [value] : { child: value };
    return value;
  }
  [fc.toStringMethod](): string {
    return `${this.depth} levels of ${this.arrays ? "arrays" : "objects"}`;
  }
}
const deeplyNested = fc.tuple(fc.integer({ min: 20, max: 1000 }), fc.boolean()).map(([depth, arrays]) => new Nested(depth, arrays));

const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(true, false, null, 0, -1, 2 ** 53, 1e308, [], {}),
  fc.jsonValue({ maxDepth: 3 }),
  deeplyNested,
  fc.array(nastyString, { maxLength: 300 }),
  fc.dictionary(nastyString, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 5 }),
);

// ---- requests built from the accepted one ----

type Path = (string | number)[];

/** Every place in a JSON value where another value could go. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== "object") return [prefix];
  const entries = Array.isArray(value) ? value.map((item, index) => [index, item] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, item]) => pathsOf(item, [...prefix, key]))];
}

function replaceAt(value: unknown, path: Path, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
  copy[head!] = replaceAt(copy[head!], rest, replacement);
  return copy;
}

/** Raw bodies JSON.stringify never writes. */
function rawBodies(body: unknown): fc.Arbitrary<string> {
  const text = JSON.stringify(body ?? {});
  return fc.oneof(
    // A duplicate key: JSON.parse keeps the last, which must be validated like any other.
    fc.tuple(fc.nat(), nastyValue).map(([pick, value]) => {
      const keys = body && typeof body === "object" && !Array.isArray(body) ? Object.keys(body) : [];
      const key = keys.length > 0 ? keys[pick % keys.length]! : "key";
      return text.startsWith("{") && text !== "{}" ? `${text.slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(value) ?? "null"}}` : `{${JSON.stringify(key)}:1,${JSON.stringify(key)}:${JSON.stringify(value) ?? "null"}}`;
    }),
    // Truncated, padded or mangled JSON, and text that is not JSON at all.
    fc.nat().map((cut) => text.slice(0, cut % (text.length + 1))),
    fc.constantFrom("", "   ", "null", "[]", "\"text\"", "{", "}", "{\"a\":}", "{'a': 1}", "NaN", "\u0000", "\uFEFF{}", `${text}${text}`, `${text},`),
    fc.integer({ min: 10_000, max: 200_000 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`),
    fc.string({ unit: anyCodePoint, maxLength: 200 }),
  );
}

function mutatedBody(body: unknown): fc.Arbitrary<unknown> {
  const paths = pathsOf(body ?? {});
  return fc.oneof(
    { weight: 5, arbitrary: fc.tuple(fc.nat(), nastyValue).map(([pick, value]) => replaceAt(body ?? {}, paths[pick % paths.length]!, value)) },
    { weight: 1, arbitrary: fc.tuple(nastyString, nastyValue).map(([key, value]) => ({ ...(body && typeof body === "object" ? body : {}), [key]: value })) },
    { weight: 1, arbitrary: nastyValue },
    { weight: 2, arbitrary: rawBodies(body) },
  );
}

const queryKey = fc.oneof(fc.constantFrom("status", "limit", "offset", "search", "type", "enabled", "action", "resource", "user_email", "success", "since", "until", "cursor", "format", "state", "confirm"), nastyString);
const queryString = fc.oneof(
  fc.array(fc.tuple(queryKey, nastyString), { maxLength: 6 }).map((pairs) => new URLSearchParams(pairs).toString()),
  // Repeated keys, bad percent-encoding, separators only.
  fc.constantFrom("limit=1&limit=x", "%", "%zz=1", "a=%E0%A4%A", "&&&", "=", "limit=%00", "since=9999-99-99", "limit=1e3", "limit=-0", "cursor=-1", "status=online&status=offline"),
);

function mutatedRequest(accepted: RouteRequest, method: string): fc.Arbitrary<RouteRequest> {
  const takesBody = method !== "GET" && method !== "HEAD";
  const params = accepted.params ?? {};
  const paramNames = Object.keys(params).filter((name) => typeof params[name] === "string");
  const mutatedParams = paramNames.length === 0 ? fc.constant(params) : fc.tuple(fc.nat(), nastyString).map(([pick, value]) => ({ ...params, [paramNames[pick % paramNames.length]!]: value.slice(0, 2000) }));
  const parts = {
    params: fc.oneof({ weight: 3, arbitrary: fc.constant(params) }, { weight: 1, arbitrary: mutatedParams }),
    query: fc.oneof({ weight: 1, arbitrary: fc.constant(accepted.query) }, { weight: 2, arbitrary: queryString }),
    body: takesBody ? mutatedBody(accepted.body) : fc.constant(undefined),
  };
  return fc.record(parts).map(({ params: p, query, body }) => ({ params: p, query, body: body === undefined && takesBody ? "" : body }));
}

// ---- what the organization holds ----

/** A digest of every row the routes can write for the organization; refused requests may only add failure audit rows. */
async function organizationState(orgId: string): Promise<string> {
  const [row] = await queryRows<{ state: string }>(
    getDb(),
    sql`select md5(concat_ws('|',
      (select string_agg(t::text, ',' order by t::text) from organizations t where t.id = ${orgId}),
      (select string_agg(t::text, ',' order by t::text) from org_counters t where t.org_id = ${orgId}),
      (select string_agg(t::text, ',' order by t::text) from policies t where t.org_id = ${orgId}),
      (select string_agg(t::text, ',' order by t::text) from policy_revisions t where t.org_id = ${orgId}),
      (select string_agg(t::text, ',' order by t::text) from change_requests t where t.org_id = ${orgId}),
      (select string_agg(t::text, ',' order by t::text) from agent_policy_versions t where t.org_id = ${orgId}),
      (select string_agg(t::text, ',' order by t::text) from enrollment_keys t where t.org_id = ${orgId}),
      (select string_agg(t::text, ',' order by t::text) from agents t where t.org_id = ${orgId}),
      (select string_agg(t::text, ',' order by t::text) from agent_version_reports t where t.org_id = ${orgId}),
      (select string_agg(t::text, ',' order by t::text) from agent_events t where t.org_id = ${orgId}),
      (select string_agg(t::text, ',' order by t::text) from audit_logs t where t.org_id = ${orgId} and t.success)
    )) as state`,
  );
  return row!.state;
}

const totals = { cases: 0, accepted: 0, refused: 0 };
const byStatus = new Map<number, number>();

afterAll(() => {
  const statuses = [...byStatus].sort(([a], [b]) => a - b).map(([status, count]) => `${status}: ${count}`).join(", ");
  // The figures docs/testing.md quotes: printed with the test run, on every engine.
  process.stdout.write(`fuzz (${process.env.PALISADE_TEST_ENGINE}): ${totals.cases} cases over ${Object.keys(ROUTES).length} routes (${RUNS} per route), ${totals.accepted} accepted, ${totals.refused} refused (${statuses})\n`);
});

const handlers = await routeHandlers();

describe("random, malformed and hostile input", () => {
  it.each(handlers.map((route) => [route.key, route] as const))("%s: never a 5xx, and a refusal changes nothing", async (_key, route) => {
    const spec = ROUTES[route.key];
    if (!spec) throw new Error(`${route.key} has no entry in tests/api-routes.ts`);
    const fixture = await createRouteFixture({ rollout: spec.rollout });
    const headers = acceptedCredential(spec, fixture);
    const accepted = (await spec.request?.(fixture)) ?? {};
    await heartbeats().flush();
    let before: string | null = null;
    await fc.assert(
      fc.asyncProperty(mutatedRequest(accepted, route.method), async (request) => {
        // After an accepted request, the state is read again; after a refusal it is what it was.
        before ??= await organizationState(fixture.org.orgId);
        const response = await send(route, request, headers);
        const body = await readBody(response);
        totals.cases++;
        byStatus.set(response.status, (byStatus.get(response.status) ?? 0) + 1);
        expect(response.status, body.slice(0, 300)).toBeLessThan(500);
        if (response.status < 400) {
          totals.accepted++;
          // Beats it answered are written on a timer: written now, so they cannot land inside a later comparison.
          await heartbeats().flush();
          before = null;
          return;
        }
        totals.refused++;
        if (spec.family === "detail") expect(JSON.parse(body)).toHaveProperty("detail");
        if (spec.family === "envelope") expect(JSON.parse(body)).toMatchObject({ ok: false, error: { code: expect.any(String) } });
        expect(await organizationState(fixture.org.orgId)).toBe(before);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
