import type { Metadata } from "next";
import { EnrollForm } from "@/components/enroll-form";
import { pendingTotpSecret } from "@/lib/auth/mfa";
import { decryptSecret, encryptSecret } from "@/lib/auth/crypto";
import { requireUser } from "@/lib/auth/session";
import { newTotpSecret, totpEnrollment } from "@/lib/auth/totp";

export const metadata: Metadata = { title: "Set up two-factor authentication" };

export default async function EnrollPage() {
  const { user, session } = await requireUser({ allowEnrollment: true });
  // Once enrolled the form shows the recovery codes it just received (the page re-renders after the
  // session cookie changes, so it must not redirect here), or says MFA is already on.
  const sealed = user.totpEnabledAt ? null : await pendingTotpSecret({ userId: user.id, sessionId: session.sessionId, sealedCandidate: encryptSecret(newTotpSecret()) });
  if (!sealed) return <EnrollForm setup={null} required={false} />;
  const secret = decryptSecret(sealed);
  const { qrSvg } = await totpEnrollment(secret, user.email);
  const qrDataUrl = `data:image/svg+xml;base64,${Buffer.from(qrSvg).toString("base64")}`;
  return <EnrollForm setup={{ qrDataUrl, secret }} required={session.access === "enroll"} />;
}
