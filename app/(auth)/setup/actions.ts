"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { signIn } from "@/auth";
import { createFirstAdmin } from "@/db/queries/users";
import { hashPassword, newPasswordSchema } from "@/lib/auth/password";
import { fieldErrors, type FormState } from "@/lib/forms";

const setupSchema = z
  .object({
    organization: z.string().trim().min(1, "Enter your organization's name").max(100, "At most 100 characters"),
    email: z.email("Enter a valid email address"),
    password: newPasswordSchema,
    confirm: z.string(),
  })
  .refine((input) => input.password === input.confirm, { path: ["confirm"], message: "The passwords do not match" });

export async function setupAction(_previous: FormState, form: FormData): Promise<FormState> {
  const parsed = setupSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return { error: "Check the highlighted fields.", fields: fieldErrors(parsed.error) };
  const { organization, email, password } = parsed.data;
  const user = await createFirstAdmin({ email, passwordHash: await hashPassword(password), organization: { name: organization } });
  if (!user) return { error: "Setup is already complete: sign in instead." };
  await signIn("credentials", { email, password, redirect: false });
  redirect("/");
}
