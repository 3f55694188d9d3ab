import { getPolicyVersion } from "@/db/queries/agent-policies";
import type { AgentPolicyVersion } from "@/db/schema";
import { ApiError } from "@/lib/errors";
import { parseVersion } from "./rules";

/** The organization's version named in a URL ("v3" or "3"), or the 404 the Agent Policy API answers. */
export async function requireVersion(orgId: string, param: string): Promise<AgentPolicyVersion> {
  const number = parseVersion(param);
  const version = number === null ? null : await getPolicyVersion({ orgId, version: number });
  if (!version) throw ApiError.notFound(`Policy version ${param} not found`);
  return version;
}
