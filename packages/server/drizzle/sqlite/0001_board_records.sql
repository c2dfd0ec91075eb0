CREATE TABLE `board_batch_reports` (
	`report_id` text PRIMARY KEY NOT NULL,
	`generated_at` text NOT NULL,
	`batch_ids` text NOT NULL,
	`aborted` integer,
	`devices` integer NOT NULL,
	`passed` integer NOT NULL,
	`failed` integer NOT NULL,
	`document` text NOT NULL,
	`fingerprint` text NOT NULL,
	`sent_by` text NOT NULL,
	`received_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `board_batch_reports_received_idx` ON `board_batch_reports` (`received_at`,`report_id`);--> statement-breakpoint
CREATE TABLE `board_records` (
	`record_id` text PRIMARY KEY NOT NULL,
	`timestamp` integer NOT NULL,
	`station_id` text NOT NULL,
	`batch_id` text NOT NULL,
	`mac` text,
	`status` text NOT NULL,
	`cells` text NOT NULL,
	`sent_by` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `board_records_timestamp_idx` ON `board_records` (`timestamp`,`record_id`);--> statement-breakpoint
CREATE INDEX `board_records_station_idx` ON `board_records` (`station_id`,`timestamp`);--> statement-breakpoint
CREATE INDEX `board_records_batch_idx` ON `board_records` (`batch_id`,`timestamp`);--> statement-breakpoint
CREATE INDEX `board_records_mac_idx` ON `board_records` (`mac`);--> statement-breakpoint
CREATE INDEX `board_records_status_idx` ON `board_records` (`status`,`timestamp`);