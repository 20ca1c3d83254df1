import { and, eq, lt } from 'drizzle-orm';
import type { Db, DbLike } from './open.ts';
import { seenEvents } from './schema.ts';

/** Record an event id; false when it was seen before (a retry or a duplicate delivery). */
export function markSeen(db: DbLike, platform: string, eventId: string, now = Date.now()): boolean {
  const result = db.insert(seenEvents).values({ platform, eventId, seenAt: now }).onConflictDoNothing().run();
  return result.changes === 1;
}

/** Whether an event id was recorded (read only: the mark itself is written with the turn's session). */
export function isSeen(db: DbLike, platform: string, eventId: string): boolean {
  return db.select({ at: seenEvents.seenAt }).from(seenEvents).where(and(eq(seenEvents.platform, platform), eq(seenEvents.eventId, eventId))).get() !== undefined;
}

/** Platforms stop retrying after minutes; a week of ids is plenty. */
export function pruneSeen(db: Db, olderThanMs = 7 * 24 * 3600 * 1000, now = Date.now()): number {
  return db.delete(seenEvents).where(lt(seenEvents.seenAt, now - olderThanMs)).run().changes;
}
