import type { Metadata } from "next";
import { PageHeader } from "@/components/page-header";
import { PasswordChangeForm } from "@/components/password-change-form";
import { Card, CardHeader } from "@/components/ui/card";
import { passwordRulesFor } from "@/lib/auth/password";
import { requireUser } from "@/lib/auth/session";

export const metadata: Metadata = { title: "Your account · Settings" };

export default async function AccountPage() {
  const { user } = await requireUser();
  return (
    <div className="space-y-8">
      <PageHeader title="Your account" description={`Signed in as ${user.email}.`} />
      <Card>
        <CardHeader title="Password" description="Changing your password signs you out everywhere, this browser included." />
        <div className="p-5">
          <PasswordChangeForm minPasswordLength={(await passwordRulesFor(user.orgId)).minLength} />
        </div>
      </Card>
    </div>
  );
}
