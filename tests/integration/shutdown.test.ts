import { describe, expect, it, vi } from "vitest";
import * as heartbeatRoute from "@/app/api/agents/heartbeat/route";
import * as streamRoute from "@/app/api/agents/stream/route";
import * as eventsRoute from "@/app/api/events/route";
import * as agentPolicy from "@/app/api/policy/agent/[id]/route";
import { stopEventDelivery } from "@/lib/events/shutdown";
import { enrollAgent, openStream, publish } from "../agent-helpers";
import { call, createTestOrg } from "../helpers";
import { SseReader } from "../sse-client";

// What an instance does on SIGTERM. It stops this file's hub for good, so it has a file of its own.
describe("stopping event delivery, as on SIGTERM", () => {
  it("writes the heartbeats it holds, ends every stream, and answers new streams 503 so they reconnect elsewhere", async () => {
    const org = await createTestOrg();
    const { version } = await publish(org);
    const agent = await enrollAgent(org);
    const stream = await openStream(agent.token);
    expect((await stream.next())?.event).toBe("policy");
    const console = new SseReader(await call(eventsRoute.GET, "GET", "/api/events", { token: org.viewer.token }));
    expect((await console.next())?.event).toBe("convergence");
    // The beat waits in memory for its coalesced write; a frozen flush timer keeps it there until the stop.
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    const beat = await call(heartbeatRoute.POST, "POST", "/api/agents/heartbeat", { token: agent.token, body: { policyVersion: version } });
    vi.useRealTimers();
    expect(beat.status).toBe(200);

    await stopEventDelivery();

    expect(await stream.next()).toBeNull();
    expect(await console.next()).toBeNull();
    // Stopping wrote the waiting heartbeat.
    const applied = await call(agentPolicy.GET, "GET", "/", { token: org.viewer.token, params: { id: agent.agentId } });
    expect(((await applied.json()) as { data: { policyVersion: string } }).data.policyVersion).toBe(version);

    for (const response of [
      await call(streamRoute.GET, "GET", "/api/agents/stream", { token: agent.token }),
      await call(eventsRoute.GET, "GET", "/api/events", { token: org.viewer.token }),
    ]) {
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("1");
      expect(await response.json()).toEqual({
        ok: false,
        error: { code: "unavailable", message: "This server is shutting down. Reconnect.", details: [], requestId: response.headers.get("x-request-id") },
      });
    }
  });
});
