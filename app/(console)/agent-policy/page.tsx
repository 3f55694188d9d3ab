import type { Metadata } from "next";
import Link from "next/link";
import { ConvergenceHistory } from "@/components/convergence-history";
import { columns, DataTable } from "@/components/data-table";
import { DateTime } from "@/components/date-time";
import { PageHeader } from "@/components/page-header";
import { PolicyVersionCard } from "@/components/policy-version-card";
import { PolicyVersionCompareForm } from "@/components/policy-version-compare-form";
import { PolicyVersionRepublishButton } from "@/components/policy-version-republish-button";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { buttonClasses } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { listPolicyVersions } from "@/db/queries/agent-policies";
import type { AgentPolicyVersion } from "@/db/schema";
import { formatVersion, parseVersion } from "@/lib/agent-policy/rules";
import { requireUser } from "@/lib/auth/session";

export const metadata: Metadata = { title: "Agent policy" };

// The history shows the newest versions; older ones stay reachable by URL (/agent-policy/versions/v3).
const HISTORY_LIMIT = 100;

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/** The notice after a publish from the editor, which lands here with ?published=v3&pushed=2. */
function publishedNotice(params: Awaited<SearchParams>): string | null {
  const version = typeof params.published === "string" ? parseVersion(params.published) : null;
  if (version === null) return null;
  const pushed = Number(params.pushed);
  const reach = Number.isInteger(pushed) && pushed >= 0 ? ` and pushed it to ${pushed} connected agent${pushed === 1 ? "" : "s"}` : "";
  return `Published ${formatVersion(version)}${reach}.`;
}

export default async function AgentPolicyPage({ searchParams }: { searchParams: SearchParams }) {
  const { user } = await requireUser();
  const isAdmin = user.role === "admin";
  const versions = await listPolicyVersions({ orgId: user.orgId, limit: HISTORY_LIMIT });
  const active = versions[0] ?? null;
  const notice = publishedNotice(await searchParams);
  const publishLink = (text: string) => (
    <Link href="/agent-policy/publish" className={buttonClasses("primary")}>
      {text}
    </Link>
  );

  return (
    <div className="space-y-6">
      <PageHeader
        title="Agent policy"
        description="The versioned rule set every enrolled agent enforces. The newest version is active."
        actions={isAdmin && active && publishLink("Publish a new version")}
      />
      {notice && <Alert tone="success">{notice}</Alert>}

      {active ? (
        <PolicyVersionCard version={active} active title="Active version" />
      ) : (
        <Card>
          <CardHeader title="Active version" />
          <div className="space-y-3 px-5 py-8 text-center">
            <p className="text-sm font-medium text-slate-900">No version published yet</p>
            <p className="text-sm text-slate-600">Agents enrol and wait until the first version is published; they receive it at once.</p>
            {isAdmin ? publishLink("Publish the first version") : <p className="text-sm text-slate-600">An admin can publish it.</p>}
          </div>
        </Card>
      )}

      {active && <ConvergenceHistory orgId={user.orgId} />}
      {active && <VersionHistory versions={versions} active={active} isAdmin={isAdmin} />}
    </div>
  );
}

function VersionHistory({ versions, active, isAdmin }: { versions: AgentPolicyVersion[]; active: AgentPolicyVersion; isAdmin: boolean }) {
  const previous = versions[1];
  return (
    <Card>
      <CardHeader
        title="Version history"
        description={`Newest first${versions.length === HISTORY_LIMIT ? `, the latest ${HISTORY_LIMIT}` : ""}. Compare any two versions, or republish an old one to roll back.`}
      />
      {previous && (
        <div className="border-b border-slate-200 px-5 py-4">
          <PolicyVersionCompareForm versions={versions} from={previous.version} to={active.version} />
        </div>
      )}
      <DataTable label="Version history table" layout="flush" minWidth="min-w-[40rem]" columns={columns("Version", "Name", "Rules", "Published", "Actions")}>
        {versions.map((version) => {
          const label = formatVersion(version.version);
          const isActive = version.version === active.version;
          return (
            <tr key={version.id}>
              <th scope="row" className="font-medium">
                <span className="flex items-center gap-2">
                  <Link href={`/agent-policy/versions/${label}`} className="text-indigo-700 underline-offset-2 hover:underline">
                    {label}
                  </Link>
                  {isActive && <Badge tone="green">Active</Badge>}
                </span>
              </th>
              <td className="text-slate-900">
                {version.name}
                {version.republishedFrom !== null && <span className="block text-xs text-slate-500">Republished from {formatVersion(version.republishedFrom)}</span>}
              </td>
              <td className="text-slate-700">{version.rules.length}</td>
              <td className="text-slate-700">
                <DateTime value={version.createdAt} />
                {version.createdBy && <span className="block text-xs text-slate-500">{version.createdBy}</span>}
              </td>
              <td>
                {!isActive && (
                  <div className="flex flex-wrap items-start justify-end gap-2">
                    <Link href={`/agent-policy/diff?from=${label}&to=${formatVersion(active.version)}`} className={buttonClasses("ghost", "sm")}>
                      <span>
                        Compare<span className="sr-only"> {label}</span> with active
                      </span>
                    </Link>
                    {isAdmin && <PolicyVersionRepublishButton version={version.version} activeVersion={active.version} />}
                  </div>
                )}
              </td>
            </tr>
          );
        })}
      </DataTable>
    </Card>
  );
}
