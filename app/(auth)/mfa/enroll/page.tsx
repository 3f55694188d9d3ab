import type { Metadata } from "next";
import { EnrollForm } from "@/components/enroll-form";
import { countPasskeys } from "@/db/queries/passkeys";
import { pendingTotpSecret } from "@/lib/auth/mfa";
import { decryptSecret, encryptSecret } from "@/lib/auth/crypto";
import { requireUser } from "@/lib/auth/session";
import { newTotpSecret, totpEnrollment } from "@/lib/auth/totp";

export const metadata: Metadata = { title: "Set up two-factor authentication" };

export default async function EnrollPage() {
  const { user, session } = await requireUser({ allowEnrollment: true });
  const passkeys = await countPasskeys({ userId: user.id });
  // Once a factor exists, adding another takes a session that proved one (lib/auth/passkeys.ts says why).
  if ((passkeys > 0 || user.totpEnabledAt) && session.mfa !== "verified") return <EnrollForm totp={null} offerPasskey={false} required={false} />;
  // Once enrolled the form shows the recovery codes it just received (the page re-renders after the
  // session cookie changes, so it must not redirect here).
  const sealed = user.totpEnabledAt ? null : await pendingTotpSecret({ userId: user.id, sessionId: session.sessionId, sealedCandidate: encryptSecret(newTotpSecret()) });
  const totp = sealed ? await totpSetup(decryptSecret(sealed), user.email) : null;
  return <EnrollForm totp={totp} offerPasskey={passkeys === 0 && !user.totpEnabledAt} required={session.access === "enroll"} />;
}

async function totpSetup(secret: string, email: string) {
  const { qrSvg } = await totpEnrollment(secret, email);
  return { qrDataUrl: `data:image/svg+xml;base64,${Buffer.from(qrSvg).toString("base64")}`, secret };
}
