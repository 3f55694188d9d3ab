/** What a signing key signs: audit chain checkpoints, or the policies sent to agents. Each purpose has its own key. */
export const SIGNING_KEY_PURPOSES = ["audit", "policy"] as const;
export type SigningKeyPurpose = (typeof SIGNING_KEY_PURPOSES)[number];
