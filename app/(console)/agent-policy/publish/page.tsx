import type { Metadata } from "next";
import Link from "next/link";
import { AGENT_POLICY_CRUMB, Breadcrumb } from "@/components/breadcrumb";
import { PageHeader } from "@/components/page-header";
import { ruleTemplate } from "@/components/agent-rule-types";
import { PolicyVersionEditor } from "@/components/policy-version-editor";
import { Alert } from "@/components/ui/alert";
import { buttonClasses } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { getActivePolicyVersion, getRolloutVersion, highestPolicyVersion } from "@/db/queries/agent-policies";
import { formatVersion } from "@/lib/agent-policy/rules";
import { requireUser } from "@/lib/auth/session";

export const metadata: Metadata = { title: "Publish an agent policy version" };

export default async function PublishAgentPolicyPage() {
  const { user } = await requireUser({ role: "admin" });
  const [active, rollout, highest] = await Promise.all([
    getActivePolicyVersion({ orgId: user.orgId }),
    getRolloutVersion({ orgId: user.orgId }),
    highestPolicyVersion({ orgId: user.orgId }),
  ]);
  // The editor starts from the active version, so a change is an edit of what agents run now.
  const initial = active
    ? { name: active.name, description: active.description ?? "", rules: active.rules }
    : { name: "", description: "", rules: [{ type: "block_ip" as const, enabled: true, config: ruleTemplate("block_ip") }] };

  return (
    <div className="space-y-6">
      <PageHeader
        eyebrow={<Breadcrumb trail={[AGENT_POLICY_CRUMB]} />}
        title="Publish a new version"
        description={active ? `Prefilled from the active version, ${formatVersion(active.version)}.` : "This is the first version of your organization's agent policy."}
      />
      {rollout ? (
        // One rollout at a time: the server refuses a publish until this one is promoted or aborted.
        <Alert tone="warning" title={`${formatVersion(rollout.version)} is rolling out to ${rollout.selector}`}>
          <p>Promote it to the whole fleet or abort it before publishing another version.</p>
          <Link href="/agent-policy" className={buttonClasses("secondary", "sm", "mt-3")}>
            Go to the rollout
          </Link>
        </Alert>
      ) : (
        <Card className="p-5">
          <PolicyVersionEditor initial={initial} nextVersion={formatVersion(highest + 1)} />
        </Card>
      )}
    </div>
  );
}
