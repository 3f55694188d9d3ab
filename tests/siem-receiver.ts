import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request a test receiver was sent. */
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: { id: string; org_id: string; chain_position: number; hash: string; action: string; resource: string; [key: string]: unknown };
  /** The status the receiver answered. */
  status: number;
}

/** How the receiver answers a request: a status, with optional headers (a Location for a redirect). */
export type Answer = (request: { path: string; body: Received["body"]; attempt: number }) => number | { status: number; headers?: Record<string, string> };

/**
 * A SIEM stand-in: a node:http server on 127.0.0.1 that records every request and answers as the test says (200
 * unless told otherwise). `attempt` counts requests carrying the same X-Palisade-Delivery.
 */
export class TestReceiver {
  readonly received: Received[] = [];
  answer: Answer = () => 200;
  private server: Server | null = null;
  private attempts = new Map<string, number>();

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const body = JSON.parse(raw) as Received["body"];
        const delivery = String(request.headers["x-palisade-delivery"]);
        const attempt = (this.attempts.get(delivery) ?? 0) + 1;
        this.attempts.set(delivery, attempt);
        const answer = this.answer({ path: request.url ?? "/", body, attempt });
        const { status, headers } = typeof answer === "number" ? { status: answer, headers: {} } : answer;
        this.received.push({ path: request.url ?? "/", headers: request.headers, raw, body, status });
        response.writeHead(status, headers).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return this;
  }

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  url(path = "/siem"): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** The requests the receiver accepted (2xx), in arrival order. */
  accepted(): Received[] {
    return this.received.filter((request) => request.status >= 200 && request.status < 300);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/** What a receiver does to trust a delivery: recompute the HMAC of the raw body with the shared secret. */
export function signatureVerifies(raw: string, header: string | string[] | undefined, secret: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(raw).digest("hex")}`);
  const given = Buffer.from(String(header ?? ""));
  return given.length === expected.length && timingSafeEqual(given, expected);
}
