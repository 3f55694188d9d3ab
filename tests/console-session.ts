import type { User } from "@/db/schema";
import type * as SessionModule from "@/lib/auth/session";

/** The user console actions run as, in tests that mock the session (actions read it through next/headers). */
export const consoleSession: { user: User | null } = { user: null };

/** For `vi.mock("@/lib/auth/session", …)`: the real module, with `requireUser` answering `consoleSession.user`. */
export async function sessionAsConsoleUser(importOriginal: () => Promise<typeof SessionModule>): Promise<typeof SessionModule> {
  const real = await importOriginal();
  return {
    ...real,
    requireUser: (async () => {
      const user = consoleSession.user!;
      const { actorFor } = await import("@/lib/auth/principal");
      return { user, actor: actorFor(user) };
    }) as unknown as typeof real.requireUser,
  };
}
