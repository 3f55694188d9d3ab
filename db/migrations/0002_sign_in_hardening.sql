CREATE TABLE "mfa_enrollments" (
	"user_id" text NOT NULL,
	"session_id" text NOT NULL,
	"totp_secret" text NOT NULL,
	"completed_at" timestamp with time zone,
	"granted_session_version" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "mfa_enrollments_user_id_session_id_pk" PRIMARY KEY("user_id","session_id")
);
--> statement-breakpoint
CREATE TABLE "sign_in_addresses" (
	"user_id" text NOT NULL,
	"ip" text NOT NULL,
	"last_success_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sign_in_addresses_user_id_ip_pk" PRIMARY KEY("user_id","ip")
);
--> statement-breakpoint
CREATE TABLE "sign_in_refusals" (
	"org_id" text NOT NULL,
	"throttle_key" text NOT NULL,
	"user_id" text,
	"user_email" text,
	"ip" text,
	"refused" integer DEFAULT 1 NOT NULL,
	"first_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_at" timestamp with time zone DEFAULT now() NOT NULL,
	"until" timestamp with time zone NOT NULL,
	CONSTRAINT "sign_in_refusals_org_id_throttle_key_pk" PRIMARY KEY("org_id","throttle_key")
);
--> statement-breakpoint
DROP INDEX "users_email_key";--> statement-breakpoint
DROP INDEX "users_org_idx";--> statement-breakpoint
ALTER TABLE "login_attempts" ADD COLUMN "outcome" text;--> statement-breakpoint
UPDATE "login_attempts" SET "outcome" = CASE WHEN "success" THEN 'succeeded' ELSE 'failed' END;--> statement-breakpoint
ALTER TABLE "login_attempts" ALTER COLUMN "outcome" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "login_attempts" ADD COLUMN "known_address" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "mfa_enrollments" ADD CONSTRAINT "mfa_enrollments_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sign_in_addresses" ADD CONSTRAINT "sign_in_addresses_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sign_in_refusals" ADD CONSTRAINT "sign_in_refusals_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "users_org_email_key" ON "users" USING btree ("org_id",lower("email"));--> statement-breakpoint
CREATE INDEX "users_email_idx" ON "users" USING btree (lower("email"));--> statement-breakpoint
ALTER TABLE "login_attempts" DROP COLUMN "success";--> statement-breakpoint
-- Pending TOTP secrets were shared by every session of a user; enrolment now keeps one per session (mfa_enrollments).
UPDATE "users" SET "totp_secret" = NULL WHERE "totp_enabled_at" IS NULL;
