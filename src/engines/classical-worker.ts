/**
 * worker_threads entry for the classical engine. The parent posts one ClassicalJob at a time (buffers
 * transferred) and may reuse the thread for the next one; to cancel, it terminates the thread, since the
 * fill is synchronous and no message could reach it mid-fill. OpenCV loads once per thread, on the first job.
 */
import { parentPort } from 'node:worker_threads';
import type { Mask, RgbImage } from '../images/raster.ts';
import { fillHole, type FillMethod } from './fill-plan.ts';
import { loadOpenCvTelea } from './opencv.ts';

export interface ClassicalJob {
  image: RgbImage;
  hole: Mask;
  method: FillMethod;
}

export type ClassicalWorkerMessage =
  | { type: 'progress'; fraction: number }
  | { type: 'done'; image: RgbImage; ms: number; loadMs: number; method: string; teleaParts: number; exemplarParts: number }
  | { type: 'error'; message: string };

/** Progress messages every 2 %: enough for a progress bar, few enough not to flood the parent. */
const PROGRESS_EVERY = 0.02;

const port = parentPort;
if (!port) throw new Error('classical-worker.ts must be started as a worker thread');

port.on('message', async (job: ClassicalJob) => {
  try {
    const loadStarted = performance.now();
    const telea = await loadOpenCvTelea();
    const started = performance.now();
    let reported = 0;
    const outcome = fillHole(job.image, job.hole, telea, {
      method: job.method,
      onProgress: (fraction) => {
        if (fraction < 1 && fraction - reported < PROGRESS_EVERY) return;
        reported = fraction;
        port.postMessage({ type: 'progress', fraction } satisfies ClassicalWorkerMessage);
      },
    });
    const { image, method, teleaParts, exemplarParts } = outcome;
    const done: ClassicalWorkerMessage = { type: 'done', image, ms: performance.now() - started, loadMs: started - loadStarted, method, teleaParts, exemplarParts };
    // fillHole always returns a fresh, unshared array, so its buffer is ours to hand over.
    port.postMessage(done, [image.data.buffer as ArrayBuffer]);
  } catch (error) {
    port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) } satisfies ClassicalWorkerMessage);
  }
});
