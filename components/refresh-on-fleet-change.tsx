"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";

/**
 * Re-renders the page's server components when the fleet changes (a heartbeat batch, a publish, a promotion), as
 * GET /api/events reports it, at most once per `minIntervalMs`: a rollout's figures follow the agents without a
 * reload. The first event, sent on connect, refreshes too: whatever changed between the page's render and the
 * stream's start (a heartbeat flushed meanwhile) reaches no later event. Renders nothing.
 */
export function RefreshOnFleetChange({ minIntervalMs = 3000 }: { minIntervalMs?: number }) {
  const router = useRouter();
  useEffect(() => {
    const source = new EventSource("/api/events");
    let lastRefresh = 0;
    let pending: ReturnType<typeof setTimeout> | undefined;
    source.addEventListener("convergence", () => {
      if (pending) return;
      pending = setTimeout(
        () => {
          pending = undefined;
          lastRefresh = Date.now();
          router.refresh();
        },
        Math.max(0, lastRefresh + minIntervalMs - Date.now()),
      );
    });
    return () => {
      clearTimeout(pending);
      source.close();
    };
  }, [router, minIntervalMs]);
  return null;
}
