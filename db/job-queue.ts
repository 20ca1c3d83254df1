import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { isBrushtalkError } from '../src/errors.ts';
import type { Logger } from '../src/log.ts';
import { etaFor, weightedMean } from '../src/jobs/eta.ts';
import type { JobEvent, JobProcessor, JobQueue, JobSpec, QueueLoad, WorkerHandle } from '../src/jobs/queue.ts';
import { toJobRecord } from './job-records.ts';
import * as repo from './jobs.ts';
import type { Db } from './open.ts';

/** Finished jobs the ETA averages over (weighted towards the latest), and how often it reads them again. */
const RECENT_JOBS = 20;
const MEAN_REFRESH_MS = 5000;

export interface SqliteQueueOptions {
  leaseMs: number;
  maxAttempts: number;
  /** Deaths of the worker under one job before it is taken for poison and failed in words. */
  maxCrashes: number;
  retryBaseMs: number;
  pollMs: number;
  log: Logger;
}

/**
 * The embedded queue: the jobs table in the service's SQLite file. Claims are atomic, a running job holds
 * a lease renewed by a heartbeat, and a job whose worker died goes back to the queue once its lease runs out
 * (also in a process started later), behind the jobs already waiting. Attempts count failures of the job, not
 * deaths of the worker: those count as crashes, and a job that crashes its worker JOB_MAX_CRASHES times is
 * poison and fails in words. Events reach listeners in this process.
 */
