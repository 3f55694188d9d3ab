import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { LoginForm } from "@/components/login-form";
import { countUsers } from "@/db/queries/users";
import { currentSession, type SessionAccess } from "@/lib/auth/session";
import { safeRedirectPath } from "@/lib/auth/redirects";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const session = await currentSession();
  if (session?.access === "ok") redirect("/");
  if ((await countUsers()) === 0) redirect("/setup");
  const params = await searchParams;
  return <LoginForm callbackUrl={safeRedirectPath(params.callbackUrl)} notice={noticeFor(session?.access, params)} />;
}

/** Why the visitor is here, when there is more to say than "sign in". */
function noticeFor(access: SessionAccess | undefined, params: Record<string, string | string[] | undefined>): string | undefined {
  if (access === "blocked") return "Your organization's IP allowlist does not admit your network address: this session cannot be used from here.";
  if (access === "reauth") return "MFA is now required in your organization: sign in again with your authentication code.";
  if (params.setup === "done") return "Your admin account is ready. Sign in to continue.";
  if (params.session === "expired") return "Your session ended: your organization's session timeout policy signs out sessions left idle or open too long. Sign in again.";
  if (params.password === "changed") return "Your password was changed and every session signed out. Sign in with the new password.";
  return undefined;
}
