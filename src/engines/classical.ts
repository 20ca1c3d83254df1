/**
 * The classical fallback engine (design §3.4), used when no BrushNet weights are installed: per part of the
 * hole, OpenCV's Telea for thin strokes and an exemplar (PatchMatch) fill for wide regions (fill-plan.ts).
 * It fills from the surroundings only, so it reports generative: false, and it is deterministic.
 *
 * Every inpaint() runs in a worker thread: the fill is synchronous and takes tens to hundreds of ms, which
 * must not stall the event loop that serves chat platforms. Cancelling terminates that thread mid-loop.
 * Booting a worker costs ≈ 1 s (tsx compiling the worker, OpenCV's WebAssembly), so one finished worker
 * is kept, unref'd, for the next job (unless its fill was very large, KEEP_THREAD_MAX_HOLE); a cancelled or crashed
 * one is never reused.
 */
import type { Worker } from 'node:worker_threads';
import { BrushtalkError } from '../errors.ts';
import { sameSize } from '../images/raster.ts';
import type { SizePolicy } from '../images/size.ts';
import { spawnTsWorker } from '../workers/ts-worker.ts';
import type { ClassicalJob, ClassicalWorkerMessage } from './classical-worker.ts';
import type { FillMethod } from './fill-plan.ts';
import type { InpaintEngine, InpaintRequest, InpaintResult, ProgressListener } from './engine.ts';

export interface ClassicalEngineOptions {
  /** 'auto' (default) chooses per part of the hole; the others force one fill everywhere (benchmarks, tests). */
  method?: FillMethod;
}

/** How each fill is named in replies and in the version's engine label. */
const methodNames: Record<string, string> = { exemplar: 'exemplar fill', telea: 'Telea', 'exemplar+telea': 'exemplar fill + Telea' };

function spawnWorker(): Worker {
  return spawnTsWorker(new URL('./classical-worker.ts', import.meta.url), 'classical-fill');
}

/**
 * A thread that has just filled a hole larger than this (pixels at engine size: a third of a 2048×1536 picture) is
 * not kept: such a fill grows the thread by 100 MB or more that it would hold while idle — and while the edit that
 * asked for it encodes a 40-megapixel picture. Fills that large take seconds; the next one pays ≈ 1 s to boot.
 */
export const KEEP_THREAD_MAX_HOLE = 1_000_000;

export const classicalSizePolicy: SizePolicy = { minShort: 1, maxShort: 1536, maxLong: 2048, multiple: 1 };

export function createClassicalEngine(options: ClassicalEngineOptions = {}): InpaintEngine {
  const method = options.method ?? 'auto';
  if (!['auto', 'telea', 'exemplar'].includes(method)) throw new RangeError(`classical engine method must be auto, telea or exemplar, got ${method}`);
  /** Stops each job in flight (resolving once its thread is gone); close() calls them all. */
  const running = new Set<() => Promise<unknown>>();
  let spare: Worker | undefined;
  let closed = false;

  const takeWorker = (): Worker => {
    const worker = spare ?? spawnWorker();
    spare = undefined;
    worker.removeAllListeners();
    worker.ref();
    return worker;
  };
  const keepWorker = (worker: Worker): void => {
    if (closed || spare) {
      void worker.terminate();
      return;
    }
    worker.removeAllListeners();
    // An idle thread must neither keep the process alive nor crash it with an unhandled 'error' event.
    worker.unref();
    worker.on('error', () => {});
    worker.once('exit', () => {
      if (spare === worker) spare = undefined;
    });
    spare = worker;
  };

  return {
    name: 'classical',
    generative: false,
    deterministic: true,
    // A fill needs no model size: work at the picture's own resolution (sharper than a round trip through
    // 512 px), only scaling down very large pictures to keep a fill around a second.
    sizePolicy: classicalSizePolicy,
    inpaint(request, signal, onProgress) {
      if (closed) return Promise.reject(new BrushtalkError('engine.unavailable', 'The image engine is shutting down; try again in a moment.', { retryable: true }));
      if (signal.aborted) return Promise.reject(cancelled());
      const { image, hole } = request;
      if (!sameSize(image, hole)) {
        return Promise.reject(new BrushtalkError('mask.bad_size', `The mask is ${hole.width}×${hole.height} but the picture is ${image.width}×${image.height}.`));
      }
      return runJob(takeWorker(), request, method, signal, onProgress, running, keepWorker);
    },
    async close() {
      closed = true;
      const stopping = [...running].map((stop) => stop());
      running.clear();
      if (spare) stopping.push(spare.terminate());
      spare = undefined;
      await Promise.all(stopping);
    },
  };
}

