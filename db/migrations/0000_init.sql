CREATE TABLE `blobs` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`mime` text NOT NULL,
	`bytes` integer NOT NULL,
	`width` integer NOT NULL,
	`height` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `conversations` (
	`id` text PRIMARY KEY NOT NULL,
	`platform` text NOT NULL,
	`scope` text NOT NULL,
	`channel_id` text NOT NULL,
	`thread_id` text DEFAULT '' NOT NULL,
	`owner_id` text NOT NULL,
	`head_version_id` text,
	`undo_stack` text DEFAULT '[]' NOT NULL,
	`redo_stack` text DEFAULT '[]' NOT NULL,
	`rev` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `conversations_ref` ON `conversations` (`platform`,`scope`,`channel_id`,`thread_id`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`conversation_id` text,
	`state` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer NOT NULL,
	`run_after` integer NOT NULL,
	`lease_until` integer,
	`worker_id` text,
	`payload` text NOT NULL,
	`result` text,
	`error` text,
	`progress` real DEFAULT 0 NOT NULL,
	`ref` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `jobs_claim` ON `jobs` (`state`,`run_after`);--> statement-breakpoint
CREATE TABLE `seen_events` (
	`platform` text NOT NULL,
	`event_id` text NOT NULL,
	`seen_at` integer NOT NULL,
	PRIMARY KEY(`platform`, `event_id`)
);
--> statement-breakpoint
CREATE TABLE `versions` (
	`id` text PRIMARY KEY NOT NULL,
	`conversation_id` text NOT NULL,
	`number` integer NOT NULL,
	`parent_id` text,
	`kind` text NOT NULL,
	`note` text DEFAULT '' NOT NULL,
	`image_id` text NOT NULL,
	`mask_id` text,
	`mask_coverage` real DEFAULT 0 NOT NULL,
	`caption` text,
	`edit_type` text,
	`object` text,
	`params` text NOT NULL,
	`engine` text,
	`metrics` text,
	`preview_id` text,
	`job_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`image_id`) REFERENCES `blobs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`mask_id`) REFERENCES `blobs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`preview_id`) REFERENCES `blobs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `versions_number` ON `versions` (`conversation_id`,`number`);--> statement-breakpoint
CREATE UNIQUE INDEX `versions_job` ON `versions` (`job_id`);--> statement-breakpoint
CREATE INDEX `versions_parent` ON `versions` (`parent_id`);