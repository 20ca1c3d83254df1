/**
 * worker_threads entry for the classical engine. The parent posts one ClassicalJob at a time (buffers
 * transferred) and may reuse the thread for the next one; to cancel, it terminates the thread, since
 * inpaintTelea is synchronous and no message could reach it mid-fill.
 */
import { parentPort } from 'node:worker_threads';
import type { Mask, RgbImage } from '../images/raster.ts';
import { inpaintTelea } from './telea.ts';

export interface ClassicalJob {
  image: RgbImage;
  hole: Mask;
  radius?: number;
}

export type ClassicalWorkerMessage =
  | { type: 'progress'; fraction: number }
  | { type: 'done'; image: RgbImage; ms: number }
  | { type: 'error'; message: string };

/** Progress messages every 2 %: enough for a progress bar, few enough not to flood the parent. */
const PROGRESS_EVERY = 0.02;

const port = parentPort;
if (!port) throw new Error('classical-worker.ts must be started as a worker thread');

port.on('message', (job: ClassicalJob) => {
  try {
    const started = performance.now();
    const image = inpaintTelea(job.image, job.hole, {
      radius: job.radius,
      progressEvery: PROGRESS_EVERY,
      onProgress: (fraction) => port.postMessage({ type: 'progress', fraction } satisfies ClassicalWorkerMessage),
    });
    const done: ClassicalWorkerMessage = { type: 'done', image, ms: performance.now() - started };
    // inpaintTelea always returns a fresh, unshared array, so its buffer is ours to hand over.
    port.postMessage(done, [image.data.buffer as ArrayBuffer]);
  } catch (error) {
    port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) } satisfies ClassicalWorkerMessage);
  }
});
