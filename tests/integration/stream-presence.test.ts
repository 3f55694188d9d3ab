/**
 * The stream counts instances share, so a per-organization stream cap holds across instances: each instance's
 * count per organization, refreshed in place, summed over the other instances, and never another organization's.
 */
import { describe, expect, it } from "vitest";
import { clearPresence, remoteStreamCount, savePresence } from "@/db/queries/stream-presence";
import { randomHex } from "@/lib/ids";
import { createTestOrg } from "../helpers";

describe("stream presence", () => {
  it("sums the other instances' streams of one organization, refreshed in place", async () => {
    const [a, b] = [await createTestOrg(), await createTestOrg()];
    const [one, two, three] = [`i-${randomHex(4)}`, `i-${randomHex(4)}`, `i-${randomHex(4)}`];
    await savePresence({ instanceId: one, counts: new Map([[a.orgId, 5], [b.orgId, 40]]) });
    await savePresence({ instanceId: two, counts: new Map([[a.orgId, 7]]) });
    expect(await remoteStreamCount({ instanceId: three, orgId: a.orgId })).toBe(12);
    expect(await remoteStreamCount({ instanceId: one, orgId: a.orgId })).toBe(7);
    expect(await remoteStreamCount({ instanceId: three, orgId: b.orgId })).toBe(40);

    await savePresence({ instanceId: one, counts: new Map([[a.orgId, 1]]) });
    expect(await remoteStreamCount({ instanceId: three, orgId: a.orgId })).toBe(8);
    await clearPresence({ instanceId: two });
    expect(await remoteStreamCount({ instanceId: three, orgId: a.orgId })).toBe(1);
  });
});
