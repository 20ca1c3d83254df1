ALTER TABLE `jobs` ADD `crashes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `delivered_at` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `delivery_until` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `delivery_step` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `jobs_undelivered` ON `jobs` (`updated_at`) WHERE delivered_at IS NULL;--> statement-breakpoint
-- Outcomes that existed before the delivery outbox were delivered as they happened: only new ones wait for it.
UPDATE `jobs` SET `delivered_at` = `updated_at` WHERE `state` IN ('done', 'failed', 'cancelled');
