import type { Metadata } from "next";
import { Breadcrumb, POLICIES_CRUMB } from "@/components/breadcrumb";
import { PageHeader } from "@/components/page-header";
import { PolicyForm } from "@/components/policy-form";
import { Card } from "@/components/ui/card";
import { requireUser } from "@/lib/auth/session";

export const metadata: Metadata = { title: "New policy · Policies" };

export default async function NewPolicyPage() {
  await requireUser({ role: "admin" });
  return (
    <div>
      <PageHeader
        eyebrow={<Breadcrumb trail={[POLICIES_CRUMB]} />}
        title="New policy"
        description="A custom security policy for your organization. Its creation is audited."
      />
      <Card className="p-5 sm:p-6">
        <PolicyForm />
      </Card>
    </div>
  );
}