export function createSqliteJobQueue(db: Db, options: SqliteQueueOptions): JobQueue {
  const listeners = new Set<(event: JobEvent) => void>();
  const running = new Map<string, AbortController>();
  const wakers = new Set<() => void>();
  // The ETA's job time: measured on the file, so edits run by a worker in another process, or before a
  // restart, count; read again at most every few seconds.
  let measured = { mean: null as number | null, at: -Infinity };
  const meanDuration = () => {
    if (performance.now() - measured.at > MEAN_REFRESH_MS) measured = { mean: weightedMean(repo.recentDurations(db, RECENT_JOBS)), at: performance.now() };
    return measured.mean;
  };
  let workers = 0;
  const emit = (event: JobEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        options.log.error({ err: error, jobId: event.job.id }, 'job event listener failed');
      }
    }
  };
  const record = (id: string) => {
    const row = repo.getJob(db, id);
    return row ? toJobRecord(row) : null;
  };

  /**
   * The SQLite file is local, so every worker that ever claimed from it ran on this host: a running job
   * whose worker process no longer exists was orphaned by a crash and can be taken now rather than when
   * its lease runs out.
   */
  function recoverOrphans(): void {
    for (const job of repo.runningJobs(db)) {
      const [host, pid] = (job.workerId ?? '').split(':');
      if (host !== os.hostname() || !pid || processAlive(Number(pid))) continue;
      if (repo.expireLease(db, job.id, job.workerId!)) options.log.warn({ jobId: job.id, deadWorker: job.workerId }, 'taking over a job whose worker died');
    }
  }

  async function runOne(row: repo.JobRow, workerId: string, processor: JobProcessor, stopping: AbortSignal): Promise<void> {
    const log = options.log.child({ ref: row.ref, jobId: row.id, attempt: row.attempts, crashes: row.crashes });
    const controller = new AbortController();
    running.set(row.id, controller);
    const onStop = () => controller.abort(stopping.reason);
    stopping.addEventListener('abort', onStop, { once: true });
    // Renew the lease well before it runs out; losing it (cancelled, or reclaimed) aborts the work.
    const heartbeat = setInterval(() => {
      if (!repo.renewLease(db, row.id, workerId, options.leaseMs)) controller.abort(new Error('lease lost'));
    }, Math.max(50, Math.floor(options.leaseMs / 3)));
    let lastProgress = -1;
    try {
      log.info('job started');
      const result = await processor({
        job: toJobRecord(row),
        signal: controller.signal,
        progress(fraction) {
          const clamped = Math.min(1, Math.max(0, fraction));
          if (clamped - lastProgress < 0.01 && clamped < 1) return;
          lastProgress = clamped;
          if (repo.setProgress(db, row.id, workerId, clamped)) emit({ type: 'progress', job: record(row.id)!, fraction: clamped });
        },
      });
      if (repo.completeJob(db, row.id, workerId, result)) {
        measured.at = -Infinity; // the next estimate includes this job
        log.info('job done');
        emit({ type: 'done', job: record(row.id)! });
      }
    } catch (error) {
      const current = repo.getJob(db, row.id);
      if (current?.state === 'cancelled') {
        log.info('job stopped: cancelled'); // cancel() already told the listeners
        return;
      }
      if (stopping.aborted) {
        // Shutting down: hand the job back at once, without spending an attempt.
        if (repo.releaseJob(db, row.id, workerId)) log.info('job handed back: worker stopping');
        return;
      }
      const retryable = isBrushtalkError(error) ? error.retryable : true;
      const canRetry = retryable && row.attempts < row.maxAttempts;
      const retryAt = canRetry ? Date.now() + options.retryBaseMs * 2 ** (row.attempts - 1) : null;
      const detail = isBrushtalkError(error)
        ? { code: error.code, message: error.userMessage }
        : { code: 'internal', message: 'The edit failed on our side.' };
      log.error({ err: error, retryAt }, 'job failed');
      if (repo.failJob(db, row.id, workerId, detail, retryAt)) emit({ type: 'failed', job: record(row.id)!, willRetry: canRetry });
    } finally {
      clearInterval(heartbeat);
      running.delete(row.id);
      stopping.removeEventListener('abort', onStop);
    }
  }

  /** Jobs whose worker died: back to the queue, or (poison) failed for good, and the users told. */
  function requeueStalled(): void {
    const { requeued, poisoned } = repo.requeueStalled(db, options.maxCrashes, options.retryBaseMs);
    for (const id of requeued) options.log.warn({ jobId: id }, 'a job whose worker died is queued again');
    for (const id of poisoned) {
      options.log.error({ jobId: id, crashes: options.maxCrashes }, 'job failed: its worker died on every run (poison)');
      emit({ type: 'failed', job: record(id)!, willRetry: false });
    }
  }

  function load(userId: string | null, conversationId: string | null): QueueLoad {
    const counts = repo.countActive(db, userId, conversationId);
    const position = counts.queued + 1;
    // Workers here, or (a bot whose worker is another process) at least the ones running jobs now.
    const working = Math.max(1, workers, counts.running);
    const etaMs = etaFor(meanDuration(), position + Math.min(counts.running, working), working);
    return { user: counts.user, conversation: counts.conversation, position, etaMs };
  }

  return {
    async enqueue(spec: JobSpec) {
      const { position, etaMs } = load(null, null);
      repo.insertJob(db, { ...spec, maxAttempts: options.maxAttempts });
      for (const wake of wakers) wake();
      return { position, etaMs };
    },
    async load({ userId = null, conversationId = null }) {
      return load(userId, conversationId);
    },
    run(processor, { concurrency = 1 } = {}): WorkerHandle {
      const stopping = new AbortController();
      recoverOrphans();
      workers += concurrency;
      const loops = Array.from({ length: concurrency }, async () => {
        const workerId = `${os.hostname()}:${process.pid}:${randomUUID()}`;
        while (!stopping.signal.aborted) {
          requeueStalled();
          const row = repo.claimJob(db, workerId, options.leaseMs);
          if (row) {
            await runOne(row, workerId, processor, stopping.signal);
            continue;
          }
          // Sleep until the poll interval passes or someone enqueues.
          const nap = new AbortController();
          const wake = () => nap.abort();
          wakers.add(wake);
          stopping.signal.addEventListener('abort', wake, { once: true });
          await delay(options.pollMs, undefined, { signal: nap.signal }).catch(() => undefined);
          wakers.delete(wake);
          stopping.signal.removeEventListener('abort', wake);
        }
      });
      return {
        async stop() {
          if (stopping.signal.aborted) return Promise.all(loops).then(() => undefined);
          stopping.abort(new Error('worker stopping'));
          workers -= concurrency;
          await Promise.all(loops);
        },
      };
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    wake() {
      for (const wake of wakers) wake();
    },
    async cancel(jobId) {
      if (!repo.cancelJob(db, jobId)) return false;
      // Running here: stop it now. Running in another process: its next heartbeat finds the job is no
      // longer its own and stops it there. Either way the user hears it once, from here, at once.
      running.get(jobId)?.abort(new Error('cancelled'));
      emit({ type: 'cancelled', job: record(jobId)! });
      return true;
    },
    async get(jobId) {
      return record(jobId);
    },
    async activeJobs(conversationId) {
      return repo.jobsOfConversation(db, conversationId, ['queued', 'running']).map(toJobRecord);
    },
    async close() {
      listeners.clear();
    },
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0 checks existence without touching the process
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}
