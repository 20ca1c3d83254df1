import { Job, Queue, QueueEvents } from 'bullmq';
import { isBrushtalkError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { decodeFailure, startBullmqWorker, type BullmqWorkerHandle, type WireJob, type WireResult } from './bullmq-worker.ts';
import { createDurationTracker } from './eta.ts';
import type { JobEvent, JobQueue, JobRecord, QueueLoad } from './queue.ts';
import type { JobRecords } from './records.ts';
import { cancelKey, type RedisClients } from './redis.ts';

export interface BullmqQueueOptions {
  redis: RedisClients;
  queueName: string;
  records: JobRecords;
  maxAttempts: number;
  /** Worker deaths under one job before it fails as poison (in-process workers; `brushtalk worker` reads its own). */
  maxCrashes: number;
  retryBaseMs: number;
  leaseMs: number;
  log: Logger;
  /** Builds what the worker receives from a record (edits: add the input PNGs). Default: the payload. */
  prepare?(record: JobRecord): Promise<Record<string, unknown>>;
  /** Turns a worker's result into the record's result (edits: apply it to the session). Default: as is. */
  settle?(record: JobRecord, result: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** The job's outcome is recorded here (done, failed for good, cancelled): drop what travelled beside it. */
  discard?(jobId: string): Promise<void>;
  /** How often the bot compares its queued and running rows with Redis (missed events, lost adds). */
  reconcileMs?: number;
}

export interface BullmqJobQueue extends JobQueue {
  /** Connected, listening, and the outbox repaired. */
  ready(): Promise<void>;
  /** Hand queued rows that Redis does not hold yet to BullMQ; returns how many were sent. */
  dispatch(): Promise<number>;
  /** Compare active rows with Redis: apply results and failures this bot missed, re-add lost jobs. */
  reconcile(): Promise<void>;
  counts(): Promise<Record<string, number>>;
}

const meanKey = (queueName: string) => `brushtalk:${queueName}:mean-ms`;

/**
 * The BullMQ backend, bot side. The SQLite row stays the record (inserted with the session save, in one
 * transaction); after the save commits, wake() hands new rows to BullMQ under the row's id, so adding twice
 * is harmless and rows a crash left behind are sent at start-up. Workers anywhere run the jobs; this bot
 * hears progress and results through QueueEvents and applies a result only when its database holds the
 * job, through `settle`, whose writes are idempotent — of several bots hearing one result, one reports it.
 */
export function createBullmqJobQueue(options: BullmqQueueOptions): BullmqJobQueue {
  const { redis, queueName, records, log } = options;
  const command = redis.client('queue');
  // Redis stays small and bounded: jobs and results carry picture names only (payloads.ts), the events stream
  // is capped, and finished jobs are kept only as long as a restarted bot needs them to catch up (reconcile).
  const queue = new Queue<WireJob, WireResult>(queueName, {
    connection: command,
    streams: { events: { maxLen: 500 } },
    defaultJobOptions: {
      attempts: options.maxAttempts,
      backoff: { type: 'exponential', delay: options.retryBaseMs },
      removeOnComplete: { age: 3600, count: 500 },
      removeOnFail: { age: 24 * 3600, count: 500 },
    },
  });
  const events = new QueueEvents(queueName, { connection: redis.client('events') });
  const listeners = new Set<(event: JobEvent) => void>();
  const sent = new Set<string>();
  const workers: BullmqWorkerHandle[] = [];
  const durations = createDurationTracker();
  let workerCount = { value: 1, at: 0 };
  let dispatching: Promise<number> | null = null;
  let again = false;
  let closed = false;

  const emit = (event: JobEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        log.error({ err: error, jobId: event.job.id }, 'job event listener failed');
      }
    }
  };
  const ours = (jobId: string) => records.get(jobId);
  const discard = (jobId: string) => void options.discard?.(jobId).catch((error: unknown) => log.warn({ err: error, jobId }, 'could not drop a job’s pictures from Redis'));
  const active = (record: JobRecord | null): record is JobRecord => record !== null && (record.state === 'queued' || record.state === 'running');

  async function completed(jobId: string, wire: WireResult | undefined): Promise<void> {
    const record = ours(jobId);
    if (record && !active(record)) discard(jobId); // cancelled while it ran: its pictures go all the same
    if (!active(record) || !wire) return;
    durations.record(wire.ms);
    void command.set(meanKey(queueName), String(Math.round(durations.mean()!)), 'EX', 24 * 3600).catch(() => undefined);
    try {
      const result = options.settle ? await options.settle(record, wire.result) : wire.result;
      if (records.done(jobId, result)) emit({ type: 'done', job: records.get(jobId)! });
    } catch (error) {
      log.error({ err: error, jobId }, 'could not apply a job result');
      const detail = isBrushtalkError(error) ? { code: error.code, message: error.userMessage } : { code: 'internal', message: 'The result could not be saved.' };
      if (records.failed(jobId, detail, false)) emit({ type: 'failed', job: records.get(jobId)!, willRetry: false });
    } finally {
      sent.delete(jobId);
    }
    discard(jobId);
  }

  function failed(jobId: string, reason: string | undefined, willRetry: boolean): void {
    const record = ours(jobId);
    if (!active(record)) return;
    if (records.failed(jobId, decodeFailure(reason), willRetry)) emit({ type: 'failed', job: records.get(jobId)!, willRetry });
    if (!willRetry) {
      sent.delete(jobId);
      discard(jobId);
    }
  }

  async function retried(jobId: string): Promise<void> {
    const job = await Job.fromId<WireJob, WireResult>(queue, jobId);
    const deferred = job?.data.deferred;
    if (job && deferred && deferred.crashes === job.stalledCounter && deferred.attempts === job.attemptsMade) {
      // Not a failure: a worker moved it behind the queue after a crash. Waiting again, nothing to tell.
      if (ours(jobId)?.state === 'running') records.failed(jobId, { code: 'engine.crashed', message: 'The worker stopped while running this edit.' }, true);
      return;
    }
    failed(jobId, job?.failedReason, true);
  }

  events.on('active', ({ jobId }) => {
    const record = ours(jobId);
    if (active(record) && records.started(jobId, record.attempts + 1)) log.debug({ jobId }, 'job started on a worker');
  });
  events.on('progress', ({ jobId, data }) => {
    if (typeof data !== 'number' || !active(ours(jobId))) return;
    if (records.progress(jobId, data)) emit({ type: 'progress', job: records.get(jobId)!, fraction: data });
  });
  events.on('completed', ({ jobId, returnvalue }) => void completed(jobId, returnvalue as unknown as WireResult));
  events.on('failed', ({ jobId, failedReason }) => failed(jobId, failedReason, false));
  events.on('delayed', ({ jobId }) => void retried(jobId).catch((error: unknown) => log.warn({ err: error, jobId }, 'retry bookkeeping failed')));
  events.on('waiting', ({ jobId, prev }) => {
    if (prev === 'failed') void retried(jobId).catch(() => undefined);
  });
  events.on('stalled', ({ jobId }) => {
    log.warn({ jobId }, 'a worker stopped renewing its lock; the job goes back to the queue');
    const record = ours(jobId);
    if (record?.state === 'running') records.failed(jobId, { code: 'engine.failed', message: 'The worker stopped while running this edit.' }, true);
  });
  events.on('error', (error) => log.warn({ err: error.message }, 'queue events error'));

  async function sendOnce(): Promise<number> {
    let count = 0;
    for (const record of records.queued(1000)) {
      if (sent.has(record.id) || closed) continue;
      const payload = options.prepare ? await options.prepare(record) : record.payload;
      // A cancel may have landed while the payload was prepared: do not hand Redis a cancelled job.
      if (records.get(record.id)?.state !== 'queued') continue;
      const userId = typeof record.payload.userId === 'string' ? record.payload.userId : null;
      const priority = typeof record.payload.priority === 'number' ? Math.max(1, Math.min(2_097_152, Math.round(record.payload.priority))) : undefined;
      // The row id is the job id: BullMQ ignores a second add of a job it holds.
      const job = await queue.add(record.kind, { conversationId: record.conversationId, ref: record.ref, userId, payload }, { jobId: record.id, priority });
      // …or while the add was on its way (cancel() found nothing to remove yet): take it back out.
      if (records.get(record.id)?.state === 'cancelled') {
        await job.remove().catch(() => undefined);
        continue;
      }
      sent.add(record.id);
      count++;
    }
    return count;
  }

  async function dispatch(): Promise<number> {
    if (dispatching) {
      again = true;
      return dispatching;
    }
    dispatching = (async () => {
      let total = 0;
      do {
        again = false;
        total += await sendOnce();
      } while (again);
      return total;
    })().finally(() => (dispatching = null));
    return dispatching;
  }

  async function reconcile(): Promise<void> {
    for (const record of records.unfinished(1000)) {
      const job = await Job.fromId<WireJob, WireResult>(queue, record.id);
      if (!job) {
        // Never sent (dispatch() sends queued rows), or lost with Redis: queue it again.
        sent.delete(record.id);
        if (record.state === 'running') records.failed(record.id, { code: 'engine.failed', message: 'The job was lost; trying again.' }, true);
        continue;
      }
      const jobState = await job.getState();
      if (jobState === 'completed') await completed(record.id, job.returnvalue);
      else if (jobState === 'failed') failed(record.id, job.failedReason, false);
      else sent.add(record.id);
    }
    await dispatch();
  }

  async function workersNow(): Promise<number> {
    if (Date.now() - workerCount.at > 5000) workerCount = { value: await queue.getWorkersCount().catch(() => 1), at: Date.now() };
    return Math.max(1, workerCount.value);
  }

  async function load(userId: string | null, conversationId: string | null): Promise<QueueLoad> {
    const mine = records.counts(userId, conversationId);
    const counts = await queue.getJobCounts('waiting', 'prioritized', 'active');
    if (durations.mean() === null) {
      const stored = Number(await command.get(meanKey(queueName)));
      if (stored > 0) durations.record(stored);
    }
    const workersUp = await workersNow();
    const position = (counts.waiting ?? 0) + (counts.prioritized ?? 0) + 1;
    const etaMs = durations.estimate(position + Math.min(counts.active ?? 0, workersUp), workersUp);
    return { user: mine.user, conversation: mine.conversation, position, etaMs };
  }

  const timer = setInterval(() => void reconcile().catch((error: unknown) => log.warn({ err: error }, 'queue reconcile failed')), options.reconcileMs ?? 15_000);
  timer.unref();

  return {
    async ready() {
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
      await reconcile();
    },
    dispatch,
    reconcile,
    counts: () => queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'),
    async enqueue(spec) {
      const place = await load(null, null);
      records.insert(spec);
      await dispatch();
      return { position: place.position, etaMs: place.etaMs };
    },
    load: ({ userId = null, conversationId = null }) => load(userId, conversationId),
    run(processor, { concurrency = 1 } = {}) {
      const worker = startBullmqWorker(processor, { redis, queueName, concurrency, leaseMs: options.leaseMs, maxCrashes: options.maxCrashes, crashPauseMs: options.retryBaseMs, log });
      workers.push(worker);
      return worker;
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    wake() {
      void dispatch().catch((error: unknown) => log.error({ err: error }, 'could not hand jobs to Redis; the next reconcile retries'));
    },
    async cancel(jobId) {
      if (!records.cancel(jobId)) return false;
      sent.delete(jobId);
      // A worker running it sees this key between progress ticks; a waiting job is simply removed.
      await command.set(cancelKey(queueName, jobId), '1', 'EX', 3600);
      const job = await Job.fromId(queue, jobId);
      if (job && ['waiting', 'prioritized', 'delayed'].includes(await job.getState())) await job.remove().catch(() => undefined);
      emit({ type: 'cancelled', job: records.get(jobId)! });
      discard(jobId);
      return true;
    },
    async get(jobId) {
      return records.get(jobId);
    },
    async activeJobs(conversationId) {
      return records.active(conversationId);
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await Promise.all(workers.map((worker) => worker.stop()));
      await dispatching?.catch(() => undefined);
      await events.close();
      await queue.close();
      listeners.clear();
    },
  };
}
