import { and, desc, eq, gt, lt, sql } from "drizzle-orm";
import { getDb } from "@/db";
import { loginAttempts } from "@/db/schema";

const ago = (ms: number) => sql`now() - make_interval(secs => ${ms / 1000})`;

export async function recordLoginAttempt({ email, ip, success }: { email: string; ip: string; success: boolean }): Promise<void> {
  await getDb().insert(loginAttempts).values({ email, ip, success });
}

/**
 * When `limit` or more failures for this email, or for this IP, fall inside the window: the moment
 * the limit-th most recent of them leaves it, until which sign-in is refused. Otherwise null.
 */
export async function throttledUntil({ email, ip, limit, windowMs }: { email: string; ip: string; limit: number; windowMs: number }): Promise<Date | null> {
  const limitthFailure = async (condition: ReturnType<typeof eq>) => {
    const [row] = await getDb()
      .select({ at: loginAttempts.createdAt })
      .from(loginAttempts)
      .where(and(condition, eq(loginAttempts.success, false), gt(loginAttempts.createdAt, ago(windowMs))))
      .orderBy(desc(loginAttempts.createdAt))
      .offset(limit - 1)
      .limit(1);
    return row ? row.at.getTime() + windowMs : 0;
  };
  const until = Math.max(await limitthFailure(eq(loginAttempts.email, email)), await limitthFailure(eq(loginAttempts.ip, ip)));
  return until > 0 ? new Date(until) : null;
}

/** Attempts only matter inside the throttle window; this keeps the table small. */
export async function pruneLoginAttempts({ olderThanMs }: { olderThanMs: number }): Promise<void> {
  await getDb().delete(loginAttempts).where(lt(loginAttempts.createdAt, ago(olderThanMs)));
}
