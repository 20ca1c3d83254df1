import { lt } from 'drizzle-orm';
import type { Db } from './open.ts';
import { seenEvents } from './schema.ts';

/** Record an event id; false when it was seen before (a retry or a duplicate delivery). */
export function markSeen(db: Db, platform: string, eventId: string, now = Date.now()): boolean {
  const result = db.insert(seenEvents).values({ platform, eventId, seenAt: now }).onConflictDoNothing().run();
  return result.changes === 1;
}

/** Platforms stop retrying after minutes; a week of ids is plenty. */
export function pruneSeen(db: Db, olderThanMs = 7 * 24 * 3600 * 1000, now = Date.now()): number {
  return db.delete(seenEvents).where(lt(seenEvents.seenAt, now - olderThanMs)).run().changes;
}
