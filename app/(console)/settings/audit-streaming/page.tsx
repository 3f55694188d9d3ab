import type { Metadata } from "next";
import { AuditDestinationForm } from "@/components/audit-destination-form";
import { auditActionLabel } from "@/components/audit-labels";
import { ConfirmActionButton } from "@/components/confirm-action-button";
import { columns, DataTable } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { formatDateTime } from "@/components/format";
import { PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Card, CardHeader } from "@/components/ui/card";
import { listAuditDeliveries, listAuditDestinations, type AuditDestinationWithHealth } from "@/db/queries/audit-destinations";
import { requireUser } from "@/lib/auth/session";
import { deleteDestinationAction, replayAction, setDestinationEnabledAction } from "./actions";

export const metadata: Metadata = { title: "Audit streaming · Settings" };

const DEAD_LETTERS_SHOWN = 100;

function Health({ destination }: { destination: AuditDestinationWithHealth }) {
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs text-slate-700">
      <dt className="text-slate-500">Last delivered</dt>
      <dd className="tabular-nums">{formatDateTime(destination.lastDeliveredAt, "Never")}</dd>
      <dt className="text-slate-500">Last failure</dt>
      <dd className="tabular-nums">
        {formatDateTime(destination.lastFailedAt, "None")}
        {destination.lastFailedAt && destination.lastError && (
          <span data-testid="destination-last-error" className="block break-words text-red-700">
            {destination.lastError}
          </span>
        )}
      </dd>
      <dt className="text-slate-500">Queue</dt>
      <dd>
        {destination.pending} pending
        {destination.dead > 0 && (
          <Badge tone="red" className="ml-2">
            {destination.dead} dead
          </Badge>
        )}
      </dd>
    </dl>
  );
}

async function DeadLetters({ orgId, destination }: { orgId: string; destination: AuditDestinationWithHealth }) {
  const letters = await listAuditDeliveries({ orgId, destinationId: destination.id, state: "dead", limit: DEAD_LETTERS_SHOWN });
  const headingId = `dead-${destination.id}`;
  return (
    <section aria-labelledby={headingId} className="space-y-3">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h3 id={headingId} className="text-base font-semibold text-slate-900">
          Dead letters: {destination.url}
        </h3>
        <ConfirmActionButton
          label="Replay all"
          ariaLabel={`Replay all dead deliveries to ${destination.url}`}
          action={replayAction}
          payload={{ id: destination.id }}
          dialog={{
            title: `Replay ${destination.dead} dead ${destination.dead === 1 ? "delivery" : "deliveries"}?`,
            confirmLabel: "Replay all",
            body: <p>They are queued again with fresh attempts and sent oldest first, ahead of this destination&apos;s later rows.</p>,
          }}
        />
      </div>
      <DataTable labelledBy={headingId} columns={columns("Chain position", "Action", "Attempts", "Last status", "Last error", "Actions")} minWidth="min-w-[44rem]">
        {letters.map((letter) => (
          <tr key={letter.id} data-testid="dead-letter-row">
            <th scope="row" className="font-mono text-xs text-slate-900">
              #{letter.chainPosition}
            </th>
            <td className="text-slate-700">
              {letter.action ? auditActionLabel(letter.action) : "—"}
              <span className="block text-xs break-all text-slate-500">{letter.resource}</span>
            </td>
            <td className="tabular-nums">{letter.attempts}</td>
            <td className="tabular-nums">{letter.lastStatus ?? "—"}</td>
            <td className="max-w-xs text-xs break-words text-red-700">{letter.lastError}</td>
            <td className="text-right">
              <ConfirmActionButton
                label="Replay"
                ariaLabel={`Replay delivery ${letter.id}`}
                action={replayAction}
                payload={{ id: destination.id, deliveryId: letter.id }}
                dialog={{ title: `Replay chain position ${letter.chainPosition}?`, confirmLabel: "Replay", body: <p>It is queued again with fresh attempts.</p> }}
              />
            </td>
          </tr>
        ))}
      </DataTable>
      {destination.dead > letters.length && <p className="text-xs text-slate-500">The oldest {letters.length} of {destination.dead} are shown; Replay all re-queues every one.</p>}
    </section>
  );
}

