/**
 * The job queue contract. Small on purpose: the embedded SQLite backend (db/job-queue.ts) implements it
 * today and a BullMQ backend can implement it for many machines.
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
  payload: Record<string, unknown>;
  ref: string;
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
  enqueue(spec: JobSpec): Promise<void>;
  /** Start a worker loop in this process. */
  run(processor: JobProcessor, options?: { concurrency?: number }): WorkerHandle;
  on(listener: (event: JobEvent) => void): () => void;
  /** Tell the worker loop that new work may be waiting (after a job was inserted in a transaction). */
  wake(): void;
  cancel(jobId: string): Promise<boolean>;
  get(jobId: string): Promise<JobRecord | null>;
  /** Queued or running jobs of a conversation. */
  activeJobs(conversationId: string): Promise<JobRecord[]>;
  close(): Promise<void>;
}
