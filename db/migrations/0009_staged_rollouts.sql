ALTER TABLE "agent_policy_versions" ADD COLUMN "selector" text;--> statement-breakpoint
ALTER TABLE "agent_policy_versions" ADD COLUMN "stage" text DEFAULT 'fleet' NOT NULL;--> statement-breakpoint
ALTER TABLE "agent_policy_versions" ADD COLUMN "promoted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "agent_policy_versions" ADD COLUMN "aborted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "stream_presence" ADD COLUMN "label_counts" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "agent_policy_versions_one_canary_key" ON "agent_policy_versions" USING btree ("org_id") WHERE "agent_policy_versions"."stage" = 'canary';--> statement-breakpoint
ALTER TABLE "agent_policy_versions" ADD CONSTRAINT "agent_policy_versions_stage_check" CHECK ("agent_policy_versions"."stage" in ('fleet', 'canary', 'aborted'));--> statement-breakpoint
ALTER TABLE "agent_policy_versions" ADD CONSTRAINT "agent_policy_versions_canary_selector_check" CHECK ("agent_policy_versions"."stage" <> 'canary' or "agent_policy_versions"."selector" is not null);