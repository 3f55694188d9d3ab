import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { SetupForm } from "@/components/setup-form";
import { countUsers } from "@/db/queries/users";

export const metadata: Metadata = { title: "First-run setup" };

export default async function SetupPage() {
  // First run only: once any user exists this page does not exist.
  if ((await countUsers()) > 0) notFound();
  return <SetupForm />;
}
