import type { Metadata } from "next";
import { FourEyesForm } from "@/components/four-eyes-form";
import { PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Card, CardHeader } from "@/components/ui/card";
import { isFourEyesOn } from "@/db/queries/organizations";
import { requireUser } from "@/lib/auth/session";

export const metadata: Metadata = { title: "Organization · Settings" };

export default async function OrganizationSettingsPage() {
  const { user } = await requireUser({ role: "admin" });
  const on = await isFourEyesOn({ orgId: user.orgId });
  return (
    <div className="space-y-8">
      <PageHeader title="Organization" description="Settings that apply to every admin of your organization." />
      <Card>
        <CardHeader
          title="Four-eyes approval"
          description="Require a second admin to approve disabling or deleting a critical policy, publishing an agent policy version, or promoting or aborting its staged rollout. While it is on, turning it off needs approval too."
          actions={<Badge tone={on ? "green" : "neutral"}>{on ? "On" : "Off"}</Badge>}
        />
        <div className="p-5">
          <FourEyesForm on={on} />
        </div>
      </Card>
    </div>
  );
}
