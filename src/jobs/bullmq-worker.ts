import { DelayedError, Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { isBrushtalkError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { poisonError, type JobProcessor, type JobRecord, type WorkerHandle } from './queue.ts';
import { cancelKey, type RedisClients } from './redis.ts';

/** What travels through Redis: the record's identity and the payload the worker needs (input PNGs included). */
export interface WireJob {
  conversationId: string | null;
  ref: string;
  userId: string | null;
  payload: Record<string, unknown>;
  /** Set when a worker put the job back after a crash: the crash count and attempts it had then. */
  deferred?: { crashes: number; attempts: number };
}

/** What a worker returns: the processor's result and how long it took (for ETAs and metrics). */
export interface WireResult {
  result: Record<string, unknown>;
  ms: number;
}

/** Errors cross Redis as text: a JSON code + worded message, so the bot can reply in the user's words. */
export function encodeFailure(error: unknown): { message: string; retryable: boolean } {
  if (isBrushtalkError(error)) return { message: JSON.stringify({ code: error.code, message: error.userMessage }), retryable: error.retryable };
  return { message: JSON.stringify({ code: 'internal', message: 'The edit failed on our side.' }), retryable: true };
}

export function decodeFailure(reason: string | undefined): { code: string; message: string } {
  try {
    const parsed = JSON.parse(reason ?? '') as { code?: unknown; message?: unknown };
    if (typeof parsed.code === 'string' && typeof parsed.message === 'string') return { code: parsed.code, message: parsed.message };
  } catch {
    // not ours: a stalled-too-often job, or BullMQ's own words
  }
  // BullMQ's own words for a job that stalled past maxStalledCount: its workers kept dying under it (poison).
  if (/stalled/i.test(reason ?? '')) return poisonError(null);
  return { code: 'engine.failed', message: 'The edit failed on our side.' };
}

export interface BullmqWorkerOptions {
  redis: RedisClients;
  queueName: string;
  concurrency: number;
  /** Lock duration: a worker that stops renewing it (killed) loses the job to the stalled check. */
  leaseMs: number;
  /** Deaths of a worker under one job (BullMQ stalls) before it fails as poison. */
  maxCrashes: number;
  /** A job back from a crash waits this long (doubling with each crash), behind the jobs already queued. */
  crashPauseMs: number;
  /** How long SIGTERM waits for running jobs before handing them back to the queue. */
  graceMs?: number;
  /** How often a running job looks for a cancel request. */
  cancelPollMs?: number;
  log: Logger;
  onFinished?(outcome: { ok: boolean; ms: number; code?: string }): void;
}

export interface BullmqWorkerHandle extends WorkerHandle {
  ready(): Promise<void>;
  /** Job counts by state, for /metrics. */
  counts(): Promise<Record<string, number>>;
  running(): boolean;
}

function toRecord(job: Job<WireJob>): JobRecord {
  return {
    id: job.id!,
    kind: job.name,
    conversationId: job.data.conversationId,
    state: 'running',
    attempts: job.attemptsMade + 1,
    maxAttempts: job.opts.attempts ?? 1,
    progress: typeof job.progress === 'number' ? job.progress : 0,
    payload: job.data.payload,
    result: null,
    error: null,
    ref: job.data.ref,
  };
}

/**
 * A BullMQ worker around a JobProcessor: progress goes to `job.updateProgress` (the bots hear it through
 * QueueEvents), a cancel request is a Redis key polled while the job runs, retryable errors are retried with
 * the job's backoff and the others fail at once (UnrecoverableError). A killed worker's job is taken back by
 * another worker's stalled check once its lock runs out; BullMQ counts that as a stall, not an attempt, puts the
 * job first in line, and fails it (poison, in words) past maxCrashes stalls — we move it behind the waiting
 * jobs first. stop() lets running jobs finish for graceMs, then hands them back to the queue without spending
 * an attempt.
 */
export function startBullmqWorker(processor: JobProcessor, options: BullmqWorkerOptions): BullmqWorkerHandle {
  const { redis, queueName, log } = options;
  const command = redis.client('worker-command');
  const stopping = new AbortController();
  const tokens = new Map<string, { job: Job<WireJob>; token: string; abort: AbortController }>();
  const pollMs = options.cancelPollMs ?? 250;

  async function process(job: Job<WireJob>, token?: string, bullSignal?: AbortSignal): Promise<WireResult> {
    // Back from a crash (BullMQ put it at the head of the queue): go behind the jobs waiting now, after a pause
    // that doubles with each crash, so one job whose worker keeps dying cannot take every restart's first slot
    // and a burst of outside kills is waited out. Neither an attempt nor a new crash.
    const crashes = job.stalledCounter;
    if (crashes > (job.data.deferred?.crashes ?? 0) && token) {
      await job.updateData({ ...job.data, deferred: { crashes, attempts: job.attemptsMade } });
      await job.moveToDelayed(Date.now() + options.crashPauseMs * 2 ** Math.min(crashes - 1, 16), token);
      log.warn({ ref: job.data.ref, jobId: job.id, crashes }, 'a job whose worker died goes back behind the queue');
      throw new DelayedError();
    }
    const started = performance.now();
    const record = toRecord(job);
    const jobLog = log.child({ ref: record.ref, jobId: record.id, attempt: record.attempts });
    const abort = new AbortController();
    let cancelled = false;
    const key = cancelKey(queueName, record.id);
    const checkCancel = async () => {
      if (!cancelled && (await command.exists(key).catch(() => 0)) === 1) {
        cancelled = true;
        abort.abort(new Error('cancelled'));
      }
    };
    const poll = setInterval(() => void checkCancel(), pollMs);
    const onBullAbort = () => abort.abort(bullSignal?.reason);
    bullSignal?.addEventListener('abort', onBullAbort, { once: true });
    tokens.set(record.id, { job, token: token ?? '', abort });
    let last = -1;
    try {
      await checkCancel();
      if (cancelled) throw new UnrecoverableError('cancelled before it started');
      jobLog.info('job started');
      const result = await processor({
        job: record,
        signal: abort.signal,
        progress(fraction) {
          const clamped = Math.min(1, Math.max(0, fraction));
          if (clamped - last < 0.01 && clamped < 1) return;
          last = clamped;
          void job.updateProgress(clamped).catch((error: unknown) => jobLog.warn({ err: error }, 'progress update failed'));
        },
      });
      const ms = performance.now() - started;
      jobLog.info({ ms: Math.round(ms) }, 'job done');
      options.onFinished?.({ ok: true, ms });
      return { result, ms };
    } catch (error) {
      if (cancelled || error instanceof UnrecoverableError) {
        options.onFinished?.({ ok: false, ms: performance.now() - started, code: 'engine.cancelled' });
        throw new UnrecoverableError(JSON.stringify({ code: 'engine.cancelled', message: 'Cancelled.' }));
      }
      if (stopping.signal.aborted && token) {
        // Shutting down: back to the queue for another worker, without spending an attempt.
        jobLog.info('job handed back: worker stopping');
        await job.moveToWait(token);
        throw new WaitingError();
      }
      const failure = encodeFailure(error);
      const canRetry = failure.retryable && record.attempts < record.maxAttempts;
      jobLog.error({ err: error, willRetry: canRetry }, 'job failed');
      options.onFinished?.({ ok: false, ms: performance.now() - started, code: decodeFailure(failure.message).code });
      throw failure.retryable ? new Error(failure.message) : new UnrecoverableError(failure.message);
    } finally {
      clearInterval(poll);
      bullSignal?.removeEventListener('abort', onBullAbort);
      tokens.delete(record.id);
    }
  }

  const worker = new Worker<WireJob, WireResult>(queueName, process, {
    connection: redis.client('worker'),
    concurrency: options.concurrency,
    lockDuration: options.leaseMs,
    stalledInterval: Math.max(500, Math.floor(options.leaseMs / 2)),
    // The maxCrashes-th stall fails the job (BullMQ fails past maxStalledCount).
    maxStalledCount: Math.max(0, options.maxCrashes - 1),
    autorun: true,
  });
  worker.on('error', (error) => log.warn({ err: error.message }, 'worker connection error'));
  let counter: Queue | null = null;

  return {
    ready: () => worker.waitUntilReady().then(() => undefined),
    running: () => worker.isRunning() && !stopping.signal.aborted,
    async counts() {
      counter ??= new Queue(queueName, { connection: command });
      return counter.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
    },
    async stop() {
      if (stopping.signal.aborted) return;
      const grace = setTimeout(() => {
        stopping.abort(new Error('worker stopping'));
        for (const { abort } of tokens.values()) abort.abort(new Error('worker stopping'));
      }, options.graceMs ?? 30_000);
      try {
        await worker.close();
      } finally {
        clearTimeout(grace);
        stopping.abort(new Error('worker stopped'));
        await counter?.close();
      }
    },
  };
}
