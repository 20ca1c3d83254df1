import type { JobRecord, JobSpec } from './queue.ts';

/**
 * The job rows in the bot's database, as a distributed backend sees them: the row is the record (what the
 * user asked for, its state, its result) while the broker moves the work. db/job-records.ts implements it.
 * Every transition returns true only for the caller that made it, so of several bots sharing the database
 * exactly one reports each change.
 */
export interface JobRecords {
  insert(spec: JobSpec): void;
  get(id: string): JobRecord | null;
  /** Queued rows, oldest first (the outbox). */
  queued(limit: number): JobRecord[];
  active(conversationId: string): JobRecord[];
  /** Queued and running rows, oldest first (what a reconcile compares with the broker). */
  unfinished(limit: number): JobRecord[];
  counts(userId: string | null, conversationId: string | null): { user: number; conversation: number; queued: number; running: number };
  started(id: string, attempts: number): boolean;
  progress(id: string, fraction: number): boolean;
  done(id: string, result: Record<string, unknown>): boolean;
  failed(id: string, error: { code: string; message: string }, retry: boolean): boolean;
  cancel(id: string): boolean;
}
