import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { AGENT_POLICY_CRUMB, Breadcrumb } from "@/components/breadcrumb";
import { PageHeader } from "@/components/page-header";
import { PolicyRolloutButtons } from "@/components/policy-rollout-buttons";
import { PolicyVersionCard } from "@/components/policy-version-card";
import { PolicyVersionRepublishButton } from "@/components/policy-version-republish-button";
import { buttonClasses } from "@/components/ui/button";
import { getActivePolicyVersion, getPolicyVersion, getRolloutVersion, highestPolicyVersion } from "@/db/queries/agent-policies";
import { formatVersion, parseVersion } from "@/lib/agent-policy/rules";
import { requireUser } from "@/lib/auth/session";

type Params = Promise<{ version: string }>;

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const number = parseVersion((await params).version);
  return { title: number === null ? "Agent policy version" : `Agent policy ${formatVersion(number)}` };
}

export default async function PolicyVersionPage({ params }: { params: Params }) {
  const { user } = await requireUser();
  const number = parseVersion((await params).version);
  const [version, active, rollout, highest] = await Promise.all([
    number === null ? null : getPolicyVersion({ orgId: user.orgId, version: number }),
    getActivePolicyVersion({ orgId: user.orgId }),
    getRolloutVersion({ orgId: user.orgId }),
    highestPolicyVersion({ orgId: user.orgId }),
  ]);
  if (!version) notFound();
  const label = formatVersion(version.version);
  const isActive = version.version === active?.version;
  const isAdmin = user.role === "admin";

  return (
    <div className="space-y-6">
      <PageHeader eyebrow={<Breadcrumb trail={[AGENT_POLICY_CRUMB]} />} title={`Version ${label}`} />
      <PolicyVersionCard
        version={version}
        active={isActive}
        title="Version"
        actions={
          !isActive && (
            <>
              {active && (
                <Link href={`/agent-policy/diff?from=${label}&to=${formatVersion(active.version)}`} className={buttonClasses("secondary", "sm")}>
                  Compare with active
                </Link>
              )}
              {/* Republishing waits while a rollout is in progress, like any publish. */}
              {isAdmin && !rollout && <PolicyVersionRepublishButton version={version.version} highestVersion={highest} />}
            </>
          )
        }
      />
      {version.stage === "canary" && version.selector !== null && (
        <section aria-label="Rollout in progress" className="space-y-3 rounded-lg border border-indigo-200 bg-indigo-50/50 p-4">
          <p className="text-sm text-slate-700">
            The rollout&apos;s figures are on the{" "}
            <Link href="/agent-policy" className="font-medium text-indigo-700 underline underline-offset-2">
              agent policy page
            </Link>
            .
          </p>
          {isAdmin && <PolicyRolloutButtons version={version.version} selector={version.selector} activeVersion={active?.version ?? null} />}
        </section>
      )}
    </div>
  );
}