export default async function AuditStreamingPage() {
  const { user } = await requireUser({ role: "admin" });
  const destinations = await listAuditDestinations({ orgId: user.orgId });
  const withDeadLetters = destinations.filter((destination) => destination.dead > 0);

  return (
    <div className="space-y-8">
      <PageHeader
        title="Audit streaming"
        description={
          <>
            Every audit row of your organization is POSTed to each destination as JSON, in chain order, signed with its secret (
            <code className="text-xs">X-Palisade-Signature: sha256=…</code>), and delivered at least once. Failed deliveries are retried with backoff for about five hours,
            then listed here as dead letters to replay. See docs/siem.md.
          </>
        }
      />

      <Card>
        <CardHeader title="Add a destination" description="A SIEM's HTTP collector, or a relay in front of one." />
        <div className="p-5">
          <AuditDestinationForm />
        </div>
      </Card>

      <section aria-labelledby="destination-list" className="space-y-3">
        <h2 id="destination-list" className="text-lg font-semibold text-slate-900">
          Destinations
        </h2>
        {destinations.length === 0 ? (
          <EmptyState title="No destinations yet">Add one above to stream the audit log to your SIEM.</EmptyState>
        ) : (
          <DataTable labelledBy="destination-list" columns={columns("URL", "Actions sent", "State", "Delivery", "Actions")} minWidth="min-w-[56rem]">
            {destinations.map((destination) => (
              <tr key={destination.id} data-testid="destination-row" className="align-top">
                <th scope="row" className="font-medium break-all text-slate-900">
                  {destination.url}
                  <details className="mt-2 font-normal">
                    <summary className="cursor-pointer text-sm text-indigo-700">Edit or rotate the secret</summary>
                    <div className="mt-3">
                      <AuditDestinationForm destination={{ id: destination.id, url: destination.url, actions: destination.actions }} />
                    </div>
                  </details>
                </th>
                <td className="text-xs text-slate-700">{destination.actions === null ? "Every action" : destination.actions.join(", ")}</td>
                <td>{destination.enabled ? <Badge tone="green">Enabled</Badge> : <Badge>Disabled</Badge>}</td>
                <td>
                  <Health destination={destination} />
                </td>
                <td className="text-right">
                  <div className="flex flex-wrap justify-end gap-2">
                    <ConfirmActionButton
                      label={destination.enabled ? "Disable" : "Enable"}
                      ariaLabel={`${destination.enabled ? "Disable" : "Enable"} ${destination.url}`}
                      action={setDestinationEnabledAction}
                      payload={{ id: destination.id, enabled: !destination.enabled }}
                      dialog={{
                        title: destination.enabled ? `Disable ${destination.url}?` : `Enable ${destination.url}?`,
                        confirmLabel: destination.enabled ? "Disable" : "Enable",
                        body: destination.enabled ? (
                          <p>Rows written while it is disabled are not sent to it. Rows already queued wait until it is enabled again.</p>
                        ) : (
                          <p>New audit rows are sent to it again, and its queued rows go out.</p>
                        ),
                      }}
                    />
                    <ConfirmActionButton
                      label="Delete"
                      ariaLabel={`Delete ${destination.url}`}
                      variant="danger"
                      action={deleteDestinationAction}
                      payload={{ id: destination.id }}
                      dialog={{ title: `Delete ${destination.url}?`, confirmLabel: "Delete destination", body: <p>Its queued and dead deliveries are dropped. The audit log itself is kept.</p> }}
                    />
                  </div>
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </section>

      {withDeadLetters.map((destination) => (
        <DeadLetters key={destination.id} orgId={user.orgId} destination={destination} />
      ))}
    </div>
  );
}
