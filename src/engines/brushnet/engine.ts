/**
 * The BrushNet engine (design §3.3): generative inpainting on onnxruntime in one worker thread, since
 * session.run() blocks whatever thread calls it. The thread loads and warms the sessions once and then serves
 * jobs one at a time; cancelling sets a shared flag the thread reads between denoising steps, and the promise
 * settles when the thread confirms it stopped (or after a grace period, giving the thread up). Threads are
 * only ever asked to exit, never terminated (see stopThread). A thread that dies fails its job as retryable;
 * the next job starts a fresh one.
 */
import type { Worker } from 'node:worker_threads';
import { BrushtalkError } from '../../errors.ts';
import { defaultSizePolicy } from '../../images/size.ts';
import { checkProvider, type OnnxProvider } from '../../onnx.ts';
import { spawnTsWorker } from '../../workers/ts-worker.ts';
import type { InpaintEngine, InpaintRequest, InpaintResult, ProgressListener } from '../engine.ts';
import { readBrushNetFolder } from './folder.ts';
import { cancelledError } from './pipeline.ts';
import type { SchedulerName } from './scheduler.ts';
import type { BrushNetJob, BrushNetWorkerData, BrushNetWorkerMessage } from './worker.ts';

export interface BrushNetEngineOptions {
  weightsDir: string;
  /** Folder name under weightsDir (config BRUSHNET_MODEL). */
  modelId: string;
  provider?: OnnxProvider;
  scheduler?: SchedulerName;
  /** Load and warm up at once rather than on the first edit. Default true. */
  preload?: boolean;
  /** How long a cancelled job or a closing engine waits for the thread to reach the end of its step. */
  cancelGraceMs?: number;
}

interface Thread {
  worker: Worker;
  ready: Promise<{ loadMs: number; warmupMs: number }>;
  exited: Promise<void>;
  /** Loaded and warmed up: a job that finds it so paid no load time. */
  isReady: boolean;
  /** The job the thread is running: it receives that job's messages, the thread's death and shutdown. */
  onMessage?: (message: BrushNetWorkerMessage) => void;
  onDeath?: (error: BrushtalkError) => void;
  onShutdown?: () => void;
}

/**
 * Ask a thread to finish its current step, release its sessions and exit. Never worker.terminate(): stopping a
 * thread inside onnxruntime's run() aborts the whole process ("terminate called after throwing Napi::Error").
 * A thread stuck in one step longer than `graceMs` is left to end on its own, unref'd.
 */
async function stopThread(thread: Thread, graceMs: number): Promise<void> {
  thread.worker.postMessage({ type: 'shutdown' });
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      thread.worker.unref();
      resolve();
    }, graceMs);
  });
  await Promise.race([thread.exited, gaveUp]);
  clearTimeout(timer);
}

const shuttingDown = (): BrushtalkError => new BrushtalkError('engine.unavailable', 'The image engine is shutting down; try again in a moment.', { retryable: true });

/**
 * Throws 'weights.missing' (naming the fix) or 'engine.unavailable' (naming how to install the provider)
 * before any thread starts, so the composition root can fall back to the classical engine.
 */
