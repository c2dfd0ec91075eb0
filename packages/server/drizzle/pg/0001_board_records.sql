CREATE TABLE "board_batch_reports" (
	"report_id" text PRIMARY KEY NOT NULL,
	"generated_at" text NOT NULL,
	"batch_ids" jsonb NOT NULL,
	"aborted" boolean,
	"devices" integer NOT NULL,
	"passed" integer NOT NULL,
	"failed" integer NOT NULL,
	"document" jsonb NOT NULL,
	"fingerprint" text NOT NULL,
	"sent_by" text NOT NULL,
	"received_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "board_records" (
	"record_id" text PRIMARY KEY NOT NULL,
	"timestamp" timestamp (3) with time zone NOT NULL,
	"station_id" text NOT NULL,
	"batch_id" text NOT NULL,
	"mac" text,
	"status" text NOT NULL,
	"cells" jsonb NOT NULL,
	"sent_by" text NOT NULL,
	"received_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "board_batch_reports_received_idx" ON "board_batch_reports" USING btree ("received_at","report_id");--> statement-breakpoint
CREATE INDEX "board_records_timestamp_idx" ON "board_records" USING btree ("timestamp","record_id");--> statement-breakpoint
CREATE INDEX "board_records_station_idx" ON "board_records" USING btree ("station_id","timestamp");--> statement-breakpoint
CREATE INDEX "board_records_batch_idx" ON "board_records" USING btree ("batch_id","timestamp");--> statement-breakpoint
CREATE INDEX "board_records_mac_idx" ON "board_records" USING btree ("mac");--> statement-breakpoint
CREATE INDEX "board_records_status_idx" ON "board_records" USING btree ("status","timestamp");