-- Default policies are now created with their organization. An organization that never used its policies was
-- never seeded: seed it now, once, audited as the first use used to be. A default deleted since stays deleted.
INSERT INTO "policies" ("org_id", "id", "name", "description", "type", "rules", "enabled")
SELECT o."id", d."id", d."name", d."description", d."type", d."rules"::jsonb, true
FROM "organizations" o
CROSS JOIN (VALUES
  ('pol-mfa-required', 'MFA Required', 'Enforce multi-factor authentication for all users', 'access', '["Require MFA for login", "WebAuthn preferred", "TOTP as fallback"]'),
  ('pol-network-zero-trust', 'Zero Trust Network', 'All connections through encrypted NetBird tunnels', 'network', '["No direct connections", "WireGuard encryption", "Identity verification"]'),
  ('pol-session-recording', 'Session Recording', 'Record all workspace sessions for audit', 'session', '["Record screen activity", "Log keystrokes for audit", "30-day retention"]')
) AS d("id", "name", "description", "type", "rules")
WHERE o."default_policies_seeded_at" IS NULL
ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO "audit_logs" ("org_id", "action", "resource", "details", "success")
SELECT o."id", 'seed_default_policies', 'policies', 'Created the 3 default policies', true
FROM "organizations" o
WHERE o."default_policies_seeded_at" IS NULL;
--> statement-breakpoint
UPDATE "organizations" SET "default_policies_seeded_at" = now() WHERE "default_policies_seeded_at" IS NULL;
