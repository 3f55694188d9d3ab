import { AgentPageSkeleton } from "@/components/agent-page-skeleton";

export default function Loading() {
  return <AgentPageSkeleton label="Loading the agent policy…" />;
}
