import type { Metadata } from "next";
import { AGENT_POLICY_CRUMB, Breadcrumb } from "@/components/breadcrumb";
import { PageHeader } from "@/components/page-header";
import { PolicyVersionCompareForm } from "@/components/policy-version-compare-form";
import { describeRule } from "@/components/agent-rule-summary";
import { RULE_TYPE_LABELS } from "@/components/agent-rule-types";
import { RuleSetDiff } from "@/components/rule-set-diff";
import type { AgentRuleType } from "@/lib/agent-policy/types";
import { Alert } from "@/components/ui/alert";
import { Card, CardHeader } from "@/components/ui/card";
import { getActivePolicyVersion, getPolicyVersion, getRolloutVersion, listPolicyVersions } from "@/db/queries/agent-policies";
import { diffVersions } from "@/lib/agent-policy/diff";
import { formatVersion, parseVersion } from "@/lib/agent-policy/rules";
import { requireUser } from "@/lib/auth/session";

export const metadata: Metadata = { title: "Compare agent policy versions" };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

const versionParam = (value: string | string[] | undefined) => (typeof value === "string" ? parseVersion(value) : null);

export default async function CompareVersionsPage({ searchParams }: { searchParams: SearchParams }) {
  const { user } = await requireUser();
  const params = await searchParams;
  const [recent, active, rollout] = await Promise.all([
    listPolicyVersions({ orgId: user.orgId, limit: 100 }),
    getActivePolicyVersion({ orgId: user.orgId }),
    getRolloutVersion({ orgId: user.orgId }),
  ]);
  // Without a choice: what agents are being moved to (a rollout's version, else the active one) against the version before it.
  const target = rollout?.version ?? active?.version ?? recent[0]?.version;
  const fromNumber = versionParam(params.from) ?? recent.find((version) => target !== undefined && version.version < target)?.version ?? target;
  const toNumber = versionParam(params.to) ?? target;
  const [from, to] = await Promise.all([
    fromNumber === undefined ? null : getPolicyVersion({ orgId: user.orgId, version: fromNumber }),
    toNumber === undefined ? null : getPolicyVersion({ orgId: user.orgId, version: toNumber }),
  ]);
  // A version older than the list is still offered, so the form shows what is compared.
  const choices = [...recent];
  for (const version of [from, to]) if (version && !choices.some((choice) => choice.version === version.version)) choices.push(version);

  const missing = [
    [params.from, from],
    [params.to, to],
  ].flatMap(([asked, found]) => (typeof asked === "string" && !found ? [asked] : []));

  return (
    <div className="space-y-6">
      <PageHeader eyebrow={<Breadcrumb trail={[AGENT_POLICY_CRUMB]} />} title="Compare versions" />
      {recent.length === 0 ? (
        <Alert tone="info">No version has been published yet, so there is nothing to compare.</Alert>
      ) : (
        <Card>
          <CardHeader
            title={from && to ? `${formatVersion(from.version)} → ${formatVersion(to.version)}` : "Choose two versions"}
            description={from && to ? `From “${from.name}” to “${to.name}”.` : undefined}
          />
          <div className="space-y-5 px-5 py-4">
            <PolicyVersionCompareForm versions={choices} from={from?.version ?? fromNumber!} to={to?.version ?? toNumber!} />
            {missing.length > 0 && <Alert tone="error">{`No such version: ${missing.join(", ")}.`}</Alert>}
            {from && to && (
              <RuleSetDiff
                diff={diffVersions(from, to)}
                fromLabel={formatVersion(from.version)}
                toLabel={formatVersion(to.version)}
                describe={(rule) => `${describeRule(rule)}${rule.enabled ? "" : " (disabled)"}`}
                typeLabel={(type) => RULE_TYPE_LABELS[type as AgentRuleType]}
              />
            )}
          </div>
        </Card>
      )}
    </div>
  );
}
