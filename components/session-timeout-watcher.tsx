"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";

interface SessionState {
  idleExpiresAt: string | null;
}

/** A little after the deadline, so the server has certainly passed it too. */
const GRACE_MS = 2_000;

/**
 * While a session timeout policy is enabled, a page left open notices the session's end by itself: at the idle
 * deadline it asks GET /api/session (which does not count as use), and goes to the sign-in page once the
 * session is over. Use in another tab pushes the deadline on, and the page waits again.
 */
export function SessionTimeoutWatcher({ idleExpiresAt }: SessionState) {
  const router = useRouter();
  useEffect(() => {
    if (!idleExpiresAt) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const schedule = (deadline: string) => {
      timer = setTimeout(check, Math.max(0, new Date(deadline).getTime() - Date.now()) + GRACE_MS);
    };
    const check = async () => {
      const response = await fetch("/api/session", { cache: "no-store" }).catch(() => null);
      if (stopped) return;
      if (response?.status === 401) {
        router.replace("/login?session=expired");
        return;
      }
      const state = response?.ok ? ((await response.json()) as SessionState) : null;
      // A network failure: look again in a minute.
      schedule(state?.idleExpiresAt ?? new Date(Date.now() + 60_000).toISOString());
    };
    schedule(idleExpiresAt);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [idleExpiresAt, router]);
  return null;
}
