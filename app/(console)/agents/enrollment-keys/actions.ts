"use server";

import { refresh } from "next/cache";
import { z } from "zod";
import { createEnrollmentKey, revokeEnrollmentKey } from "@/lib/agents/enrollment-keys";
import { createEnrollmentKeyBody } from "@/lib/agents/schemas";
import { consoleAction } from "@/lib/auth/actions";

// Form fields arrive as text, an empty one meaning "no limit"; each is then held to the API's own limits.
const fromText = (value: unknown) => (value === "" || value === undefined ? undefined : Number(value));
const { uses, expiresHours } = createEnrollmentKeyBody.shape;
const createSchema = z.object({ uses: z.preprocess(fromText, uses), expiresHours: z.preprocess(fromText, expiresHours) });

export interface NewEnrollmentKey {
  key: string;
  prefix: string;
}

/** Creates a key; the key itself is returned this once, and only its hash is stored. */
export const createEnrollmentKeyAction = consoleAction<typeof createSchema, NewEnrollmentKey>(
  { role: "admin", schema: createSchema, audit: () => ({ action: "create_enrollment_key", resource: "enrollment-keys" }) },
  async ({ uses, expiresHours }, { actor }) => {
    const { key, secret } = await createEnrollmentKey({ actor, maxUses: uses ?? null, expiresHours });
    refresh();
    return { success: "Enrollment key created.", data: { key: secret, prefix: key.keyPrefix } };
  },
);

export const revokeEnrollmentKeyAction = consoleAction(
  { role: "admin", schema: z.object({ id: z.string().trim().min(1).max(100) }), audit: ({ id }) => ({ action: "revoke_enrollment_key", resource: `enrollment-key:${id}` }) },
  async ({ id }, { actor }) => {
  const revoked = await revokeEnrollmentKey({ actor, id });
  if (!revoked) return { error: "This key does not exist or is already revoked." };
  refresh();
  return { success: "Enrollment key revoked: it enrols no more agents." };
});
