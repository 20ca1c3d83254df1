import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import { poisonError } from '../src/jobs/queue.ts';
import type { DbLike } from './open.ts';
import { jobs } from './schema.ts';

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
export type JobRow = typeof jobs.$inferSelect;

export interface NewJob {
  id: string;
  kind: string;
  conversationId: string | null;
  payload: Record<string, unknown>;
  maxAttempts: number;
  ref: string;
}

export function insertJob(db: DbLike, job: NewJob, now = Date.now()): void {
  db.insert(jobs)
    .values({ ...job, state: 'queued', attempts: 0, runAfter: now, progress: 0, createdAt: now, updatedAt: now })
    .run();
}

export function getJob(db: DbLike, id: string): JobRow | null {
  return db.select().from(jobs).where(eq(jobs.id, id)).get() ?? null;
}

/**
 * Claim the oldest runnable queued job in one UPDATE statement (atomic in SQLite, so two workers never get the
 * same job). The claim counts an attempt and takes a lease the worker must keep renewing; a job whose worker
 * died comes back through requeueStalled, behind the jobs already waiting.
 */
export function claimJob(db: DbLike, workerId: string, leaseMs: number, now = Date.now()): JobRow | null {
  const claimed = db.get<{ id: string } | undefined>(sql`
    UPDATE jobs SET state = 'running', attempts = attempts + 1, worker_id = ${workerId},
      lease_until = ${now + leaseMs}, updated_at = ${now}
    WHERE id = (
      SELECT id FROM jobs WHERE state = 'queued' AND run_after <= ${now}
      ORDER BY run_after, created_at LIMIT 1)
    RETURNING id`);
  return claimed ? getJob(db, claimed.id) : null;
}

/**
 * Running jobs whose lease ran out (their worker died or stalled): a death of the process is not a failure of
 * the job, so the run gives its attempt back and counts a crash instead, and the job goes back to the queue
 * behind everything waiting now, after a pause that doubles with each crash (pauseMs, 2×, 4×, …): one orphan
 * cannot take every restart's first slot, and a job caught in a burst of outside kills (a crash loop that is
 * not its fault) runs again after the burst rather than inside it. The `maxCrashes`-th crash fails it for good, in words: a job whose runs kill the
 * worker every time (a poison job) must end. Returns the ids of both kinds.
 */
export function requeueStalled(db: DbLike, maxCrashes: number, pauseMs: number, now = Date.now()): { requeued: string[]; poisoned: string[] } {
  const stalled = sql`state = 'running' AND lease_until < ${now}`;
  const poisoned = db.all<{ id: string }>(sql`
    UPDATE jobs SET state = 'failed', crashes = crashes + 1, attempts = max(attempts - 1, 0), lease_until = NULL, worker_id = NULL,
      error = ${JSON.stringify(poisonError(maxCrashes))}, updated_at = ${now}
    WHERE ${stalled} AND crashes + 1 >= ${maxCrashes}
    RETURNING id`);
  const requeued = db.all<{ id: string }>(sql`
    UPDATE jobs SET state = 'queued', crashes = crashes + 1, attempts = max(attempts - 1, 0), lease_until = NULL, worker_id = NULL,
      run_after = ${now} + ${pauseMs} * (1 << min(crashes, 16)), updated_at = ${now}
    WHERE ${stalled}
    RETURNING id`);
  return { requeued: requeued.map((r) => r.id), poisoned: poisoned.map((r) => r.id) };
}

/** A stopping worker hands its job back: queued again at once, and the run does not count as an attempt. */
export function releaseJob(db: DbLike, id: string, workerId: string, now = Date.now()): boolean {
  return db
    .update(jobs)
    .set({ state: 'queued', attempts: sql`max(${jobs.attempts} - 1, 0)`, runAfter: now, leaseUntil: null, workerId: null, updatedAt: now })
    .where(owned(id, workerId))
    .run().changes === 1;
}

function owned(id: string, workerId: string) {
  return and(eq(jobs.id, id), eq(jobs.workerId, workerId), eq(jobs.state, 'running'));
}

/** Extend the lease; false when the job is no longer ours (cancelled, or reclaimed after we stalled). */
export function renewLease(db: DbLike, id: string, workerId: string, leaseMs: number, now = Date.now()): boolean {
  return db.update(jobs).set({ leaseUntil: now + leaseMs, updatedAt: now }).where(owned(id, workerId)).run().changes === 1;
}

export function setProgress(db: DbLike, id: string, workerId: string, progress: number, now = Date.now()): boolean {
  return db.update(jobs).set({ progress, updatedAt: now }).where(owned(id, workerId)).run().changes === 1;
}

export function completeJob(db: DbLike, id: string, workerId: string, result: Record<string, unknown>, now = Date.now()): boolean {
  return db
    .update(jobs)
    .set({ state: 'done', result, progress: 1, leaseUntil: null, error: null, updatedAt: now })
    .where(owned(id, workerId))
    .run().changes === 1;
}

/** Fail for good, or (retryAt given) go back to the queue to be tried again at that time. */
export function failJob(
  db: DbLike,
  id: string,
  workerId: string,
  error: { code: string; message: string },
  retryAt: number | null,
  now = Date.now(),
): boolean {
  const next = retryAt === null ? { state: 'failed' as const } : { state: 'queued' as const, runAfter: retryAt };
  return db
    .update(jobs)
    .set({ ...next, error, leaseUntil: null, workerId: null, updatedAt: now })
    .where(owned(id, workerId))
    .run().changes === 1;
}

