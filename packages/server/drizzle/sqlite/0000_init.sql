CREATE TABLE `audit_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`mac` text,
	`details` text
);
--> statement-breakpoint
CREATE INDEX `audit_mac_idx` ON `audit_events` (`mac`);--> statement-breakpoint
CREATE INDEX `audit_at_idx` ON `audit_events` (`at`);--> statement-breakpoint
CREATE TABLE `batches` (
	`batch_id` text PRIMARY KEY NOT NULL,
	`station_id` text,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`total` integer NOT NULL,
	`passed` integer NOT NULL,
	`failed` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `debug_logs` (
	`id` text PRIMARY KEY NOT NULL,
	`mac` text NOT NULL,
	`collected_at` integer NOT NULL,
	`entries` text NOT NULL,
	FOREIGN KEY (`mac`) REFERENCES `units`(`mac`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `debug_logs_mac_idx` ON `debug_logs` (`mac`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`mac` text NOT NULL,
	`fingerprint` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `device_registrations` (
	`device_id` text PRIMARY KEY NOT NULL,
	`mac` text,
	`unique_id` text NOT NULL,
	`board_type` text NOT NULL,
	`station_id` text,
	`batch_id` text,
	`firmware_version` text,
	`sealed_secrets` blob,
	`fingerprint` text NOT NULL,
	`created_at` integer NOT NULL,
	`seq` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `registrations_batch_idx` ON `device_registrations` (`batch_id`);--> statement-breakpoint
CREATE INDEX `registrations_station_idx` ON `device_registrations` (`station_id`);--> statement-breakpoint
CREATE TABLE `unit_credentials` (
	`mac` text PRIMARY KEY NOT NULL,
	`wrapped_key` blob NOT NULL,
	`sealed` blob NOT NULL,
	FOREIGN KEY (`mac`) REFERENCES `units`(`mac`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `units` (
	`mac` text PRIMARY KEY NOT NULL,
	`serial` text,
	`status` text NOT NULL,
	`stage` text,
	`port` text,
	`build_time` integer,
	`build_duration_seconds` integer,
	`test_results` text,
	`failed_tests` text,
	`error_log` text,
	`diagnostic_data` text,
	`last_heartbeat` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`labeled_at` integer,
	`label_prints` integer DEFAULT 0 NOT NULL,
	`report_fingerprint` text
);
--> statement-breakpoint
CREATE INDEX `units_status_idx` ON `units` (`status`);--> statement-breakpoint
CREATE INDEX `units_last_heartbeat_idx` ON `units` (`last_heartbeat`);--> statement-breakpoint
CREATE INDEX `units_updated_at_idx` ON `units` (`updated_at`);--> statement-breakpoint
CREATE INDEX `units_build_time_idx` ON `units` (`build_time`);