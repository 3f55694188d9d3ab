"use server";

import { signOut } from "@/auth";

/** Signs out; Auth.js's signOut event ends every session of the account (see auth.ts). */
export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: "/login" });
}
