CREATE TABLE "policy_revisions" (
	"org_id" text NOT NULL,
	"policy_id" text NOT NULL,
	"revision" integer NOT NULL,
	"change" text NOT NULL,
	"policy" jsonb NOT NULL,
	"restored_from" integer,
	"user_id" text,
	"user_email" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "policy_revisions_org_id_policy_id_revision_pk" PRIMARY KEY("org_id","policy_id","revision")
);
--> statement-breakpoint
ALTER TABLE "policy_revisions" ADD CONSTRAINT "policy_revisions_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Every existing policy starts its history with its current state as revision 1 (the wire shape of lib/policies/serialize.ts).
INSERT INTO "policy_revisions" ("org_id", "policy_id", "revision", "change", "policy", "created_at")
SELECT "org_id", "id", 1, 'created',
  jsonb_build_object(
    'id', "id", 'name', "name", 'description', "description", 'type', "type", 'rules', "rules", 'enabled', "enabled",
    'created_at', to_char("created_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
  ) || CASE WHEN "kind" IS NOT NULL AND "settings" IS NOT NULL THEN jsonb_build_object('kind', "kind", 'settings', "settings") ELSE '{}'::jsonb END,
  "updated_at"
FROM "policies";
