import type { ReactNode } from "react";
import type { AgentPolicyVersion } from "@/db/schema";
import { formatVersion } from "@/lib/agent-policy/rules";
import { AgentRuleList } from "./agent-rule-summary";
import { DateTime } from "./date-time";
import { PolicyVersionStageBadge, PolicyVersionStageText } from "./policy-version-stage";
import { Badge } from "./ui/badge";
import { Card, CardHeader } from "./ui/card";

/** One version: who published it and when, where it came from, and its rules in words. */
export function PolicyVersionCard({ version, active, title, actions }: { version: AgentPolicyVersion; active: boolean; title: string; actions?: ReactNode }) {
  const label = formatVersion(version.version);
  return (
    <Card>
      <CardHeader
        title={
          <span className="flex flex-wrap items-center gap-2">
            {title}
            <Badge tone="indigo">{label}</Badge>
            {active && <Badge tone="green">Active</Badge>}
            <PolicyVersionStageBadge version={version} />
          </span>
        }
        description={version.name}
        actions={actions}
      />
      <div className="space-y-4 px-5 py-4">
        <dl className="grid gap-x-6 gap-y-2 text-sm sm:grid-cols-[auto_1fr]">
          <dt className="font-medium text-slate-600">Published</dt>
          <dd className="text-slate-900">
            <DateTime value={version.createdAt} />
            {version.createdBy && ` by ${version.createdBy}`}
          </dd>
          {version.selector !== null && (
            <>
              <dt className="font-medium text-slate-600">Rollout</dt>
              <dd className="text-slate-900">
                <PolicyVersionStageText version={version} />
              </dd>
            </>
          )}
          {version.republishedFrom !== null && (
            <>
              <dt className="font-medium text-slate-600">Rollback</dt>
              <dd className="text-slate-900">Republished from {formatVersion(version.republishedFrom)}</dd>
            </>
          )}
          {version.description && (
            <>
              <dt className="font-medium text-slate-600">Description</dt>
              <dd className="text-slate-900">{version.description}</dd>
            </>
          )}
        </dl>
        <AgentRuleList rules={version.rules} label={`Rules of ${label}`} />
      </div>
    </Card>
  );
}
