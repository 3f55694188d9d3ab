CREATE TABLE "audit_chain_heads" (
	"org_id" text PRIMARY KEY NOT NULL,
	"position" bigint NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_checkpoints" (
	"org_id" text NOT NULL,
	"position" bigint NOT NULL,
	"hash" text NOT NULL,
	"signed_at" timestamp with time zone NOT NULL,
	"key_id" text NOT NULL,
	"signature" text NOT NULL,
	CONSTRAINT "audit_checkpoints_org_id_position_pk" PRIMARY KEY("org_id","position")
);
--> statement-breakpoint
CREATE TABLE "audit_deliveries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"org_id" text NOT NULL,
	"destination_id" text NOT NULL,
	"audit_seq" bigint NOT NULL,
	"chain_position" bigint NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_status" integer,
	"last_error" text,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "audit_deliveries_state_check" CHECK ("audit_deliveries"."state" in ('pending', 'delivered', 'dead'))
);
--> statement-breakpoint
CREATE TABLE "audit_destinations" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"url" text NOT NULL,
	"sealed_secret" text NOT NULL,
	"actions" jsonb,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" text,
	"last_delivered_at" timestamp with time zone,
	"last_failed_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signing_keys" (
	"key_id" text PRIMARY KEY NOT NULL,
	"purpose" text NOT NULL,
	"public_key" text NOT NULL,
	"endorsed_by" text,
	"endorsement" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "signing_keys_purpose_check" CHECK ("signing_keys"."purpose" in ('audit', 'policy'))
);
--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "reported_status" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "reported_refusal" jsonb;--> statement-breakpoint
ALTER TABLE "audit_logs" ADD COLUMN "chain_position" bigint;--> statement-breakpoint
ALTER TABLE "audit_logs" ADD COLUMN "hash" text;--> statement-breakpoint
ALTER TABLE "audit_chain_heads" ADD CONSTRAINT "audit_chain_heads_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_checkpoints" ADD CONSTRAINT "audit_checkpoints_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_deliveries" ADD CONSTRAINT "audit_deliveries_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_deliveries" ADD CONSTRAINT "audit_deliveries_destination_id_audit_destinations_id_fk" FOREIGN KEY ("destination_id") REFERENCES "public"."audit_destinations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_destinations" ADD CONSTRAINT "audit_destinations_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_deliveries_due_idx" ON "audit_deliveries" USING btree ("destination_id","chain_position") WHERE "audit_deliveries"."state" = 'pending';--> statement-breakpoint
CREATE INDEX "audit_deliveries_org_state_idx" ON "audit_deliveries" USING btree ("org_id","state","id");--> statement-breakpoint
CREATE INDEX "audit_destinations_org_idx" ON "audit_destinations" USING btree ("org_id");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_logs_org_chain_position_key" ON "audit_logs" USING btree ("org_id","chain_position");--> statement-breakpoint
CREATE INDEX "audit_logs_unchained_idx" ON "audit_logs" USING btree ("org_id","seq") WHERE "audit_logs"."chain_position" is null;