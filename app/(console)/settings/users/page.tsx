import type { Metadata } from "next";
import { ConfirmActionButton } from "@/components/confirm-action-button";
import { columns, DataTable } from "@/components/data-table";
import { formatDateTime } from "@/components/format";
import { PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Card, CardHeader } from "@/components/ui/card";
import { UserCreateForm } from "@/components/user-create-form";
import { countPasskeysByUser } from "@/db/queries/passkeys";
import { listUsers } from "@/db/queries/users";
import { toPublicUser, type PublicUser } from "@/lib/users/serialize";
import { passwordRulesFor } from "@/lib/auth/password";
import { requireUser } from "@/lib/auth/session";
import { changeRoleAction, resetMfaAction, setUserDisabledAction } from "./actions";

export const metadata: Metadata = { title: "Users · Settings" };

const USER_COLUMNS = columns("Email", "Role", "State", "MFA", "Last sign-in", "Actions");

/** A user as the table shows them: with how many passkeys they have. */
type Member = PublicUser & { passkeys: number };

/** Which second factors a user has, in words. */
function secondFactors(member: Member): string {
  const factors = [member.passkeys > 0 && (member.passkeys === 1 ? "1 passkey" : `${member.passkeys} passkeys`), member.totpEnabledAt && "authenticator app"].filter(Boolean);
  return factors.length > 0 ? factors.join(", ") : "Not enrolled";
}

function UserActions({ target }: { target: Member }) {
  const promote = target.role !== "admin";
  const disabled = target.disabledAt !== null;
  return (
    <div className="flex flex-wrap justify-end gap-2">
      <ConfirmActionButton
        label={promote ? "Make admin" : "Make viewer"}
        ariaLabel={`${promote ? "Make admin" : "Make viewer"}: ${target.email}`}
        action={changeRoleAction}
        payload={{ userId: target.id, role: promote ? "admin" : "viewer" }}
        dialog={{
          title: promote ? `Make ${target.email} an admin?` : `Make ${target.email} a viewer?`,
          confirmLabel: promote ? "Make admin" : "Make viewer",
          tone: promote ? "primary" : "danger",
          body: promote ? (
            <p>Admins change policies, users and tokens for the whole organization. The change applies at once, to their sessions and tokens.</p>
          ) : (
            <p>They keep read access; their sessions and tokens lose every write permission at once.</p>
          ),
        }}
      />
      <ConfirmActionButton
        label={disabled ? "Enable" : "Disable"}
        ariaLabel={`${disabled ? "Enable" : "Disable"}: ${target.email}`}
        variant={disabled ? "secondary" : "danger"}
        action={setUserDisabledAction}
        payload={{ userId: target.id, disabled: !disabled }}
        dialog={{
          title: disabled ? `Enable ${target.email}?` : `Disable ${target.email}?`,
          confirmLabel: disabled ? "Enable user" : "Disable user",
          tone: disabled ? "primary" : "danger",
          body: disabled ? (
            <p>They can sign in again, and their unrevoked API tokens work again. Sessions ended by disabling stay ended.</p>
          ) : (
            <p>Every session of theirs ends now, their API tokens are refused, and they cannot sign in until an admin enables them again.</p>
          ),
        }}
      />
      {(target.totpEnabledAt || target.passkeys > 0) && (
        <ConfirmActionButton
          label="Reset MFA"
          ariaLabel={`Reset MFA: ${target.email}`}
          action={resetMfaAction}
          payload={{ userId: target.id }}
          dialog={{
            title: `Reset MFA for ${target.email}?`,
            confirmLabel: "Reset MFA",
            body: (
              <p>
                Their passkeys, authenticator app and recovery codes stop working and their sessions end. While MFA is required they set up a new second
                factor at their next sign-in. Do this only after confirming who is asking, for example when they lost their phone.
              </p>
            ),
          }}
        />
      )}
    </div>
  );
}

export default async function UsersPage() {
  const { user } = await requireUser({ role: "admin" });
  // Only the fields that are safe to show: password hashes and TOTP secrets never reach a render.
  const passkeyCounts = await countPasskeysByUser({ orgId: user.orgId });
  const users = (await listUsers({ orgId: user.orgId })).map((member) => ({ ...toPublicUser(member), passkeys: passkeyCounts.get(member.id) ?? 0 }));

  return (
    <div className="space-y-8">
      <PageHeader title="Users" description="Everyone who can sign in to your organization's console. Every change here is audited." />

      <Card>
        <CardHeader title="Create a user" description="They sign in with this email and password, and set up two-factor authentication while MFA is required." />
        <div className="p-5">
          <UserCreateForm minPasswordLength={(await passwordRulesFor(user.orgId)).minLength} />
        </div>
      </Card>

      <section aria-labelledby="user-list" className="space-y-3">
        <h2 id="user-list" className="text-lg font-semibold text-slate-900">
          Users in your organization
        </h2>
        <DataTable labelledBy="user-list" columns={USER_COLUMNS} minWidth="min-w-[52rem]">
          {users.map((member) => {
            const self = member.id === user.id;
            return (
              <tr key={member.id} data-testid="user-row">
                <th scope="row" className="font-medium break-all text-slate-900">
                  {member.email}
                  {self && <span className="ml-2 text-xs font-normal text-slate-600">(you)</span>}
                </th>
                <td>
                  <Badge tone={member.role === "admin" ? "indigo" : "neutral"}>{member.role === "admin" ? "Admin" : "Viewer"}</Badge>
                </td>
                <td>{member.disabledAt ? <Badge tone="red">Disabled</Badge> : <Badge tone="green">Active</Badge>}</td>
                <td className="text-slate-700">{secondFactors(member)}</td>
                <td className="whitespace-nowrap text-slate-700 tabular-nums">{formatDateTime(member.lastLoginAt, "Never")}</td>
                <td className="text-right">
                  {self ? <span className="text-xs text-slate-600">Another admin manages your account</span> : <UserActions target={member} />}
                </td>
              </tr>
            );
          })}
        </DataTable>
      </section>
    </div>
  );
}
