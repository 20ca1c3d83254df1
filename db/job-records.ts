import type { JobRecord } from '../src/jobs/queue.ts';
import type { JobRecords } from '../src/jobs/records.ts';
import * as repo from './jobs.ts';
import type { Db } from './open.ts';

export function toJobRecord(row: repo.JobRow): JobRecord {
  return {
    id: row.id,
    kind: row.kind,
    conversationId: row.conversationId,
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.maxAttempts,
    progress: row.progress,
    payload: row.payload,
    result: row.result ?? null,
    error: row.error ?? null,
    ref: row.ref,
  };
}

/** The jobs table as the record a broker-backed queue keeps next to the sessions. */
export function createJobRecords(db: Db, maxAttempts: number): JobRecords {
  return {
    insert: (spec) => repo.insertJob(db, { ...spec, maxAttempts }),
    get(id) {
      const row = repo.getJob(db, id);
      return row ? toJobRecord(row) : null;
    },
    queued: (limit) => repo.queuedJobs(db, limit).map(toJobRecord),
    active: (conversationId) => repo.jobsOfConversation(db, conversationId, ['queued', 'running']).map(toJobRecord),
    unfinished: (limit) => repo.unfinishedJobs(db, limit).map(toJobRecord),
    counts: (userId, conversationId) => repo.countActive(db, userId, conversationId),
    started: (id, attempts) => repo.markStarted(db, id, attempts),
    progress: (id, fraction) => repo.markProgress(db, id, fraction),
    done: (id, result) => repo.markDone(db, id, result),
    failed: (id, error, retry) => repo.markFailed(db, id, error, retry),
    cancel: (id) => repo.cancelJob(db, id),
  };
}
