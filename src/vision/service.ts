import type { Worker } from 'node:worker_threads';
import type { Box } from '../contracts.ts';
import { BrushtalkError, type ErrorCode } from '../errors.ts';
import type { Mask, RgbImage } from '../images/raster.ts';
import type { Logger } from '../log.ts';
import { spawnTsWorker } from '../workers/ts-worker.ts';
import type { Candidate } from './detector.ts';
import type { VisionReply, VisionRequest, VisionWorkerData } from './vision-worker.ts';

export interface VisionOptions extends VisionWorkerData {
  log: Logger;
  /** Throws a worded 'weights.missing' error (naming the pull command) when a model is not installed. */
  requireModel(kind: 'detector' | 'segmenter'): void;
}

export interface Timed<T> {
  value: T;
  /** Milliseconds per stage inside the worker (load, detect, embed, decode, cleanup) plus round trip. */
  timings: Record<string, number>;
}

/** Open-vocabulary boxes and masks, computed in one shared worker thread with the models loaded once. */
export interface VisionService {
  detect(image: RgbImage, phrase: string): Promise<Timed<Candidate[]>>;
  /** Mask for the union of the boxes; the image embedding is cached under imageKey (the image's blob id). */
  segment(image: RgbImage, imageKey: string, boxes: Box[]): Promise<Timed<{ mask: Mask; score: number }>>;
  close(): Promise<void>;
}

/** Omit that distributes over a union of request types. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export function createVisionService(options: VisionOptions): VisionService {
  const { log, requireModel, ...workerData } = options;
  let worker: Worker | null = null;
  let closing = false;
  let nextId = 1;
  const pending = new Map<number, { resolve(reply: VisionReply): void; reject(error: unknown): void }>();

  const start = (): Worker => {
    const spawned = spawnTsWorker(new URL('./vision-worker.ts', import.meta.url), 'brushtalk-vision', workerData);
    spawned.on('message', (reply: VisionReply) => {
      pending.get(reply.id)?.resolve(reply);
      pending.delete(reply.id);
    });
    spawned.on('error', (error) => log.error({ err: error }, 'vision worker error'));
    spawned.on('exit', (code) => {
      // Anything still waiting gets a retryable error; the next request starts a fresh worker.
      if (worker === spawned) worker = null;
      for (const [id, waiter] of pending) {
        waiter.reject(new BrushtalkError('vision.failed', 'The object finder stopped unexpectedly; please try again.', { retryable: true }));
        pending.delete(id);
      }
      if (code !== 0 && !closing) log.warn({ code }, 'vision worker exited');
    });
    spawned.unref(); // an idle vision worker never keeps the process alive
    return spawned;
  };

  async function call<T>(request: WithoutId<VisionRequest>, transfer: ArrayBuffer[]): Promise<Timed<T>> {
    worker ??= start();
    const id = nextId++;
    const started = performance.now();
    const current = worker;
    current.ref();
    try {
      const reply = await new Promise<VisionReply>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        current.postMessage({ ...request, id }, transfer);
      });
      if (!reply.ok) throw new BrushtalkError(reply.error.code as ErrorCode, reply.error.message, { retryable: reply.error.retryable });
      return { value: reply.result as T, timings: { ...reply.timings, total: performance.now() - started } };
    } finally {
      if (pending.size === 0) current.unref();
    }
  }

  // Pixels are copied before transfer: the caller keeps using its image.
  const copy = (image: RgbImage): RgbImage => ({ width: image.width, height: image.height, data: new Uint8Array(image.data) });

  return {
    async detect(image, phrase) {
      requireModel('detector');
      const sent = copy(image);
      return call<Candidate[]>({ type: 'detect', image: sent, phrase }, [sent.data.buffer as ArrayBuffer]);
    },
    async segment(image, imageKey, boxes) {
      requireModel('segmenter');
      const sent = copy(image);
      return call<{ mask: Mask; score: number }>({ type: 'segment', image: sent, imageKey, boxes }, [sent.data.buffer as ArrayBuffer]);
    },
    async close() {
      closing = true;
      // Never terminate a thread inside onnxruntime's run(): that aborts the whole process. Let requests in
      // flight finish (bounded), then stop the idle thread.
      const deadline = Date.now() + 30_000;
      while (pending.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      if (pending.size === 0) await worker?.terminate();
      else worker?.unref();
      worker = null;
      closing = false;
    },
  };
}
