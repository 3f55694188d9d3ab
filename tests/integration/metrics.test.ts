import { afterEach, describe, expect, it } from "vitest";
import * as eventsRoute from "@/app/api/events/route";
import * as heartbeatRoute from "@/app/api/agents/heartbeat/route";
import * as streamRoute from "@/app/api/agents/stream/route";
import * as policyItem from "@/app/api/policies/[id]/route";
import * as metricsRoute from "@/app/metrics/route";
import { getDb } from "@/db";
import { heartbeats } from "@/lib/agents/heartbeats";
import { attemptSignIn } from "@/lib/auth/sign-in";
import { THROTTLE } from "@/lib/auth/throttle";
import { env } from "@/lib/env";
import { MAX_STREAMS_PER_VIEWER } from "@/lib/events/convergence-feed";
import { randomHex } from "@/lib/ids";
import { sql } from "drizzle-orm";
import { BLOCK_RULE, enrollAgent, openStream, publish } from "../agent-helpers";
import { call, createTestOrg } from "../helpers";
import type { SseReader } from "../sse-client";

/**
 * GET /metrics, scraped through its route handler as Prometheus scrapes it, before and after what each series
 * counts. Each test reads the change in its series, since earlier tests in the file moved them too.
 */
const TOKEN = `metrics-${randomHex(16)}`;
const saved = { token: env().METRICS_TOKEN, startsMax: env().STREAM_STARTS_MAX };
afterEach(() => {
  env().METRICS_TOKEN = saved.token;
  env().STREAM_STARTS_MAX = saved.startsMax;
});

const get = (headers: Record<string, string> = {}) => call(metricsRoute.GET, "GET", "/metrics", { headers });

type Series = { name: string; labels: Record<string, string>; value: number };

/** The samples of the Prometheus text format (`name{label="value",…} number`), comments skipped. */
function parse(text: string): Series[] {
  return text
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [, name, labels = "", value] = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)!;
      return { name: name!, labels: Object.fromEntries([...labels.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, text]) => [key!, text!])), value: Number(value) };
    });
}

async function scrape(): Promise<Series[]> {
  env().METRICS_TOKEN = TOKEN;
  const response = await get({ authorization: `Bearer ${TOKEN}` });
  expect(response.status).toBe(200);
  return parse(await response.text());
}