/** Cancel a job that has not finished; true when something was cancelled. */
export function cancelJob(db: DbLike, id: string, now = Date.now()): boolean {
  return db
    .update(jobs)
    .set({ state: 'cancelled', leaseUntil: null, updatedAt: now })
    .where(and(eq(jobs.id, id), inArray(jobs.state, ['queued', 'running'])))
    .run().changes === 1;
}

export function jobsOfConversation(db: DbLike, conversationId: string, states: JobState[]): JobRow[] {
  return db.select().from(jobs).where(and(eq(jobs.conversationId, conversationId), inArray(jobs.state, states))).all();
}

/** Running jobs with their worker ids (for finding the ones whose process is gone). */
export function runningJobs(db: DbLike): { id: string; workerId: string | null }[] {
  return db.select({ id: jobs.id, workerId: jobs.workerId }).from(jobs).where(eq(jobs.state, 'running')).all();
}

/** End a job's lease now, so the next claim takes it (its worker is known to be dead). */
export function expireLease(db: DbLike, id: string, workerId: string, now = Date.now()): boolean {
  return db.update(jobs).set({ leaseUntil: now - 1, updatedAt: now }).where(owned(id, workerId)).run().changes === 1;
}

/** Waiting or running jobs of a user (payload.userId) and of a conversation, and the queue's totals. */
export function countActive(db: DbLike, userId: string | null, conversationId: string | null): { user: number; conversation: number; queued: number; running: number } {
  const row = db.get<{ user: number | null; conversation: number | null; queued: number | null; running: number | null }>(sql`
    SELECT sum(json_extract(payload, '$.userId') = ${userId ?? ''}) AS user,
      sum(conversation_id = ${conversationId ?? ''}) AS conversation,
      sum(state = 'queued') AS queued, sum(state = 'running') AS running
    FROM jobs WHERE state IN ('queued', 'running')`);
  return { user: row?.user ?? 0, conversation: row?.conversation ?? 0, queued: row?.queued ?? 0, running: row?.running ?? 0 };
}

/**
 * How long the last `limit` finished jobs took to render, oldest first: the time each reported
 * (`result.metrics.totalMs`), so jobs run by any process on this file count, and a restart keeps them.
 */
export function recentDurations(db: DbLike, limit: number): number[] {
  const rows = db.all<{ ms: number | null }>(sql`
    SELECT json_extract(result, '$.metrics.totalMs') AS ms FROM jobs
    WHERE state = 'done' AND json_extract(result, '$.metrics.totalMs') IS NOT NULL
    ORDER BY updated_at DESC LIMIT ${limit}`);
  return rows.map((row) => Number(row.ms)).filter((ms) => Number.isFinite(ms) && ms >= 0).reverse();
}

/** Queued jobs, oldest first: the outbox a distributed backend hands to its broker. */
export function queuedJobs(db: DbLike, limit: number): JobRow[] {
  return db.select().from(jobs).where(eq(jobs.state, 'queued')).orderBy(jobs.createdAt).limit(limit).all();
}

export function unfinishedJobs(db: DbLike, limit: number): JobRow[] {
  return db.select().from(jobs).where(inArray(jobs.state, ['queued', 'running'])).orderBy(jobs.createdAt).limit(limit).all();
}

/**
 * State changes reported by a broker (BullMQ): the job row stays the record. Each returns true only for the
 * caller whose update changed the row, so when several bots hear the same event one of them reports it.
 */
export function markStarted(db: DbLike, id: string, attempts: number, now = Date.now()): boolean {
  return db
    .update(jobs)
    .set({ state: 'running', attempts, progress: 0, updatedAt: now })
    .where(and(eq(jobs.id, id), eq(jobs.state, 'queued')))
    .run().changes === 1;
}

/** Only forward: of several bots hearing the same tick, one moves it. */
export function markProgress(db: DbLike, id: string, progress: number, now = Date.now()): boolean {
  return db
    .update(jobs)
    .set({ state: 'running', progress, updatedAt: now })
    .where(and(eq(jobs.id, id), inArray(jobs.state, ['queued', 'running']), lt(jobs.progress, progress)))
    .run().changes === 1;
}

export function markDone(db: DbLike, id: string, result: Record<string, unknown>, now = Date.now()): boolean {
  return db
    .update(jobs)
    .set({ state: 'done', result, progress: 1, error: null, leaseUntil: null, updatedAt: now })
    .where(and(eq(jobs.id, id), inArray(jobs.state, ['queued', 'running'])))
    .run().changes === 1;
}

/** Fail for good, or (retry) wait in the queue for the broker's next attempt. */
export function markFailed(db: DbLike, id: string, error: { code: string; message: string }, retry: boolean, now = Date.now()): boolean {
  return db
    .update(jobs)
    .set({ state: retry ? 'queued' : 'failed', error, leaseUntil: null, updatedAt: now })
    .where(and(eq(jobs.id, id), inArray(jobs.state, retry ? ['running'] : ['queued', 'running'])))
    .run().changes === 1;
}
