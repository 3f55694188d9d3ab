import type { ChangeRequest } from "@/db/schema";

/** A change request's title, for people. Safe for the browser. */
export function describeChangeRequest(request: Pick<ChangeRequest, "action" | "target">): string {
  switch (request.action) {
    case "disable_policy":
      return `Disable the critical policy ${request.target}`;
    case "delete_policy":
      return `Delete the critical policy ${request.target}`;
    case "publish_agent_policy":
      return "Publish a new agent policy version";
    case "promote_agent_policy":
      return `Promote the rollout of agent policy ${request.target.replace("agent-policy:", "")} to the whole fleet`;
    case "abort_agent_policy":
      return `Abort the rollout of agent policy ${request.target.replace("agent-policy:", "")}`;
    case "disable_four_eyes":
      return "Turn four-eyes approval off";
  }
}
