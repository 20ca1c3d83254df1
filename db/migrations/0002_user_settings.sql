CREATE TABLE `scope_settings` (
	`platform` text NOT NULL,
	`scope` text NOT NULL,
	`others_may_act` integer,
	`updated_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`platform`, `scope`)
);
--> statement-breakpoint
CREATE TABLE `user_defaults` (
	`platform` text NOT NULL,
	`user_id` text NOT NULL,
	`params` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`platform`, `user_id`)
);
--> statement-breakpoint
ALTER TABLE `versions` ADD `author_id` text;