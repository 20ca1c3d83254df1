/**
 * The classical fallback engine (design §3.4): Telea fast-marching fill, used when no BrushNet weights are
 * installed. It fills from the surroundings only, so it reports generative: false.
 *
 * Every inpaint() runs in its own worker thread: the fill is synchronous and takes tens to hundreds of ms,
 * which must not stall the event loop that serves chat platforms. A worker per job also makes cancellation
 * exact — terminate() stops the thread mid-loop.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BrushtalkError } from '../errors.ts';
import { sameSize } from '../images/raster.ts';
import type { ClassicalJob, ClassicalWorkerMessage } from './classical-worker.ts';
import type { InpaintEngine, InpaintRequest, InpaintResult, ProgressListener } from './engine.ts';

export interface ClassicalEngineOptions {
  /** Telea neighbourhood radius in pixels. Default 5. */
  radius?: number;
}

/**
 * The worker is TypeScript. `new Worker(url, { execArgv: ['--import', 'tsx'] })` does not work on Node 20:
 * tsx 4.23 registers its ESM hooks in worker threads only on Node >= 22.22.3 / 24.11.1, and a worker does not
 * inherit them from a parent under vitest or under the tsx CLI. tsx's CommonJS API hooks `require` inside the
 * thread itself, so a one-line eval bootstrap loads the .ts worker the same way everywhere. Paths are absolute
 * so neither the cwd nor the caller's loader matters.
 */
const WORKER_FILE = fileURLToPath(new URL('./classical-worker.ts', import.meta.url));
const TSX_CJS_API = createRequire(import.meta.url).resolve('tsx/cjs/api');
const BOOTSTRAP = `require(${JSON.stringify(TSX_CJS_API)}).require(${JSON.stringify(WORKER_FILE)}, ${JSON.stringify(pathToFileURL(WORKER_FILE).href)});`;

export function createClassicalEngine(options: ClassicalEngineOptions = {}): InpaintEngine {
  const radius = options.radius ?? 5;
  if (!Number.isFinite(radius) || radius < 1) throw new RangeError(`classical engine radius must be >= 1, got ${radius}`);
  /** Cancels each job in flight; close() calls them all. */
  const running = new Set<() => void>();
  let closed = false;

  return {
    name: 'classical-telea',
    generative: false,
    inpaint(request, signal, onProgress) {
      if (closed) return Promise.reject(new BrushtalkError('engine.unavailable', 'The image engine is shutting down; try again in a moment.', { retryable: true }));
      return runInWorker(request, radius, signal, onProgress, running);
    },
    async close() {
      closed = true;
      for (const stop of [...running]) stop();
      running.clear();
    },
  };
}

function cancelled(): BrushtalkError {
  return new BrushtalkError('engine.cancelled', 'The edit was cancelled.');
}

function runInWorker(
  request: InpaintRequest,
  radius: number,
  signal: AbortSignal,
  onProgress: ProgressListener,
  running: Set<() => void>,
): Promise<InpaintResult> {
  if (signal.aborted) return Promise.reject(cancelled());
  const { image, hole } = request;
  if (!sameSize(image, hole)) {
    return Promise.reject(new BrushtalkError('mask.bad_size', `The mask is ${hole.width}×${hole.height} but the picture is ${image.width}×${image.height}.`));
  }

  return new Promise((resolve, reject) => {
    const started = performance.now();
    // Copies that can be transferred: the caller still needs its own arrays (blending happens after), and
    // their buffers may be shared pool slabs (Node Buffers) that must never be detached.
    const job: ClassicalJob = {
      image: { width: image.width, height: image.height, data: new Uint8Array(image.data) },
      hole: { width: hole.width, height: hole.height, data: new Uint8Array(hole.data) },
      radius,
    };
    // execArgv: [] so the tsx CLI's own flags (signal relays, ESM loader) are not replayed inside the thread.
    const worker = new Worker(BOOTSTRAP, { eval: true, execArgv: [], name: 'classical-telea' });
    let settled = false;
    let reported = 0;

    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      running.delete(onShutdown);
      void worker.terminate();
      outcome();
    };
    const onAbort = (): void => settle(() => reject(cancelled()));
    const onShutdown = (): void =>
      settle(() => reject(new BrushtalkError('engine.failed', 'The image engine shut down before finishing; try again.', { retryable: true })));
    const report = (fraction: number): void => {
      // Monotonic by construction, whatever order the listener's side effects take.
      if (fraction <= reported) return;
      reported = fraction;
      try {
        onProgress(fraction);
      } catch (error) {
        settle(() => reject(error));
      }
    };

    signal.addEventListener('abort', onAbort, { once: true });
    running.add(onShutdown);

    worker.on('message', (message: ClassicalWorkerMessage) => {
      if (settled) return;
      if (message.type === 'progress') report(message.fraction);
      else if (message.type === 'done') {
        report(1);
        const info = { engine: 'classical-telea', radius, fill_ms: Math.round(message.ms), total_ms: Math.round(performance.now() - started) };
        settle(() => resolve({ image: message.image, info }));
      } else {
        // The algorithm itself refused (bad input): the same request would fail again.
        settle(() => reject(new BrushtalkError('engine.failed', 'The fill could not be computed for this picture.', { cause: new Error(message.message) })));
      }
    });
    worker.on('error', (error) =>
      settle(() => reject(new BrushtalkError('engine.failed', 'The image engine crashed; try again.', { cause: error, retryable: true }))));
    worker.on('exit', (code) =>
      settle(() => reject(new BrushtalkError('engine.failed', 'The image engine stopped unexpectedly; try again.', { cause: new Error(`worker exited with code ${code}`), retryable: true }))));

    worker.postMessage(job, [job.image.data.buffer, job.hole.data.buffer]);
  });
}
