import type { Metadata } from "next";
import { AGENTS_CRUMB, Breadcrumb } from "@/components/breadcrumb";
import { ConfirmActionButton } from "@/components/confirm-action-button";
import { columns, DataTable } from "@/components/data-table";
import { DateTime } from "@/components/date-time";
import { EnrollmentKeyForm } from "@/components/enrollment-key-form";
import { requestTime } from "@/components/format";
import { PageHeader } from "@/components/page-header";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Card, CardHeader } from "@/components/ui/card";
import { listEnrollmentKeys, type PublicEnrollmentKey } from "@/db/queries/enrollment-keys";
import { requireUser } from "@/lib/auth/session";
import { revokeEnrollmentKeyAction } from "./actions";

export const metadata: Metadata = { title: "Enrollment keys" };

function keyState(key: PublicEnrollmentKey, now: number): { label: string; tone: BadgeTone; usable: boolean } {
  if (key.revokedAt) return { label: "Revoked", tone: "red", usable: false };
  if (key.expiresAt && key.expiresAt.getTime() <= now) return { label: "Expired", tone: "neutral", usable: false };
  if (key.maxUses !== null && key.uses >= key.maxUses) return { label: "Used up", tone: "neutral", usable: false };
  return { label: "Active", tone: "green", usable: true };
}

export default async function EnrollmentKeysPage() {
  const { user } = await requireUser({ role: "admin" });
  const keys = await listEnrollmentKeys({ orgId: user.orgId });
  const now = requestTime();

  return (
    <div className="space-y-6">
      <PageHeader
        eyebrow={<Breadcrumb trail={[AGENTS_CRUMB]} />}
        title="Enrollment keys"
        description="An agent trades a key for its own token when it enrols. Keys are stored only as hashes."
      />

      <Card>
        <CardHeader title="Create a key" />
        <div className="px-5 py-4">
          <EnrollmentKeyForm />
        </div>
      </Card>

      <Card>
        <CardHeader title="Keys" description="Newest first." />
        {keys.length === 0 ? (
          <p className="px-5 py-8 text-center text-sm text-slate-600">No enrollment keys yet.</p>
        ) : (
          <DataTable label="Enrollment keys table" layout="flush" minWidth="min-w-[44rem]" columns={columns("Key", "State", "Uses", "Expires", "Created", "Actions")}>
            {keys.map((key) => {
              const state = keyState(key, now);
              return (
                <tr key={key.id}>
                  <th scope="row" className="font-mono font-normal text-slate-900">
                    {key.keyPrefix}…
                  </th>
                  <td>
                    <Badge tone={state.tone}>{state.label}</Badge>
                  </td>
                  <td className="tabular-nums text-slate-700">
                    {key.uses} / {key.maxUses ?? "unlimited"}
                  </td>
                  <td className="text-slate-700">
                    <DateTime value={key.expiresAt} fallback="never" />
                  </td>
                  <td className="text-slate-700">
                    <DateTime value={key.createdAt} />
                    {key.createdBy && <span className="block text-xs text-slate-500">{key.createdBy}</span>}
                  </td>
                  <td>
                    {state.usable && (
                      <ConfirmActionButton
                        label="Revoke"
                        ariaLabel={`Revoke key ${key.keyPrefix}`}
                        action={revokeEnrollmentKeyAction}
                        payload={{ id: key.id }}
                        dialog={{
                          title: `Revoke key ${key.keyPrefix}…?`,
                          confirmLabel: "Revoke key",
                          body: <p>It enrols no more agents. Agents already enrolled with it keep working.</p>,
                        }}
                      />
                    )}
                  </td>
                </tr>
              );
            })}
          </DataTable>
        )}
      </Card>
    </div>
  );
}
