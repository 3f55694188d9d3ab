CREATE TABLE "stream_presence" (
	"instance_id" text NOT NULL,
	"org_id" text NOT NULL,
	"connections" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stream_presence_instance_id_org_id_pk" PRIMARY KEY("instance_id","org_id")
);
--> statement-breakpoint
ALTER TABLE "agent_events" ALTER COLUMN "payload" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "agent_policy_versions" ALTER COLUMN "rules" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "agents" ALTER COLUMN "overrides" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "agents" ALTER COLUMN "overrides" SET DEFAULT '[]'::json;--> statement-breakpoint
ALTER TABLE "stream_presence" ADD CONSTRAINT "stream_presence_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "stream_presence_org_idx" ON "stream_presence" USING btree ("org_id");--> statement-breakpoint
CREATE INDEX "agents_org_seen_idx" ON "agents" USING btree ("org_id","last_seen_at");