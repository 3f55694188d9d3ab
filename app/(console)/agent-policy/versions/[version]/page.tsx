import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { AGENT_POLICY_CRUMB, Breadcrumb } from "@/components/breadcrumb";
import { PageHeader } from "@/components/page-header";
import { PolicyVersionCard } from "@/components/policy-version-card";
import { PolicyVersionRepublishButton } from "@/components/policy-version-republish-button";
import { buttonClasses } from "@/components/ui/button";
import { getActivePolicyVersion, getPolicyVersion } from "@/db/queries/agent-policies";
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
  const [version, active] = await Promise.all([
    number === null ? null : getPolicyVersion({ orgId: user.orgId, version: number }),
    getActivePolicyVersion({ orgId: user.orgId }),
  ]);
  if (!version || !active) notFound();
  const label = formatVersion(version.version);
  const isActive = version.version === active.version;

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
              <Link href={`/agent-policy/diff?from=${label}&to=${formatVersion(active.version)}`} className={buttonClasses("secondary", "sm")}>
                Compare with active
              </Link>
              {user.role === "admin" && (
                <PolicyVersionRepublishButton version={version.version} activeVersion={active.version} />
              )}
            </>
          )
        }
      />
    </div>
  );
}
