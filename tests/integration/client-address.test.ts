import { execFile, spawn } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { clientIp } from "@/lib/api/request";

describe("the client address", () => {
  it("is the right-most X-Forwarded-For entry, the one the nearest proxy (or npm start) wrote", () => {
    const request = (forwardedFor?: string) => new Request("http://localhost/", { headers: forwardedFor ? { "x-forwarded-for": forwardedFor } : {} });
    expect(clientIp(request("203.0.113.9"))).toBe("203.0.113.9");
    expect(clientIp(request("6.6.6.6, 203.0.113.9"))).toBe("203.0.113.9");
    expect(clientIp(request())).toBeNull();
  });

  it("cannot be chosen by a client talking to npm start directly", async () => {
    // A bare node:http server with the preload npm start gives the server process.
    const server = spawn(
      process.execPath,
      [
        "--import",
        pathToFileURL(path.resolve("scripts/forwarded-headers.mjs")).href,
        "-e",
        `require("node:http").createServer((q, s) => s.end(JSON.stringify(q.headers))).listen(0, function () { console.log(this.address().port) })`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      const port = await new Promise<string>((resolve) => server.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString().trim())));
      const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
        execFile("curl", ["-s", "-H", "X-Forwarded-For: 6.6.6.6", "-H", "X-Forwarded-Host: evil.example", `http://127.0.0.1:${port}/`], (error, out) =>
          error ? reject(error) : resolve({ stdout: out }),
        ),
      );
      const headers = JSON.parse(stdout) as Record<string, string>;
      expect(headers["x-forwarded-for"]).toMatch(/127\.0\.0\.1$/);
      expect(headers["x-forwarded-host"]).toBeUndefined();
    } finally {
      server.kill();
    }
  });
});
