import { describe, expect, it } from "vitest";
import { decodeAgentEventNotice, encodeAgentEventNotice } from "@/lib/events/notifications";

// A notice wakes an organization's streams and drops an agent's cached token or overrides: a payload read wrongly
// would wake the wrong organization, or leave a revoked agent's cache in place.
describe("agent event notices on LISTEN/NOTIFY", () => {
  it("round-trips an organization's event, and one meant for one agent", () => {
    expect(decodeAgentEventNotice(encodeAgentEventNotice({ orgId: "org_a", id: 42 }))).toEqual({ orgId: "org_a", id: 42 });
    const personal = { orgId: "org_a", id: 43, type: "revoked", agentId: "agt_1" } as const;
    expect(encodeAgentEventNotice(personal)).toBe("org_a:43:revoked:agt_1");
    expect(decodeAgentEventNotice("org_a:43:revoked:agt_1")).toEqual(personal);
    // A type without an agent, or an agent without a type, is no personal notice.
    expect(encodeAgentEventNotice({ orgId: "org_a", id: 44, agentId: "agt_1" })).toBe("org_a:44");
    expect(encodeAgentEventNotice({ orgId: "org_a", id: 44, type: "revoked" })).toBe("org_a:44");
  });

  it("refuses a payload it cannot read rather than guessing", () => {
    for (const payload of ["", "org_a", ":42", "org_a:", "org_a:4x", "org_a:x4", "org_a:-4", "org_a:42:no_such_type:agt_1", "org_a:42:revoked", "org_a:42:revoked:"]) {
      expect(decodeAgentEventNotice(payload), payload).toBeNull();
    }
  });
});
