import { and, sql, type SQL } from "drizzle-orm";
import { agents } from "@/db/schema";
import { storedRequirements, type LabelRequirement } from "@/lib/agent-policy/selector";
import type { VersionTargets } from "@/lib/agent-policy/types";

/**
 * The fleet's status rules in SQL, for queries over the fleet: online is a heartbeat within
 * `offlineAfterSeconds`; outdated is a report other than the version that applies to the agent (none, an older
 * one, or a rollout's version after it was aborted). lib/agents/status.ts states the same rules for agents in memory.
 */
export const onlineAgent = (offlineAfterSeconds: number): SQL => sql`(${agents.lastSeenAt} > now() - make_interval(secs => ${offlineAfterSeconds}))`;

/** The agents a label selector matches (lib/agent-policy/selector.ts), by their labels. */
export function matchesSelectorSql(selector: string): SQL {
  const requirement = ({ key, operator, values }: LabelRequirement): SQL => {
    const label = sql`(${agents.labels} ->> ${key})`;
    const listed = sql`${label} in (${sql.join(
      values.map((value) => sql`${value}`),
      sql`, `,
    )})`;
    return operator === "=" || operator === "in" ? listed : sql`(${label} is null or not ${listed})`;
  };
  return and(...storedRequirements(selector).map(requirement))!;
}

/** The version number that applies to each agent: the rollout's for the agents its selector matches, else the fleet's. */
export function targetVersionSql(targets: Omit<VersionTargets, "highest">): SQL {
  const fleet = sql`${targets.fleet ?? 0}::int`;
  return targets.rollout ? sql`(case when ${matchesSelectorSql(targets.rollout.selector)} then ${targets.rollout.version}::int else ${fleet} end)` : fleet;
}

export const outdatedAgent = (targets: Omit<VersionTargets, "highest">): SQL => sql`(coalesce(${agents.reportedVersion}, 0) <> ${targetVersionSql(targets)})`;
