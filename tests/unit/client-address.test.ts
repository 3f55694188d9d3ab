import type { IncomingHttpHeaders } from "node:http";
import { describe, expect, it } from "vitest";
import { CLIENT_ADDRESS_HEADER, clientAddressFromHeaders, resolveClientAddress, vouchForClientAddress } from "@/lib/api/client-address";

const SECRET = "a".repeat(64);

describe("resolveClientAddress (what the server entry records)", () => {
  const resolve = (trustedProxies: number, forwardedFor?: string | string[], socketAddress: string | null = "192.0.2.10") =>
    resolveClientAddress({ socketAddress, forwardedFor, trustedProxies });

  it("with TRUSTED_PROXIES=0 is the socket's peer, whatever X-Forwarded-For says", () => {
    expect(resolve(0)).toBe("192.0.2.10");
    expect(resolve(0, "203.0.113.99")).toBe("192.0.2.10");
    expect(resolve(0, "203.0.113.99, 198.51.100.1")).toBe("192.0.2.10");
    expect(resolve(0, undefined, "::1")).toBe("::1");
    expect(resolve(0, undefined, "2001:db8::1")).toBe("2001:db8::1");
  });

  it("writes an IPv4 client on a dual-stack socket as IPv4", () => {
    expect(resolve(0, undefined, "::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(resolve(1, "::FFFF:203.0.113.9")).toBe("203.0.113.9");
  });

  it("with TRUSTED_PROXIES=N is the N-th X-Forwarded-For entry from the right; what the client wrote further left is ignored", () => {
    expect(resolve(1, "203.0.113.9")).toBe("203.0.113.9");
    expect(resolve(1, "6.6.6.6, 203.0.113.9")).toBe("203.0.113.9");
    expect(resolve(2, "6.6.6.6, 203.0.113.9, 10.0.0.2")).toBe("203.0.113.9");
    expect(resolve(2, "6.6.6.6,203.0.113.9 ,10.0.0.2")).toBe("203.0.113.9");
    // Node joins repeated headers; the last one is the nearest proxy's.
    expect(resolve(1, ["6.6.6.6", "203.0.113.9"])).toBe("203.0.113.9");
    expect(resolve(1, "2001:db8::7")).toBe("2001:db8::7");
  });

  it("with fewer entries than proxies takes the farthest hop known, and with none the socket's peer", () => {
    expect(resolve(3, "203.0.113.9, 10.0.0.2")).toBe("203.0.113.9");
    expect(resolve(1, undefined)).toBe("192.0.2.10");
    expect(resolve(1, "")).toBe("192.0.2.10");
    expect(resolve(1, " , ")).toBe("192.0.2.10");
    expect(resolve(1, "203.0.113.9, ")).toBe("203.0.113.9");
  });

  it("is null when nothing names the client", () => {
    expect(resolve(0, "203.0.113.99", null)).toBeNull();
    expect(resolve(1, undefined, null)).toBeNull();
  });
});

describe("vouchForClientAddress (the entry's treatment of every request)", () => {
  it("with TRUSTED_PROXIES=0 replaces X-Forwarded-For and the internal header, and drops X-Forwarded-Host/-Proto/-Port", () => {
    const headers: IncomingHttpHeaders = {
      host: "palisade.example",
      "x-forwarded-for": "203.0.113.99",
      "x-forwarded-host": "evil.example",
      "x-forwarded-proto": "https",
      "x-forwarded-port": "443",
      [CLIENT_ADDRESS_HEADER]: `${SECRET}:203.0.113.98`,
    };
    expect(vouchForClientAddress(headers, "::ffff:127.0.0.1", { trustedProxies: 0, secret: "s3cret" })).toBe("127.0.0.1");
    expect(headers).toEqual({ host: "palisade.example", "x-forwarded-for": "127.0.0.1", [CLIENT_ADDRESS_HEADER]: "s3cret:127.0.0.1" });
  });

  it("behind proxies keeps their X-Forwarded-* headers and vouches for the address they name", () => {
    const headers: IncomingHttpHeaders = { "x-forwarded-for": "6.6.6.6, 203.0.113.9", "x-forwarded-proto": "https", "x-forwarded-host": "palisade.example" };
    expect(vouchForClientAddress(headers, "10.0.0.2", { trustedProxies: 1, secret: "s3cret" })).toBe("203.0.113.9");
    expect(headers).toEqual({
      "x-forwarded-for": "6.6.6.6, 203.0.113.9",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "palisade.example",
      [CLIENT_ADDRESS_HEADER]: "s3cret:203.0.113.9",
    });
  });

  it("vouches for no address when the socket has none", () => {
    const headers: IncomingHttpHeaders = { "x-forwarded-for": "203.0.113.99" };
    expect(vouchForClientAddress(headers, undefined, { trustedProxies: 0, secret: "s3cret" })).toBeNull();
    expect(headers).toEqual({ [CLIENT_ADDRESS_HEADER]: "s3cret:" });
  });
});

describe("clientAddressFromHeaders (what clientIp accepts)", () => {
  const headers = (entries: Record<string, string>) => new Headers(entries);

  it("under the entry, takes the internal header with the right secret only", () => {
    const read = (entries: Record<string, string>, trustedProxies = 0) => clientAddressFromHeaders(headers(entries), { trustedProxies, secret: SECRET });
    expect(read({ [CLIENT_ADDRESS_HEADER]: `${SECRET}:127.0.0.1` })).toBe("127.0.0.1");
    expect(read({ [CLIENT_ADDRESS_HEADER]: `${SECRET}:2001:db8::1` })).toBe("2001:db8::1");
    expect(read({ [CLIENT_ADDRESS_HEADER]: `${SECRET}:` })).toBeNull();
    // A wrong, truncated, extended or missing secret is refused, and nothing else is read instead.
    expect(read({ [CLIENT_ADDRESS_HEADER]: `${"b".repeat(64)}:203.0.113.99` })).toBeNull();
    expect(read({ [CLIENT_ADDRESS_HEADER]: `${SECRET.slice(1)}:203.0.113.99` })).toBeNull();
    expect(read({ [CLIENT_ADDRESS_HEADER]: `${SECRET}0:203.0.113.99` })).toBeNull();
    expect(read({ [CLIENT_ADDRESS_HEADER]: "203.0.113.99" })).toBeNull();
    expect(read({ [CLIENT_ADDRESS_HEADER]: `:203.0.113.99` })).toBeNull();
    expect(read({ "x-forwarded-for": "203.0.113.99" })).toBeNull();
    expect(read({ "x-forwarded-for": "203.0.113.99" }, 1)).toBeNull();
  });

  it("without the entry and TRUSTED_PROXIES=0 trusts nothing: a forged X-Forwarded-For or internal header is ignored", () => {
    const read = (entries: Record<string, string>) => clientAddressFromHeaders(headers(entries), { trustedProxies: 0, secret: undefined });
    expect(read({ "x-forwarded-for": "203.0.113.99" })).toBeNull();
    expect(read({ [CLIENT_ADDRESS_HEADER]: `${SECRET}:203.0.113.99` })).toBeNull();
    expect(read({})).toBeNull();
  });

  it("without the entry and TRUSTED_PROXIES=N reads X-Forwarded-For as the proxies wrote it, never the internal header", () => {
    const read = (entries: Record<string, string>, trustedProxies = 1) => clientAddressFromHeaders(headers(entries), { trustedProxies, secret: undefined });
    expect(read({ "x-forwarded-for": "6.6.6.6, 203.0.113.9" })).toBe("203.0.113.9");
    expect(read({ "x-forwarded-for": "6.6.6.6, 203.0.113.9, 10.0.0.2" }, 2)).toBe("203.0.113.9");
    expect(read({ [CLIENT_ADDRESS_HEADER]: `${SECRET}:203.0.113.99`, "x-forwarded-for": "203.0.113.9" })).toBe("203.0.113.9");
    expect(read({})).toBeNull();
  });

  it("reads back exactly what the entry vouched for", () => {
    for (const trustedProxies of [0, 1, 2]) {
      const incoming: IncomingHttpHeaders = { "x-forwarded-for": "6.6.6.6, 203.0.113.9, 10.0.0.2", [CLIENT_ADDRESS_HEADER]: `forged:198.51.100.1` };
      const address = vouchForClientAddress(incoming, "192.0.2.10", { trustedProxies, secret: SECRET });
      const asRequest = new Headers(Object.entries(incoming).map(([name, value]): [string, string] => [name, String(value)]));
      expect(clientAddressFromHeaders(asRequest, { trustedProxies, secret: SECRET })).toBe(address);
      expect(address).toBe({ 0: "192.0.2.10", 1: "10.0.0.2", 2: "203.0.113.9" }[trustedProxies]);
    }
  });
});
