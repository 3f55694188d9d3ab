import type { Metadata } from "next";
import { ConfirmActionButton } from "@/components/confirm-action-button";
import { columns, DataTable } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { formatDateTime } from "@/components/format";
import { PageHeader } from "@/components/page-header";
import { TokenCreateForm } from "@/components/token-create-form";
import { Badge } from "@/components/ui/badge";
import { Card, CardHeader } from "@/components/ui/card";
import { listApiTokens, type PublicApiToken } from "@/db/queries/api-tokens";
import { requireUser } from "@/lib/auth/session";
import { revokeTokenAction } from "./actions";

export const metadata: Metadata = { title: "API tokens · Settings" };

function TokenState({ token, now }: { token: PublicApiToken; now: Date }) {
  if (token.revokedAt) return <Badge>Revoked</Badge>;
  if (token.expiresAt && token.expiresAt <= now) return <Badge tone="amber">Expired</Badge>;
  return <Badge tone="green">Active</Badge>;
}

export default async function TokensPage() {
  const { user } = await requireUser();
  const isAdmin = user.role === "admin";
  const tokens = await listApiTokens({ orgId: user.orgId, userId: isAdmin ? undefined : user.id });
  const now = new Date();

  return (
    <div className="space-y-8">
      <PageHeader
        title="API tokens"
        description={
          <>
            Tokens authenticate API calls with <code className="text-xs">Authorization: Bearer &lt;token&gt;</code> and act with their owner&apos;s role
            {isAdmin ? "." : ": yours can only read."} {isAdmin ? "As an admin you see and can revoke every token in your organization." : "You see your own tokens."}
          </>
        }
      />

      <Card>
        <CardHeader title="Create a token" description="The token belongs to you." />
        <div className="p-5">
          <TokenCreateForm />
        </div>
      </Card>

      <section aria-labelledby="token-list" className="space-y-3">
        <h2 id="token-list" className="text-lg font-semibold text-slate-900">
          {isAdmin ? "Tokens in your organization" : "Your tokens"}
        </h2>
        {tokens.length === 0 ? (
          <EmptyState title="No API tokens yet">Create one above to call the Security Policies API from a script.</EmptyState>
        ) : (
          <DataTable labelledBy="token-list" columns={columns("Name", ...(isAdmin ? ["Owner"] : []), "Token", "Created", "Last used", "Expires", "State", "Actions")} minWidth="min-w-[48rem]">
            {tokens.map((token) => {
              const live = !token.revokedAt && !(token.expiresAt && token.expiresAt <= now);
              return (
                <tr key={token.id} data-testid="token-row">
                  <th scope="row" className="font-medium text-slate-900">
                    {token.name}
                  </th>
                  {isAdmin && <td className="break-all text-slate-700">{token.ownerEmail}</td>}
                  <td className="font-mono text-xs text-slate-700">{token.tokenPrefix}…</td>
                  <td className="whitespace-nowrap text-slate-700 tabular-nums">{formatDateTime(token.createdAt)}</td>
                  <td className="whitespace-nowrap text-slate-700 tabular-nums">{formatDateTime(token.lastUsedAt, "Never")}</td>
                  <td className="whitespace-nowrap text-slate-700 tabular-nums">{formatDateTime(token.expiresAt, "Never")}</td>
                  <td>
                    <TokenState token={token} now={now} />
                  </td>
                  <td className="text-right">
                    {!token.revokedAt && (
                      <ConfirmActionButton
                        label="Revoke"
                        ariaLabel={`Revoke token ${token.name}`}
                        variant="danger"
                        action={revokeTokenAction}
                        payload={{ id: token.id }}
                        dialog={{
                          title: `Revoke “${token.name}”?`,
                          confirmLabel: "Revoke token",
                          body: (
                            <p>
                              {live ? "Every request made with it is refused from now on" : "It can never be used again"}
                              {token.userId === user.id ? "." : ` (it belongs to ${token.ownerEmail}).`} This cannot be undone.
                            </p>
                          ),
                        }}
                      />
                    )}
                  </td>
                </tr>
              );
            })}
          </DataTable>
        )}
      </section>
    </div>
  );
}
