import type { Metadata } from "next";
import Link from "next/link";
import { ConfirmActionButton } from "@/components/confirm-action-button";
import { columns, DataTable } from "@/components/data-table";
import { DateTime } from "@/components/date-time";
import { requestTime } from "@/components/format";
import { PageHeader } from "@/components/page-header";
import { PasskeyRegistration } from "@/components/passkey-registration";
import { PasskeyRenameForm } from "@/components/passkey-rename-form";
import { PasswordChangeForm } from "@/components/password-change-form";
import { Badge } from "@/components/ui/badge";
import { buttonClasses } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { listPasskeys } from "@/db/queries/passkeys";
import { passwordRulesFor } from "@/lib/auth/password";
import { requireUser } from "@/lib/auth/session";
import { removePasskeyAction } from "./actions";

export const metadata: Metadata = { title: "Your account · Settings" };

export default async function AccountPage() {
  const { user } = await requireUser();
  const passkeys = await listPasskeys({ userId: user.id });
  const now = requestTime();
  return (
    <div className="space-y-8">
      <PageHeader title="Your account" description={`Signed in as ${user.email}.`} />
      <Card>
        <CardHeader
          title={<span id="passkeys">Passkeys</span>}
          description="A passkey signs you in with your device's fingerprint, face or PIN: as a second factor after your password, or on its own with “Sign in with a passkey”."
        />
        {passkeys.length > 0 && (
          <DataTable labelledBy="passkeys" layout="flush" columns={columns("Name", "Added", "Last used", "Kind", "Actions")} minWidth="min-w-[40rem]">
            {passkeys.map((passkey) => (
              <tr key={passkey.id}>
                <td>
                  <PasskeyRenameForm id={passkey.id} name={passkey.name} />
                </td>
                <td>
                  <DateTime value={passkey.createdAt} now={now} />
                </td>
                <td>
                  <DateTime value={passkey.lastUsedAt} now={now} />
                </td>
                <td>{passkey.multiDevice ? <Badge tone={passkey.backedUp ? "green" : "neutral"}>{passkey.backedUp ? "Synced" : "Syncable"}</Badge> : <Badge>This device only</Badge>}</td>
                <td className="text-right">
                  <ConfirmActionButton
                    label="Remove"
                    ariaLabel={`Remove passkey ${passkey.name}`}
                    variant="danger"
                    action={removePasskeyAction}
                    payload={{ id: passkey.id }}
                    dialog={{
                      title: `Remove the passkey “${passkey.name}”?`,
                      confirmLabel: "Remove passkey",
                      tone: "danger",
                      body: <p>It stops signing you in at once. Remove it from your device or password manager too.</p>,
                    }}
                  />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
        <div className="border-t border-slate-200 p-5">
          <PasskeyRegistration />
        </div>
      </Card>
      <Card>
        <CardHeader title="Authenticator app" description="Codes from an app such as 1Password or Google Authenticator: the fallback when your passkey is not at hand." />
        <div className="flex flex-wrap items-center gap-3 p-5 text-sm text-slate-700">
          {user.totpEnabledAt ? (
            <>
              <Badge tone="green">On</Badge> Set up <DateTime value={user.totpEnabledAt} now={now} />.
            </>
          ) : (
            <>
              <Badge>Off</Badge>
              <Link href="/mfa/enroll" className={buttonClasses("secondary", "sm")}>
                Set up an authenticator app
              </Link>
            </>
          )}
        </div>
      </Card>
      <Card>
        <CardHeader title="Password" description="Changing your password signs you out everywhere, this browser included." />
        <div className="p-5">
          <PasswordChangeForm minPasswordLength={(await passwordRulesFor(user.orgId)).minLength} />
        </div>
      </Card>
    </div>
  );
}
