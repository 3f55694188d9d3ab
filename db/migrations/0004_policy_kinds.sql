ALTER TABLE "policies" ADD COLUMN "kind" text;--> statement-breakpoint
ALTER TABLE "policies" ADD COLUMN "settings" jsonb;--> statement-breakpoint
CREATE UNIQUE INDEX "policies_org_enabled_kind_key" ON "policies" USING btree ("org_id","kind") WHERE "policies"."enabled" and "policies"."kind" is not null;--> statement-breakpoint
ALTER TABLE "policies" ADD CONSTRAINT "policies_kind_settings_check" CHECK (("policies"."kind" is null) = ("policies"."settings" is null));