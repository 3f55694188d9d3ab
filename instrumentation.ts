export async function register() {
  // The database and the event hub exist only in the Node.js server runtime.
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { bootServer } = await import("@/lib/server/boot");
    await bootServer();
    // scripts/server.ts installs its secret before Next starts; without it, and with no proxy declared, no
    // client address can be trusted (lib/api/client-address.ts). Say so once, where operators look.
    const { installedClientAddressSecret } = await import("@/lib/api/client-address");
    const { env } = await import("@/lib/env");
    const { logger } = await import("@/lib/log");
    if (process.env.NODE_ENV === "production" && env().TRUSTED_PROXIES === 0 && !installedClientAddressSecret()) {
      logger().warn(
        "Palisade runs without its server entry (scripts/server.ts, which `npm start` runs) and with TRUSTED_PROXIES=0: no client address " +
          "can be trusted, so audit rows record none and sign-in throttling counts every client as one address. Run `npm start`, or set " +
          "TRUSTED_PROXIES to the number of proxies in front that append to X-Forwarded-For (1 on Vercel).",
      );
    }
  }
}
