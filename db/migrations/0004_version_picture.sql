ALTER TABLE `versions` ADD `picture` integer;--> statement-breakpoint
-- Versions are pictures: number the existing sources and results 1, 2, 3… per conversation, in the order they were made.
UPDATE `versions` SET `picture` = (
  SELECT count(*) FROM `versions` AS `earlier`
  WHERE `earlier`.`conversation_id` = `versions`.`conversation_id`
    AND `earlier`.`kind` IN ('source', 'result')
    AND `earlier`.`number` <= `versions`.`number`
) WHERE `kind` IN ('source', 'result');--> statement-breakpoint
CREATE UNIQUE INDEX `versions_picture` ON `versions` (`conversation_id`,`picture`);
