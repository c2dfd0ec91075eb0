CREATE TABLE "audit_events" (
	"id" serial PRIMARY KEY NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"mac" text,
	"details" jsonb
);
--> statement-breakpoint
CREATE TABLE "batches" (
	"batch_id" text PRIMARY KEY NOT NULL,
	"station_id" text,
	"started_at" timestamp (3) with time zone NOT NULL,
	"finished_at" timestamp (3) with time zone,
	"total" integer NOT NULL,
	"passed" integer NOT NULL,
	"failed" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "debug_logs" (
	"id" text PRIMARY KEY NOT NULL,
	"mac" text NOT NULL,
	"collected_at" timestamp (3) with time zone NOT NULL,
	"entries" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"mac" text NOT NULL,
	"fingerprint" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "device_registrations" (
	"device_id" text PRIMARY KEY NOT NULL,
	"mac" text,
	"unique_id" text NOT NULL,
	"board_type" text NOT NULL,
	"station_id" text,
	"batch_id" text,
	"firmware_version" text,
	"sealed_secrets" "bytea",
	"fingerprint" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "device_registrations_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1)
);
--> statement-breakpoint
CREATE TABLE "unit_credentials" (
	"mac" text PRIMARY KEY NOT NULL,
	"wrapped_key" "bytea" NOT NULL,
	"sealed" "bytea" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "units" (
	"mac" text PRIMARY KEY NOT NULL,
	"serial" text,
	"status" text NOT NULL,
	"stage" text,
	"port" text,
	"build_time" timestamp (3) with time zone,
	"build_duration_seconds" integer,
	"test_results" jsonb,
	"failed_tests" jsonb,
	"error_log" text,
	"diagnostic_data" text,
	"last_heartbeat" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"labeled_at" timestamp (3) with time zone,
	"label_prints" integer DEFAULT 0 NOT NULL,
	"report_fingerprint" text
);
--> statement-breakpoint
ALTER TABLE "debug_logs" ADD CONSTRAINT "debug_logs_mac_units_mac_fk" FOREIGN KEY ("mac") REFERENCES "public"."units"("mac") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "unit_credentials" ADD CONSTRAINT "unit_credentials_mac_units_mac_fk" FOREIGN KEY ("mac") REFERENCES "public"."units"("mac") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_mac_idx" ON "audit_events" USING btree ("mac");--> statement-breakpoint
CREATE INDEX "audit_at_idx" ON "audit_events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "debug_logs_mac_idx" ON "debug_logs" USING btree ("mac");--> statement-breakpoint
CREATE INDEX "registrations_batch_idx" ON "device_registrations" USING btree ("batch_id");--> statement-breakpoint
CREATE INDEX "registrations_station_idx" ON "device_registrations" USING btree ("station_id");--> statement-breakpoint
CREATE INDEX "units_status_idx" ON "units" USING btree ("status");--> statement-breakpoint
CREATE INDEX "units_last_heartbeat_idx" ON "units" USING btree ("last_heartbeat");--> statement-breakpoint
CREATE INDEX "units_updated_at_idx" ON "units" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "units_build_time_idx" ON "units" USING btree ("build_time");