/** The value of the series with this name and these labels (among others), 0 when it has none yet. */
function valueOf(samples: Series[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
  return found?.value ?? 0;
}

/** How much each series moved while `act` ran. */
async function moved(act: () => Promise<unknown>, series: [string, Record<string, string>?][]): Promise<number[]> {
  const before = await scrape();
  await act();
  const after = await scrape();
  return series.map(([name, labels]) => valueOf(after, name, labels) - valueOf(before, name, labels));
}

describe("GET /metrics", () => {
  it("does not exist without METRICS_TOKEN, answers 401 to a missing or wrong token, and the text format to the right one", async () => {
    env().METRICS_TOKEN = undefined;
    expect((await get({ authorization: `Bearer ${TOKEN}` })).status).toBe(404);

    env().METRICS_TOKEN = TOKEN;
    for (const authorization of [undefined, `Bearer ${TOKEN.slice(0, -1)}x`, `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN]) {
      const refused = await get(authorization === undefined ? {} : { authorization });
      expect(refused.status, authorization).toBe(401);
      expect(refused.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
      expect(await refused.text()).not.toContain("palisade_");
    }
    const response = await get({ authorization: `Bearer ${TOKEN}` });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const names = new Set(parse(await response.text()).map((sample) => sample.name));
    for (const name of ["process_cpu_seconds_total", "nodejs_eventloop_lag_seconds", "palisade_db_pool_max", "palisade_event_streams_open", "palisade_agent_heartbeats_total"]) {
      expect(names, name).toContain(name);
    }
  });

  it("counts requests and their latency by route pattern and status, never by raw path", async () => {
    const org = await createTestOrg();
    const ids = [`pol-missing-${randomHex(4)}`, `pol-missing-${randomHex(4)}`];
    const series: [string, Record<string, string>][] = [
      ["palisade_http_requests_total", { method: "GET", route: "/api/policies/[id]", status: "404" }],
      ["palisade_http_request_duration_seconds_count", { method: "GET", route: "/api/policies/[id]", status: "404" }],
      ["palisade_http_requests_total", { method: "GET", route: "/api/policies/[id]", status: "200" }],
    ];
    const [notFound, timed, found] = await moved(async () => {
      for (const id of ids) expect((await call(policyItem.GET, "GET", `/api/policies/${id}`, { token: org.viewer.token, params: { id } })).status).toBe(404);
      const id = "pol-mfa-required";
      expect((await call(policyItem.GET, "GET", `/api/policies/${id}`, { token: org.viewer.token, params: { id } })).status).toBe(200);
    }, series);
    expect([notFound, timed, found]).toEqual([2, 2, 1]);
    const text = JSON.stringify(await scrape());
    for (const id of ids) expect(text).not.toContain(id);
  });

  it("counts heartbeats, open agent streams, events fanned out to them, and the heartbeats' flush lag", async () => {
    const org = await createTestOrg();
    const [first, second] = await Promise.all([enrollAgent(org, "one"), enrollAgent(org, "two")]);
    const streams: SseReader[] = [];
    const [opened] = await moved(async () => {
      for (const agent of [first, second]) {
        const stream = await openStream(agent.token);
        expect((await stream.next())?.event).toBe("policy");
        streams.push(stream);
      }
    }, [["palisade_event_streams_open", { stream: "agent" }]]);
    expect(opened).toBe(2);

    const [fannedOut] = await moved(async () => {
      await publish(org, [BLOCK_RULE]);
      for (const stream of streams) expect((await stream.next())?.event).toBe("policy_version");
    }, [["palisade_agent_events_fanned_out_total"]]);
    expect(fannedOut).toBe(2);

    const [beats, flushes] = await moved(async () => {
      for (const agent of [first, second, first]) {
        const response = await call(heartbeatRoute.POST, "POST", "/api/agents/heartbeat", { token: agent.token, body: { policyVersion: "v1" } });
        expect(response.status).toBe(200);
      }
      await heartbeats().flush();
    }, [["palisade_agent_heartbeats_total"], ["palisade_heartbeat_flush_lag_seconds_count"]]);
    expect(beats).toBe(3);
    expect(flushes).toBe(1);

    const [closed] = await moved(() => Promise.all(streams.map((stream) => stream.close())), [["palisade_event_streams_open", { stream: "agent" }]]);
    expect(closed).toBe(-2);
  });

  it("counts stream starts refused, by reason", async () => {
    const org = await createTestOrg();
    const agent = await enrollAgent(org);
    const feeds: Response[] = [];
    const [tooMany, perViewer] = await moved(async () => {
      env().STREAM_STARTS_MAX = 0;
      expect((await call(streamRoute.GET, "GET", "/api/agents/stream", { token: agent.token })).status).toBe(503);
      env().STREAM_STARTS_MAX = saved.startsMax;
      for (let i = 0; i <= MAX_STREAMS_PER_VIEWER; i++) feeds.push(await call(eventsRoute.GET, "GET", "/api/events", { token: org.viewer.token }));
      expect(feeds.map((feed) => feed.status).at(-1)).toBe(429);
    }, [
      ["palisade_stream_starts_refused_total", { reason: "too_many_starts" }],
      ["palisade_stream_starts_refused_total", { reason: "per_viewer_limit" }],
    ]);
    expect([tooMany, perViewer]).toEqual([1, 1]);
    await Promise.all(feeds.map((feed) => feed.body?.cancel()));
  });

  it("counts refused sign-ins by reason, and throttled ones apart", async () => {
    const { viewer } = await createTestOrg();
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const [wrongPassword, throttled] = await moved(async () => {
      for (let i = 0; i <= THROTTLE.pairLimit; i++) await attemptSignIn({ email: viewer.user.email, password: `wrong ${i}`, ip, userAgent: "test" });
    }, [["palisade_sign_in_failures_total", { reason: "invalid_credentials" }], ["palisade_sign_in_throttled_total"]]);
    expect([wrongPassword, throttled]).toEqual([THROTTLE.pairLimit, 1]);
  });

  it("reports the database pool's size, its connections in use, and what waits for one", async () => {
    const poolMax = valueOf(await scrape(), "palisade_db_pool_max");
    expect(poolMax).toBe(env().DATABASE_URL?.startsWith("pglite:") ? 1 : env().DATABASE_POOL_MAX);
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    // One transaction more than the pool has connections: each holds its connection until released.
    const held = Array.from({ length: poolMax + 1 }, () =>
      getDb().transaction(async (tx) => {
        await tx.execute(sql`select 1`);
        await gate;
      }),
    );
    try {
      await expect.poll(async () => valueOf(await scrape(), "palisade_db_pool_in_use")).toBe(poolMax);
      expect(valueOf(await scrape(), "palisade_db_pool_waiting")).toBeGreaterThanOrEqual(1);
    } finally {
      release();
      await Promise.all(held);
    }
    await expect.poll(async () => valueOf(await scrape(), "palisade_db_pool_in_use")).toBe(0);
    expect(valueOf(await scrape(), "palisade_db_pool_waiting")).toBe(0);
  });
});
