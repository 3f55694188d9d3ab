import "server-only";
import { createHmac } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { checkedAddress, DestinationRefused, type CheckedAddress } from "./address-guard";

/** How long a delivery may take to connect, and then to answer. */
export const CONNECT_TIMEOUT_MS = 5_000;
export const RESPONSE_TIMEOUT_MS = 10_000;

export const SIGNATURE_HEADER = "X-Palisade-Signature";
export const DELIVERY_HEADER = "X-Palisade-Delivery";

/** `sha256=<hex HMAC-SHA256 of the raw body>`, as the receiver recomputes it. */
export function signatureOf(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

export interface SendResult {
  ok: boolean;
  /** The HTTP status, when the destination answered. */
  status: number | null;
  /** Why it failed, for the console; never the secret. */
  error: string | null;
}

/** A lookup that answers only the address already checked: the connection goes where the guard looked. */
function pinnedLookup(checked: CheckedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) (callback as unknown as (error: null, addresses: { address: string; family: number }[]) => void)(null, [checked]);
    else callback(null, checked.address, checked.family);
  };
}

/**
 * POSTs one signed delivery. The host is resolved and checked first (address-guard.ts) and the connection pinned to
 * the checked address; a redirect is a failure (never followed); connecting and answering each have a deadline.
 */
export async function sendDelivery({ url, secret, body, deliveryId }: { url: string; secret: string; body: string; deliveryId: number }): Promise<SendResult> {
  const target = new URL(url);
  let checked: CheckedAddress;
  try {
    checked = await checkedAddress(target);
  } catch (error) {
    if (error instanceof DestinationRefused) return { ok: false, status: null, error: error.message };
    throw error;
  }
  const client = target.protocol === "https:" ? https : http;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(responseTimer);
      resolve(result);
    };
    const request = client.request(
      target,
      {
        method: "POST",
        lookup: pinnedLookup(checked),
        // A connection per delivery: no pooled socket outlives the address check it was made under.
        agent: false,
        headers: {
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(body, "utf8"),
          "User-Agent": "Palisade-Audit-Streaming/1",
          [SIGNATURE_HEADER]: signatureOf(body, secret),
          [DELIVERY_HEADER]: String(deliveryId),
        },
      },
      (response) => {
        // The body is not needed: the status says it all. Drain it so the socket closes.
        response.resume();
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) finish({ ok: true, status, error: null });
        else if (status >= 300 && status < 400) finish({ ok: false, status, error: `HTTP ${status}: redirects are not followed` });
        else finish({ ok: false, status, error: `HTTP ${status}` });
      },
    );
    const connectTimer = setTimeout(() => {
      request.destroy();
      finish({ ok: false, status: null, error: `No connection within ${CONNECT_TIMEOUT_MS / 1000} s` });
    }, CONNECT_TIMEOUT_MS);
    const responseTimer = setTimeout(() => {
      request.destroy();
      finish({ ok: false, status: null, error: `No answer within ${RESPONSE_TIMEOUT_MS / 1000} s` });
    }, CONNECT_TIMEOUT_MS + RESPONSE_TIMEOUT_MS);
    request.on("socket", (socket) => {
      const connected = () => clearTimeout(connectTimer);
      if (!socket.connecting) connected();
      socket.once(target.protocol === "https:" ? "secureConnect" : "connect", connected);
    });
    request.on("error", (error: NodeJS.ErrnoException) => finish({ ok: false, status: null, error: `Connection failed: ${error.code ?? error.message}` }));
    request.end(body);
  });
}
