import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { CLIENT_ADDRESS_HEADER, installClientAddressSecret, installedClientAddressSecret, vouchForClientAddress } from "@/lib/api/client-address";
import { clientIp } from "@/lib/api/request";
import { env } from "@/lib/env";

const request = (headers: Record<string, string>) => new Request("http://localhost/", { headers });

// The tests run in order: first as in a process no server entry started (plain `next start`, `next dev`,
// Vercel), then as in one it started. The secret, once installed, stays for the life of the process.
describe("clientIp, without the server entry", () => {
  it("runs with TRUSTED_PROXIES=0 and no secret", () => {
    expect(env().TRUSTED_PROXIES).toBe(0);
    expect(installedClientAddressSecret()).toBeUndefined();
  });

  it("trusts no forwarded header: the address is unknown rather than the client's choice", () => {
    expect(clientIp(request({ "x-forwarded-for": "203.0.113.99" }))).toBeNull();
    expect(clientIp(request({ [CLIENT_ADDRESS_HEADER]: `${"0".repeat(64)}:203.0.113.99` }))).toBeNull();
    expect(clientIp(request({}))).toBeNull();
  });
});

describe("clientIp, under the server entry", () => {
  it("accepts the entry's header with this process's secret, and nothing else", () => {
    const secret = installClientAddressSecret();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    // Installed once: asking again changes nothing, and nothing can overwrite it.
    expect(installClientAddressSecret()).toBe(secret);
    expect(() => Object.assign(globalThis, { [Symbol.for("palisade.client-address-secret")]: "guessed" })).toThrow(TypeError);
    expect(installedClientAddressSecret()).toBe(secret);

    expect(clientIp(request({ [CLIENT_ADDRESS_HEADER]: `${secret}:127.0.0.1` }))).toBe("127.0.0.1");
    expect(clientIp(request({ [CLIENT_ADDRESS_HEADER]: `${"0".repeat(64)}:203.0.113.99` }))).toBeNull();
    expect(clientIp(request({ [CLIENT_ADDRESS_HEADER]: "203.0.113.99" }))).toBeNull();
    expect(clientIp(request({ "x-forwarded-for": "203.0.113.99" }))).toBeNull();
  });

  it("is the socket's address for a client that forges X-Forwarded-For and the internal header over a real connection", async () => {
    const secret = installClientAddressSecret();
    // What scripts/server.ts does to every request before Next sees it (TRUSTED_PROXIES=0), then clientIp on the result.
    const server = createServer((incoming, response) => {
      vouchForClientAddress(incoming.headers, incoming.socket.remoteAddress, { trustedProxies: 0, secret });
      const headers = new Headers(Object.entries(incoming.headers).map(([name, value]): [string, string] => [name, String(value)]));
      response.end(JSON.stringify({ ip: clientIp(new Request("http://localhost/", { headers })), headers: Object.fromEntries(headers) }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/`, {
        headers: { "X-Forwarded-For": "203.0.113.99", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https", [CLIENT_ADDRESS_HEADER]: "forged:203.0.113.98" },
      });
      const { ip, headers } = (await response.json()) as { ip: string; headers: Record<string, string> };
      expect(ip).toBe("127.0.0.1");
      expect(headers["x-forwarded-for"]).toBe("127.0.0.1");
      expect(headers["x-forwarded-host"]).toBeUndefined();
      expect(headers["x-forwarded-proto"]).toBeUndefined();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
