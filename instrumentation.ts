export async function register() {
  // The database and the event hub exist only in the Node.js server runtime.
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { bootServer } = await import("@/lib/server/boot");
    await bootServer();
  }
}