function cancelled(): BrushtalkError {
  return new BrushtalkError('engine.cancelled', 'The edit was cancelled.');
}

function runJob(
  worker: Worker,
  request: InpaintRequest,
  method: FillMethod,
  signal: AbortSignal,
  onProgress: ProgressListener,
  running: Set<() => Promise<unknown>>,
  keepWorker: (worker: Worker) => void,
): Promise<InpaintResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const { image, hole } = request;
    // Copies that can be transferred: the caller still needs its own arrays (blending happens after), and
    // their buffers may be shared pool slabs (Node Buffers) that must never be detached.
    const imageData = new Uint8Array(image.data);
    const holeData = new Uint8Array(hole.data);
    let holePixels = 0;
    for (let i = 0; i < holeData.length; i++) holePixels += holeData[i] ? 1 : 0;
    const job: ClassicalJob = {
      image: { width: image.width, height: image.height, data: imageData },
      hole: { width: hole.width, height: hole.height, data: holeData },
      method,
    };
    let settled = false;
    let reported = 0;

    /** `reusable`: the thread finished its job normally and may take the next one. */
    const settle = (reusable: boolean, outcome: () => void): Promise<unknown> => {
      if (settled) return Promise.resolve();
      settled = true;
      signal.removeEventListener('abort', onAbort);
      running.delete(onShutdown);
      let gone: Promise<unknown> = Promise.resolve();
      if (reusable) keepWorker(worker);
      else gone = worker.terminate();
      outcome();
      return gone;
    };
    const onAbort = (): void => void settle(false, () => reject(cancelled()));
    const onShutdown = (): Promise<unknown> =>
      settle(false, () => reject(new BrushtalkError('engine.failed', 'The image engine shut down before finishing; try again.', { retryable: true })));
    const report = (fraction: number): void => {
      // Monotonic by construction, whatever order messages and listener side effects take.
      if (fraction <= reported) return;
      reported = fraction;
      try {
        onProgress(fraction);
      } catch (error) {
        settle(false, () => reject(error));
      }
    };

    signal.addEventListener('abort', onAbort, { once: true });
    running.add(onShutdown);

    worker.on('message', (message: ClassicalWorkerMessage) => {
      if (settled) return;
      if (message.type === 'progress') report(message.fraction);
      else if (message.type === 'done') {
        report(1);
        const info = {
          engine: `classical (${methodNames[message.method] ?? message.method})`,
          method: message.method,
          telea_parts: message.teleaParts,
          exemplar_parts: message.exemplarParts,
          fill_ms: Math.round(message.ms),
          load_ms: Math.round(message.loadMs),
          total_ms: Math.round(performance.now() - started),
        };
        settle(holePixels <= KEEP_THREAD_MAX_HOLE, () => resolve({ image: message.image, info }));
      } else {
        // The algorithm itself refused (bad input): the same request would fail again.
        settle(true, () => reject(new BrushtalkError('engine.failed', 'The fill could not be computed for this picture.', { cause: new Error(message.message) })));
      }
    });
    worker.on('error', (error) =>
      settle(false, () => reject(new BrushtalkError('engine.failed', 'The image engine crashed; try again.', { cause: error, retryable: true }))));
    worker.on('exit', (code) =>
      settle(false, () => reject(new BrushtalkError('engine.failed', 'The image engine stopped unexpectedly; try again.', { cause: new Error(`worker exited with code ${code}`), retryable: true }))));

    worker.postMessage(job, [imageData.buffer, holeData.buffer]);
  });
}
