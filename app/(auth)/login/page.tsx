import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { LoginForm } from "@/components/login-form";
import { countUsers } from "@/db/queries/users";
import { currentSession } from "@/lib/auth/session";
import { safeRedirectPath } from "@/lib/auth/redirects";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const session = await currentSession();
  if (session?.access === "ok") redirect("/");
  if ((await countUsers()) === 0) redirect("/setup");
  const params = await searchParams;
  const notice =
    session?.access === "blocked"
      ? "Your organization's IP allowlist does not admit your network address: this session cannot be used from here."
      : session?.access === "reauth"
      ? "MFA is now required in your organization: sign in again with your authentication code."
      : params.setup === "done"
        ? "Your admin account is ready. Sign in to continue."
        : params.password === "changed"
          ? "Your password was changed and every session signed out. Sign in with the new password."
          : undefined;
  return <LoginForm callbackUrl={safeRedirectPath(params.callbackUrl)} notice={notice} />;
}
