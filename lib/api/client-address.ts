/**
 * The client address (audit rows, sign-in throttling), and how the production server entry (scripts/server.ts)
 * hands it to the app without a client being able to forge it.
 *
 * Which headers are trusted, and why:
 * - The socket's peer address is the only address nobody can write. With TRUSTED_PROXIES=0 (clients connect
 *   directly) it is the client.
 * - X-Forwarded-For is written by whoever sends the request. Each of the TRUSTED_PROXIES proxies appends the
 *   address it saw, so the client is that many entries from the right; entries further left were written by
 *   the client and are ignored. With TRUSTED_PROXIES=0 nothing in it is trusted.
 * - X-Forwarded-Host, -Proto and -Port are set by the proxy that terminates the connection. They choose the
 *   origin of the session-write Origin check and whether HSTS is sent, so with TRUSTED_PROXIES=0 the entry
 *   drops them (Next then fills them in from the Host header and the socket).
 * - `x-palisade-client-address` carries the entry's verdict as `<secret>:<address>`. The entry removes any copy a
 *   client sent and sets its own; the secret is random per process and lives only in this process's memory
 *   (globalThis, since the entry and Next's bundles load this module separately), so a client cannot write a
 *   value `clientIp` accepts, and without the entry (plain `next start`, `next dev`, Vercel) no value is accepted.
 */
import type { IncomingHttpHeaders } from "node:http";

export const CLIENT_ADDRESS_HEADER = "x-palisade-client-address";

/** Headers that name the origin the browser used. Only a proxy may set them. */
const FORWARDED_ORIGIN_HEADERS = ["x-forwarded-host", "x-forwarded-proto", "x-forwarded-port"] as const;

// Symbol.for: one key for the whole process, whichever copy of this module asks.
const SECRET_KEY = Symbol.for("palisade.client-address-secret");
type SecretHolder = { [SECRET_KEY]?: string };

/**
 * Creates this process's secret, once; only the server entry calls it. It cannot be replaced afterwards.
 * Nothing else creates it, so in a process the entry did not start there is none and no header is accepted.
 */
export function installClientAddressSecret(): string {
  const holder = globalThis as SecretHolder;
  const existing = holder[SECRET_KEY];
  if (existing !== undefined) return existing;
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const secret = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  Object.defineProperty(globalThis, SECRET_KEY, { value: secret, enumerable: false, writable: false, configurable: false });
  return secret;
}

/** The secret of the server entry running this process, if one does. */
export function installedClientAddressSecret(): string | undefined {
  return (globalThis as SecretHolder)[SECRET_KEY];
}

function forwardedForEntries(value: string | string[] | null | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(",") : (value ?? "");
  return joined
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}

/** `::ffff:192.0.2.1` (an IPv4 client on a dual-stack socket) is `192.0.2.1`. */
function normalizeAddress(address: string | null | undefined): string | null {
  if (!address) return null;
  return /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)?.[1] ?? address;
}

/**
 * The client address of one request.
 * - TRUSTED_PROXIES=0: the socket's peer; X-Forwarded-For is ignored.
 * - TRUSTED_PROXIES=N: the N-th X-Forwarded-For entry from the right. Should the header hold fewer entries
 *   (a proxy that did not append), the left-most one, the farthest hop known; with none, the socket's peer.
 */
export function resolveClientAddress({
  socketAddress,
  forwardedFor,
  trustedProxies,
}: {
  socketAddress: string | null | undefined;
  forwardedFor: string | string[] | null | undefined;
  trustedProxies: number;
}): string | null {
  if (trustedProxies <= 0) return normalizeAddress(socketAddress);
  const entries = forwardedForEntries(forwardedFor);
  if (entries.length === 0) return normalizeAddress(socketAddress);
  return normalizeAddress(entries.length >= trustedProxies ? entries.at(-trustedProxies) : entries[0]);
}

/**
 * What the server entry does to every request before Next sees it: resolves the client address, removes any
 * `x-palisade-client-address` the client sent and sets its own. With TRUSTED_PROXIES=0 it also replaces
 * X-Forwarded-For with the socket's address and drops X-Forwarded-Host/-Proto/-Port, as nothing a client
 * writes there is true; behind proxies it leaves them as the proxies wrote them.
 */
export function vouchForClientAddress(
  headers: IncomingHttpHeaders,
  socketAddress: string | undefined,
  { trustedProxies, secret }: { trustedProxies: number; secret: string },
): string | null {
  const address = resolveClientAddress({ socketAddress, forwardedFor: headers["x-forwarded-for"], trustedProxies });
  headers[CLIENT_ADDRESS_HEADER] = `${secret}:${address ?? ""}`;
  if (trustedProxies === 0) {
    if (address) headers["x-forwarded-for"] = address;
    else delete headers["x-forwarded-for"];
    for (const name of FORWARDED_ORIGIN_HEADERS) delete headers[name];
  }
  return address;
}

/** Compares without an early exit, so the time taken says nothing about how much of a guess was right. */
function sameSecret(given: string, secret: string): boolean {
  if (given.length !== secret.length) return false;
  let difference = 0;
  for (let i = 0; i < secret.length; i++) difference |= given.charCodeAt(i) ^ secret.charCodeAt(i);
  return difference === 0;
}

/**
 * The client address as the app reads it:
 * - under the server entry (this process has its secret), only the entry's header counts, and only with that
 *   secret: anything else is refused (null);
 * - without it, with TRUSTED_PROXIES=0, nothing is trusted: X-Forwarded-For may be the client's own words, so
 *   the address is unknown (null), never forged;
 * - without it, with TRUSTED_PROXIES=N, X-Forwarded-For as the proxies wrote it.
 */
export function clientAddressFromHeaders(
  headers: Headers,
  { trustedProxies, secret }: { trustedProxies: number; secret: string | undefined },
): string | null {
  if (secret !== undefined) {
    const vouched = headers.get(CLIENT_ADDRESS_HEADER) ?? "";
    const separator = vouched.indexOf(":");
    if (separator < 0 || !sameSecret(vouched.slice(0, separator), secret)) return null;
    return vouched.slice(separator + 1) || null;
  }
  if (trustedProxies <= 0) return null;
  return resolveClientAddress({ socketAddress: null, forwardedFor: headers.get("x-forwarded-for"), trustedProxies });
}
