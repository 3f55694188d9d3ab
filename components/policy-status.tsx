import { Badge } from "./ui/badge";

/** A policy's state as text, for places with no switch (viewers, the overview). A disabled critical policy stands out. */
export function PolicyStatus({ enabled, critical }: { enabled: boolean; critical: boolean }) {
  if (enabled) return <Badge tone="green">Enabled</Badge>;
  return <Badge tone={critical ? "red" : "neutral"}>Disabled</Badge>;
}