export function createBrushNetEngine(options: BrushNetEngineOptions): InpaintEngine {
  const provider = options.provider ?? 'cpu';
  const scheduler = options.scheduler ?? 'unipc';
  const graceMs = options.cancelGraceMs ?? 30_000;
  readBrushNetFolder(options.weightsDir, options.modelId);
  checkProvider(provider);
  const workerData: BrushNetWorkerData = { weightsDir: options.weightsDir, modelId: options.modelId, provider, scheduler };
  let thread: Thread | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let nextId = 1;
  let closed = false;

  const start = (): Thread => {
    const worker = spawnTsWorker(new URL('./worker.ts', import.meta.url), 'brushnet', workerData);
    worker.unref(); // an idle (or loading) thread must not keep the process alive
    let exit: () => void = () => {};
    const current: Thread = { worker, ready: Promise.resolve({ loadMs: 0, warmupMs: 0 }), exited: new Promise((resolve) => (exit = resolve)), isReady: false };
    current.ready = new Promise((resolve, reject) => {
      const die = (error: BrushtalkError): void => {
        if (thread === current) thread = undefined;
        reject(error);
        current.onDeath?.(error);
      };
      worker.on('message', (message: BrushNetWorkerMessage) => {
        if (message.type === 'ready') {
          current.isReady = true;
          resolve(message);
        } else if (message.type === 'failed') {
          die(new BrushtalkError(message.code, message.message, { retryable: message.code === 'engine.failed' }));
          void stopThread(current, graceMs);
        } else current.onMessage?.(message);
      });
      worker.on('error', (cause) => die(new BrushtalkError('engine.failed', 'The BrushNet engine crashed; try again.', { cause, retryable: true })));
      worker.on('exit', (code) => {
        exit();
        die(new BrushtalkError('engine.failed', 'The BrushNet engine stopped unexpectedly; try again.', { cause: new Error(`worker exited with code ${code}`), retryable: true }));
      });
    });
    // Nobody may be waiting yet (preload): a failed load is reported to the next job, not as an unhandled rejection.
    current.ready.catch(() => {});
    return current;
  };

  if (options.preload ?? true) thread = start();

  async function runJob(request: InpaintRequest, signal: AbortSignal, onProgress: ProgressListener, state: { dispatched: boolean }): Promise<InpaintResult> {
    if (signal.aborted) throw cancelledError();
    if (closed) throw shuttingDown();
    const waitStarted = performance.now();
    const current = thread ?? (thread = start());
    const warm = current.isReady;
    const loaded = await current.ready;
    if (signal.aborted) throw cancelledError();
    const started = performance.now();
    return new Promise<InpaintResult>((resolve, reject) => {
      const id = nextId++;
      const cancel = new SharedArrayBuffer(4);
      let settled = false;
      let cancelling = false;
      let grace: NodeJS.Timeout | undefined;
      const settle = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(grace);
        signal.removeEventListener('abort', onAbort);
        current.onMessage = undefined;
        current.onDeath = undefined;
        current.onShutdown = undefined;
        current.worker.unref();
        outcome();
      };
      function onAbort(): void {
        if (cancelling) return;
        cancelling = true;
        Atomics.store(new Int32Array(cancel), 0, 1);
        // A step that outlasts the grace period is stuck: give up on this thread (it exits when the step ends).
        grace = setTimeout(() => {
          if (thread === current) thread = undefined;
          void stopThread(current, graceMs);
          settle(() => reject(cancelledError()));
        }, graceMs);
      }
      current.onDeath = (error) => settle(() => reject(cancelling ? cancelledError() : error));
      current.onShutdown = () => {
        Atomics.store(new Int32Array(cancel), 0, 1);
        settle(() => reject(new BrushtalkError('engine.failed', 'The image engine shut down before finishing; try again.', { retryable: true })));
      };
      current.onMessage = (message) => {
        if (!('id' in message) || message.id !== id) return;
        if (message.type === 'progress') {
          if (cancelling) return;
          try {
            onProgress(message.step / message.steps);
          } catch (error) {
            onAbort();
            settle(() => reject(error));
          }
        } else if (cancelling || message.type === 'cancelled') {
          const stoppedAt = message.type === 'cancelled' ? message.step : undefined;
          settle(() => reject(new BrushtalkError('engine.cancelled', 'The edit was cancelled.', { cause: new Error(`stopped after step ${stoppedAt ?? 'last'}`) })));
        } else if (message.type === 'done') {
          const info = {
            ...message.info,
            warm: warm ? 'yes' : 'no',
            load_ms: warm ? 0 : loaded.loadMs,
            warmup_ms: warm ? 0 : loaded.warmupMs,
            // Time this job waited for the thread to load and warm up (0 once warm).
            wait_ms: Math.round(started - waitStarted),
            total_ms: Math.round(performance.now() - started),
          };
          settle(() => resolve({ image: message.image, info }));
        } else {
          settle(() => reject(new BrushtalkError(message.code, message.message, { retryable: message.retryable })));
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
      state.dispatched = true;
      current.worker.ref(); // a running job keeps the process alive until it settles
      // Copies: the caller keeps its arrays for blending, and Node Buffers may share pooled memory.
      const job: BrushNetJob = {
        type: 'job',
        id,
        image: { width: request.image.width, height: request.image.height, data: new Uint8Array(request.image.data) },
        hole: { width: request.hole.width, height: request.hole.height, data: new Uint8Array(request.hole.data) },
        prompt: request.caption,
        negativePrompt: request.negativePrompt,
        seed: request.seed,
        steps: request.steps,
        guidance: request.guidance,
        strength: request.strength,
        cancel,
      };
      current.worker.postMessage(job, [job.image.data.buffer as ArrayBuffer, job.hole.data.buffer as ArrayBuffer]);
    });
  }

  return {
    name: 'brushnet',
    generative: true,
    deterministic: false,
    sizePolicy: defaultSizePolicy,
    inpaint(request, signal, onProgress) {
      if (closed) return Promise.reject(shuttingDown());
      // One GPU, one job at a time. A job cancelled while it waits (or while the thread loads) settles at once
      // and never reaches the thread; a dispatched one settles when the thread has stopped.
      const state = { dispatched: false };
      const result = queue.then(() => runJob(request, signal, onProgress, state));
      queue = result.catch(() => {});
      if (signal.aborted) return Promise.reject(cancelledError());
      return new Promise<InpaintResult>((resolve, reject) => {
        const onAbort = (): void => {
          if (!state.dispatched) reject(cancelledError());
        };
        signal.addEventListener('abort', onAbort, { once: true });
        result.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
    },
    async close() {
      closed = true;
      const current = thread;
      thread = undefined;
      if (!current) return;
      current.onShutdown?.();
      await stopThread(current, graceMs);
    },
  };
}
