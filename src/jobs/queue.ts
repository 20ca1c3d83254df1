/**
 * The job queue contract. Small on purpose: the embedded SQLite backend (db/job-queue.ts) implements it for
 * one process, the BullMQ backend (src/jobs/bullmq-queue.ts) for many machines meeting on Redis.
 */

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobRecord {
  id: string;
  kind: string;
  conversationId: string | null;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  progress: number;
  payload: Record<string, unknown>;
  result: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  /** Reference id shown to users and stamped on every log line of this job. */
  ref: string;
}

export interface JobSpec {
  id: string;
  kind: string;
  conversationId: string | null;
  /** Carries `userId` (caps, fairness) and `priority` (1 runs first; BullMQ honours it) when a person asked. */
  payload: Record<string, unknown>;
  ref: string;
}

/** Where a job stands once queued: 1 = next to run; the ETA is a guess from recent job durations. */
export interface QueuePlace {
  position: number;
  etaMs: number | null;
}

/** What a user and a conversation already have waiting or running, and where a new job would stand. */
export interface QueueLoad extends QueuePlace {
  user: number;
  conversation: number;
}

/** Worded for the user: a job whose runs kept ending with the worker gone (both backends fail it so). */
export function poisonError(crashes: number | null): { code: 'engine.crashed'; message: string } {
  const times = crashes === null ? 'too many times' : `${crashes} times`;
  return {
    code: 'engine.crashed',
    message: `The worker stopped while running this edit ${times}, so I stopped trying: the picture or the area may be more than this server can handle. Try a smaller picture or a smaller area.`,
  };
}

export type JobEvent =
  | { type: 'progress'; job: JobRecord; fraction: number }
  | { type: 'done'; job: JobRecord }
  | { type: 'failed'; job: JobRecord; willRetry: boolean }
  | { type: 'cancelled'; job: JobRecord };

export interface JobContext {
  job: JobRecord;
  /** Fires when the job is cancelled or the worker is stopping. */
  signal: AbortSignal;
  progress(fraction: number): void;
}

/** Returns the job's result; throw a BrushtalkError with retryable=true to be tried again later. */
export type JobProcessor = (context: JobContext) => Promise<Record<string, unknown>>;

export interface WorkerHandle {
  /** Stop claiming, abort what runs (it goes back to the queue when its lease runs out) and wait. */
  stop(): Promise<void>;
}

export interface JobQueue {
  enqueue(spec: JobSpec): Promise<QueuePlace>;
  /** Active jobs of a user (payload.userId) and of a conversation, and the place a new job would take. */
  load(scope: { userId?: string | null; conversationId?: string | null }): Promise<QueueLoad>;
  /** Start a worker loop in this process. */
  run(processor: JobProcessor, options?: { concurrency?: number }): WorkerHandle;
  on(listener: (event: JobEvent) => void): () => void;
  /**
   * New jobs were inserted with a session save (an outbox): the SQLite backend wakes its worker loop, the
   * BullMQ backend hands the rows to Redis. Idempotent; also repairs rows a crash left undispatched.
   */
  wake(): void;
  cancel(jobId: string): Promise<boolean>;
  get(jobId: string): Promise<JobRecord | null>;
  /** Queued or running jobs of a conversation. */
  activeJobs(conversationId: string): Promise<JobRecord[]>;
  close(): Promise<void>;
}
