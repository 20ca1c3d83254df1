/**
 * worker_threads entry for the BrushNet engine. Loads the tokenizer and the four sessions once, warms them up
 * once (first runs allocate arenas and pick kernels), then serves one job at a time for the life of the thread:
 * sessions are far too costly to reload per edit, so cancelling is cooperative (a shared flag read between
 * steps) instead of terminating the thread as the classical engine does.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { BrushtalkError, isBrushtalkError, type ErrorCode } from '../../errors.ts';
import type { Mask, RgbImage } from '../../images/raster.ts';
import type { OnnxProvider } from '../../onnx.ts';
import { readBrushNetFolder } from './folder.ts';
import { loadBrushNetModels, type LoadedBrushNet } from './models.ts';
import { createBrushNetPipeline, type BrushNetPipeline } from './pipeline.ts';
import type { ScheduleConfig, SchedulerName } from './scheduler.ts';
import { createScheduler } from './schedulers/index.ts';

export interface BrushNetWorkerData {
  weightsDir: string;
  modelId: string;
  provider: OnnxProvider;
  scheduler: SchedulerName;
}

export interface BrushNetJob {
  type: 'job';
  id: number;
  image: RgbImage;
  hole: Mask;
  prompt: string;
  /** Absent: the pipeline's default negative prompt. */
  negativePrompt?: string;
  seed: number;
  steps: number;
  guidance: number;
  strength: number;
  /** Int32Array view over this: element 0 becomes 1 when the parent cancels. */
  cancel: SharedArrayBuffer;
}

export type BrushNetWorkerMessage =
  | { type: 'ready'; loadMs: number; warmupMs: number }
  | { type: 'failed'; code: ErrorCode; message: string }
  | { type: 'progress'; id: number; step: number; steps: number }
  | { type: 'done'; id: number; image: RgbImage; info: Record<string, number | string> }
  | { type: 'cancelled'; id: number; step: number }
  | { type: 'error'; id: number; code: ErrorCode; message: string; retryable: boolean };

const port = parentPort;
if (!port) throw new Error('brushnet/worker.ts must be started as a worker thread');
const config = workerData as BrushNetWorkerData;
const post = (message: BrushNetWorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
const round = (ms: number): number => Math.round(ms * 100) / 100;

async function load(): Promise<{ models: LoadedBrushNet; pipeline: BrushNetPipeline; schedule: ScheduleConfig }> {
  const started = performance.now();
  const folder = readBrushNetFolder(config.weightsDir, config.modelId);
  const models = await loadBrushNetModels(config.weightsDir, config.modelId, folder, config.provider);
  const pipeline = createBrushNetPipeline(models, folder);
  const loaded = performance.now();
  // One guided step at the base model's own size: the shapes real edits start from. It also caches the
  // negative prompt's embedding, which every guided edit needs.
  const side = folder.sampleSize * 8;
  const image: RgbImage = { width: side, height: side, data: new Uint8Array(side * side * 3).fill(128) };
  const hole: Mask = { width: side, height: side, data: new Uint8Array(side * side) };
  hole.data.fill(1, (side * side) / 2);
  await pipeline.run(
    { image, hole, prompt: '', seed: 0, steps: 1, guidance: 2, conditioningScale: 1, cacheKey: 'warmup' },
    { createScheduler: (steps) => createScheduler('ddim', steps, folder.schedule) },
  );
  post({ type: 'ready', loadMs: round(loaded - started), warmupMs: round(performance.now() - loaded) });
  return { models, pipeline, schedule: folder.schedule };
}

const ready = load();
ready.catch((error: unknown) => {
  const code: ErrorCode = isBrushtalkError(error) ? error.code : 'engine.failed';
  post({ type: 'failed', code, message: error instanceof Error ? error.message : String(error) });
});

async function runJob(job: BrushNetJob): Promise<void> {
  const { models, pipeline, schedule } = await ready;
  const flag = new Int32Array(job.cancel);
  const controller = new AbortController();
  let step = 0;
  const poll = (): void => {
    if (Atomics.load(flag, 0) !== 0) controller.abort();
  };
  const before = structuredClone(models.stats);
  const started = performance.now();
  try {
    poll();
    const result = await pipeline.run(
      { image: job.image, hole: job.hole, prompt: job.prompt, negativePrompt: job.negativePrompt, seed: job.seed, steps: job.steps, guidance: job.guidance, conditioningScale: job.strength },
      {
        createScheduler: (steps) => schedulerFor(steps, schedule),
        signal: controller.signal,
        onStep: (done, steps) => {
          step = done;
          post({ type: 'progress', id: job.id, step: done, steps });
          poll();
        },
      },
    );
    const { run, host } = models.stats;
    const info: Record<string, number | string> = {
      engine: 'brushnet',
      model: config.modelId,
      provider: config.provider,
      scheduler: config.scheduler,
      steps: job.steps,
      thread_id: threadId,
      prompt_cache: result.promptCache,
      latent_cache: result.latentCache,
      pipeline_ms: round(performance.now() - started),
      unet_run_ms: round(run.unet - before.run.unet),
      unet_host_ms: round(host.unet - before.host.unet),
      text_run_ms: round(run.text_encoder - before.run.text_encoder),
      vae_encode_run_ms: round(run.vae_encoder - before.run.vae_encoder),
      vae_decode_run_ms: round(run.vae_decoder - before.run.vae_decoder),
      host_ms: round(
        host.text_encoder - before.host.text_encoder + host.vae_encoder - before.host.vae_encoder + host.unet - before.host.unet + host.vae_decoder - before.host.vae_decoder,
      ),
    };
    for (const [stage, ms] of Object.entries(result.timings)) info[stage] = round(ms);
    const image = result.images[0];
    post({ type: 'done', id: job.id, image, info }, [image.data.buffer as ArrayBuffer]);
  } catch (error) {
    if (isBrushtalkError(error) && error.code === 'engine.cancelled') post({ type: 'cancelled', id: job.id, step });
    else {
      const known = error instanceof BrushtalkError;
      post({
        type: 'error',
        id: job.id,
        code: known ? error.code : 'engine.failed',
        message: error instanceof Error ? error.message : String(error),
        retryable: known ? error.retryable : false,
      });
    }
  }
}

/** A scheduler's refusal (too many steps for its spacing) is the request's fault: say so, worded. */
function schedulerFor(steps: number, schedule: ScheduleConfig) {
  try {
    return createScheduler(config.scheduler, steps, schedule);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new BrushtalkError('params.invalid', `BrushNet's ${config.scheduler} scheduler cannot run ${steps} steps (${error.message}).`, { cause: error });
  }
}

// One job at a time: a chain, so a job posted while the last one finishes its final step waits its turn.
// 'shutdown' joins the same chain: the thread exits only between runs, after releasing its sessions.
let chain: Promise<void> = Promise.resolve();
port.on('message', (message: BrushNetJob | { type: 'shutdown' }) => {
  if (message.type === 'job') chain = chain.then(() => runJob(message)).catch(() => {});
  else if (message.type === 'shutdown') {
    chain = chain.then(async () => {
      await ready.then((loaded) => loaded.models.release()).catch(() => {});
      process.exit(0);
    });
  }
});
