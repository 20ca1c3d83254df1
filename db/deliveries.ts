import { and, eq, gte, inArray, isNull, lt, or } from 'drizzle-orm';
import type { JobRecord } from '../src/jobs/queue.ts';
import type { JobDeliveries } from '../src/turn/deliver.ts';
import { toJobRecord } from './job-records.ts';
import type { DbLike } from './open.ts';
import { jobs } from './schema.ts';

/**
 * The jobs table as an outbox of outcomes: a finished job (done, failed, cancelled) is delivered to its
 * conversation once. A process takes the delivery for a while (claim), sends its messages one by one, marking
 * each (which renews the hold), then marks it delivered; if it dies in between, the hold runs out and another
 * pass (in any process) sends the messages not marked yet. At most the one message in flight at the kill can
 * arrive twice.
 */
const finished = inArray(jobs.state, ['done', 'failed', 'cancelled']);
const free = (now: number) => or(isNull(jobs.deliveryUntil), lt(jobs.deliveryUntil, now));

/** Take a finished job's delivery for `holdMs`; returns how many of its messages were sent before, or null. */
export function claimDelivery(db: DbLike, id: string, holdMs: number, now = Date.now()): number | null {
  const claimed = db
    .update(jobs)
    .set({ deliveryUntil: now + holdMs })
    .where(and(eq(jobs.id, id), finished, isNull(jobs.deliveredAt), free(now)))
    .returning({ step: jobs.deliveryStep })
    .get();
  return claimed ? claimed.step : null;
}

/** `step` messages of the outcome are sent; the hold is renewed for the next. */
export function markDeliveryStep(db: DbLike, id: string, step: number, holdMs: number, now = Date.now()): void {
  db.update(jobs).set({ deliveryStep: step, deliveryUntil: now + holdMs }).where(eq(jobs.id, id)).run();
}

export function markDelivered(db: DbLike, id: string, now = Date.now()): void {
  db.update(jobs).set({ deliveredAt: now, deliveryUntil: null }).where(eq(jobs.id, id)).run();
}

/** Finished jobs of the last `withinMs` whose outcome nobody delivered and nobody is delivering now. */
export function undelivered(db: DbLike, withinMs: number, limit: number, now = Date.now()): JobRecord[] {
  return db
    .select()
    .from(jobs)
    .where(and(isNull(jobs.deliveredAt), finished, gte(jobs.updatedAt, now - withinMs), free(now)))
    .orderBy(jobs.updatedAt)
    .limit(limit)
    .all()
    .map(toJobRecord);
}

export function createJobDeliveries(db: DbLike, holdMs: number): JobDeliveries {
  return {
    claim: (id) => claimDelivery(db, id, holdMs),
    step: (id, step) => markDeliveryStep(db, id, step, holdMs),
    delivered: (id) => markDelivered(db, id),
    // An hour back: a process restarted within it still sends what it owed; older outcomes are history, and a
    // send that keeps failing (a channel gone) is tried once a hold for that long, then left.
    missed: () => undelivered(db, 3600_000, 100),
  };
}
