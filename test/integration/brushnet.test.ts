import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrushNetEngine } from '../../src/engines/brushnet/engine.ts';
import { readBrushNetFolder, type BrushNetFolder } from '../../src/engines/brushnet/folder.ts';
import { loadBrushNetModels, type LoadedBrushNet } from '../../src/engines/brushnet/models.ts';
import { createBrushNetPipeline, type BrushNetModels, type DenoiseInputs, type PipelineRequest } from '../../src/engines/brushnet/pipeline.ts';
import { createScheduler } from '../../src/engines/brushnet/schedulers/index.ts';
import type { InpaintEngine, InpaintRequest } from '../../src/engines/engine.ts';
import type { Mask, RgbImage } from '../../src/images/raster.ts';
import { tinyBrushNetId, writeTinyBrushNet } from '../helpers/tiny-brushnet.ts';
import { cudaInstalled } from '../helpers/providers.ts';

const W = 64;
const H = 48;

function picture(width = W, height = H, value = 100): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3).fill(value) };
}

/** A hole covering latent blocks x 2..5, y 1..4 (pixels 16..47 × 8..39), so block edges line up with it. */
function centreHole(width = W, height = H): Mask {
  const mask: Mask = { width, height, data: new Uint8Array(width * height) };
  for (let y = 8; y < 40; y++) for (let x = 16; x < 48; x++) mask.data[y * width + x] = 1;
  return mask;
}

function regionMeans(image: RgbImage, hole: Mask): { kept: number; hole: number } {
  let kept = 0;
  let keptN = 0;
  let inHole = 0;
  let holeN = 0;
  for (let i = 0; i < hole.data.length; i++) {
    const v = image.data[i * 3];
    if (hole.data[i]) (inHole += v), holeN++;
    else (kept += v), keptN++;
  }
  return { kept: kept / keptN, hole: inHole / holeN };
}

let weightsDir: string;
beforeAll(() => {
  weightsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-brushnet-'));
  writeTinyBrushNet(weightsDir);
});
afterAll(() => fs.rmSync(weightsDir, { recursive: true, force: true }));

describe('BrushNet pipeline on the tiny graphs (real onnxruntime, main thread)', () => {
  let folder: BrushNetFolder;
  let models: LoadedBrushNet;
  beforeAll(async () => {
    folder = readBrushNetFolder(weightsDir, tinyBrushNetId);
    models = await loadBrushNetModels(weightsDir, tinyBrushNetId, folder, 'cpu');
  });
  afterAll(() => models.release());

  /** The real models, counted and recorded; `flipMask` feeds the graph the wrong polarity on purpose. */
  function counted(flipMask = false) {
    const calls = { tokenize: 0, encodeText: 0, encodeImage: 0, denoise: 0, decode: 0 };
    const denoised: DenoiseInputs[] = [];
    const wrapped: BrushNetModels = {
      tokenize: (text) => (calls.tokenize++, models.tokenize(text)),
      encodeText: (ids) => (calls.encodeText++, models.encodeText(ids)),
      encodeImage: (...args) => (calls.encodeImage++, models.encodeImage(...args)),
      denoise(inputs) {
        calls.denoise++;
        denoised.push({ ...inputs, cond: inputs.cond.slice(), sample: inputs.sample.slice() });
        if (!flipMask) return models.denoise(inputs);
        const plane = inputs.latentHeight * inputs.latentWidth;
        const cond = inputs.cond.slice();
        for (let b = 0; b < inputs.batch; b++) for (let i = 0; i < plane; i++) cond[(b * 5 + 4) * plane + i] = 1 - cond[(b * 5 + 4) * plane + i];
        return models.denoise({ ...inputs, cond });
      },
      decode: (...args) => (calls.decode++, models.decode(...args)),
    };
    return { calls, denoised, pipeline: createBrushNetPipeline(wrapped, folder) };
  }

  const request = (over: Partial<PipelineRequest> = {}): PipelineRequest => ({
    image: picture(),
    hole: centreHole(),
    prompt: 'a cat',
    seed: 7,
    steps: 8,
    guidance: 2,
    conditioningScale: 1,
    ...over,
  });
  const ddim = { createScheduler: (steps: number) => createScheduler('ddim', steps, folder.schedule) };

  it('feeds the branch a mask channel that is 1 on kept pixels, and the graph reacts to it', async () => {
    const { pipeline, denoised } = counted();
    const { images } = await pipeline.run(request(), ddim);
    const { cond, batch, latentWidth: w, latentHeight: h } = denoised[0];
    expect([batch, w, h]).toEqual([2, 8, 6]);
    const mask = (b: number) => Array.from(cond.subarray((b * 5 + 4) * w * h, (b * 5 + 5) * w * h));
    const expected = Array.from({ length: w * h }, (_, i) => (i % w >= 2 && i % w < 6 && Math.floor(i / w) >= 1 && Math.floor(i / w) < 5 ? 0 : 1));
    expect(mask(0)).toEqual(expected);
    expect(mask(1)).toEqual(expected);
    // Masked-image latent: black (−1 × 0.18215) in the hole, the picture's grey outside.
    expect(cond[0 * w + 3 + w]).toBeCloseTo(-0.18215, 5);
    expect(cond[0]).toBeCloseTo((100 / 127.5 - 1) * 0.18215, 5);

    const right = regionMeans(images[0], centreHole());
    expect(Math.abs(right.kept - 100)).toBeLessThan(10); // kept area reconstructed
    expect(right.hole).toBeGreaterThan(180); // hole filled light
    const { images: flipped } = await counted(true).pipeline.run(request(), ddim);
    const wrong = regionMeans(flipped[0], centreHole());
    expect(wrong.hole).toBeLessThan(20);
    expect(wrong.kept).toBeGreaterThan(150);
  });

  it('runs classifier-free guidance as one batch [uncond, cond] and only the cond half at guidance ≤ 1', async () => {
    const guided = counted();
    await guided.pipeline.run(request({ samples: 2 }), ddim);
    expect(guided.denoised[0].batch).toBe(4);
    const unguided = counted();
    await unguided.pipeline.run(request({ guidance: 1 }), ddim);
    expect(unguided.denoised[0].batch).toBe(1);
    expect(unguided.calls.encodeText).toBe(1);
  });

  it('computes prompt embeddings once across re-rolls, and the masked-image latent once per version key', async () => {
    const { pipeline, calls } = counted();
    const first = await pipeline.run(request({ seed: 1, cacheKey: 'v1' }), ddim);
    const second = await pipeline.run(request({ seed: 2, cacheKey: 'v1' }), ddim);
    expect([first.promptCache, second.promptCache, first.latentCache, second.latentCache]).toEqual(['miss', 'hit', 'miss', 'hit']);
    expect(calls.encodeText).toBe(1); // negative + caption in one batch, then never again
    expect(calls.tokenize).toBe(2);
    expect(calls.encodeImage).toBe(1);
    await pipeline.run(request({ cacheKey: 'v2', hole: centreHole() }), ddim);
    expect(calls.encodeImage).toBe(2);
    // Without a key the pixels are the key: same pixels hit, a different mask misses.
    const keyless = counted();
    await keyless.pipeline.run(request(), ddim);
    await keyless.pipeline.run(request(), ddim);
    const other = centreHole();
    other.data[0] = 1;
    await keyless.pipeline.run(request({ hole: other }), ddim);
    expect(keyless.calls.encodeImage).toBe(2);
  });

  it('reports each step once and stops between steps when cancelled', async () => {
    const { pipeline, calls } = counted();
    const controller = new AbortController();
    const steps: number[] = [];
    const run = pipeline.run(request({ steps: 10 }), {
      ...ddim,
      signal: controller.signal,
      onStep: (step) => {
        steps.push(step);
        if (step === 3) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'engine.cancelled' });
    expect(steps).toEqual([1, 2, 3]);
    expect(calls.denoise).toBe(3);
    expect(calls.decode).toBe(0);
  });

  it('zeroes the conditioning scale outside the control window', async () => {
    const { pipeline, denoised } = counted();
    await pipeline.run(request({ steps: 10, conditioningScale: 0.8, controlStart: 0.2, controlEnd: 0.6 }), ddim);
    expect(denoised.map((d) => d.conditioningScale)).toEqual([0, 0, 0.8, 0.8, 0.8, 0.8, 0, 0, 0, 0]);
  });

  it('is deterministic per seed, takes injected noise, and batches samples from one stream', async () => {
    const { pipeline } = counted();
    const a = await pipeline.run(request({ seed: 5 }), ddim);
    const b = await pipeline.run(request({ seed: 5 }), ddim);
    const c = await pipeline.run(request({ seed: 6 }), ddim);
    expect(b.images[0].data).toEqual(a.images[0].data);
    expect(c.images[0].data).not.toEqual(a.images[0].data);
    const two = await pipeline.run(request({ seed: 5, samples: 2 }), ddim);
    expect(two.images).toHaveLength(2);
    expect(two.images[0].data).toEqual(a.images[0].data);
    expect(two.images[1].data).not.toEqual(a.images[0].data);
    const noise = new Float32Array(4 * 8 * 6).fill(0.5);
    const x = await pipeline.run(request({ seed: 1, initialNoise: noise }), ddim);
    const y = await pipeline.run(request({ seed: 2, initialNoise: noise }), ddim);
    expect(y.images[0].data).toEqual(x.images[0].data);
  });

  it('refuses sides that are not multiples of 8 and masks of another size', async () => {
    const { pipeline } = counted();
    await expect(pipeline.run(request({ image: picture(60, 48), hole: centreHole(60, 48) }), ddim)).rejects.toMatchObject({ code: 'params.invalid' });
    await expect(pipeline.run(request({ hole: centreHole(56, 48) }), ddim)).rejects.toMatchObject({ code: 'mask.bad_size' });
  });
});

// Starting a thread costs ~2 s alone (tsx compiling it, transformers.js, onnxruntime), far more under a loaded CI.
const threadTimeout = { timeout: 60_000 };

describe('BrushNet engine (worker thread, real onnxruntime)', threadTimeout, () => {
  let engine: InpaintEngine;
  beforeAll(() => {
    engine = createBrushNetEngine({ weightsDir, modelId: tinyBrushNetId, provider: 'cpu', scheduler: 'unipc' });
  });
  afterAll(() => engine.close());

  const job = (over: Partial<InpaintRequest> = {}): InpaintRequest => ({
    image: picture(),
    hole: centreHole(),
    caption: 'a dog on grass',
    seed: 11,
    steps: 12,
    guidance: 7.5,
    strength: 1,
    ...over,
  });
  const never = new AbortController().signal;

  it('is generative, uses the design size policy, and returns the request size with stage timings', async () => {
    expect(engine).toMatchObject({ name: 'brushnet', generative: true, sizePolicy: { minShort: 512, maxShort: 640, maxLong: 1024, multiple: 8 } });
    const result = await engine.inpaint(job(), never, () => {});
    expect([result.image.width, result.image.height, result.image.data.length]).toEqual([W, H, W * H * 3]);
    for (const key of ['unet_run_ms', 'unet_host_ms', 'scheduler_ms', 'host_ms', 'total_ms', 'vae_decode_ms']) expect(typeof result.info[key]).toBe('number');
    expect(result.info).toMatchObject({ engine: 'brushnet', scheduler: 'unipc', provider: 'cpu' });
  });

  it('same seed → identical image, different seed → different; the caption is embedded once across re-rolls', async () => {
    const a = await engine.inpaint(job({ caption: 'a red hat', seed: 3 }), never, () => {});
    const b = await engine.inpaint(job({ caption: 'a red hat', seed: 3 }), never, () => {});
    const c = await engine.inpaint(job({ caption: 'a red hat', seed: 4 }), never, () => {});
    expect(b.image.data).toEqual(a.image.data);
    expect(c.image.data).not.toEqual(a.image.data);
    expect([a.info.prompt_cache, b.info.prompt_cache, c.info.prompt_cache]).toEqual(['miss', 'hit', 'hit']);
    expect([b.info.latent_cache, c.info.latent_cache]).toEqual(['hit', 'hit']);
    expect(c.info.text_run_ms).toBe(0);
  });

  it('reports exactly one progress event per step', async () => {
    const fractions: number[] = [];
    await engine.inpaint(job({ steps: 9 }), never, (f) => fractions.push(f));
    expect(fractions).toEqual(Array.from({ length: 9 }, (_, i) => (i + 1) / 9));
  });

  it('stops at the next step boundary after a cancel, and the warm thread serves the next job', async () => {
    // Steps on the tiny graphs take about a millisecond, so the thread is already some steps ahead when the
    // parent sees a progress event: what is checked is that it stops soon after the flag, far from the end.
    const controller = new AbortController();
    const seen: number[] = [];
    let abortedAt = 0;
    const big = { image: picture(512, 512), hole: centreHole(512, 512) };
    const run = engine.inpaint(job({ ...big, steps: 400 }), controller.signal, (f) => {
      seen.push(f);
      if (seen.length === 2) {
        abortedAt = performance.now();
        controller.abort();
      }
    });
    const error = await run.then(() => null, (e: unknown) => e as Error & { code: string });
    const latency = performance.now() - abortedAt;
    expect(error?.code).toBe('engine.cancelled');
    const stopped = Number(/stopped after step (\d+)/.exec(String((error?.cause as Error)?.message))?.[1]);
    expect(stopped).toBeGreaterThanOrEqual(2);
    expect(stopped).toBeLessThan(400);
    expect(latency).toBeLessThan(500);
    expect(seen).toHaveLength(2); // nothing is reported once cancelled
    const next = await engine.inpaint(job({ steps: 2 }), never, () => {});
    expect(next.info.warm).toBe('yes');
  });

  it('runs off the main thread: timers keep ticking during a run', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    const result = await engine.inpaint(job({ image: picture(512, 512), hole: centreHole(512, 512), steps: 50, caption: 'a long run' }), never, () => {});
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(result.info.thread_id).not.toBe(threadId);
    // A blocked main thread would tick about once; a free one ticks every few ms of the run.
    expect(ticks).toBeGreaterThan(Math.min(10, elapsed / 20));
  });

  it('a step count the scheduler refuses is a worded params.invalid', async () => {
    await expect(engine.inpaint(job({ steps: 1000 }), never, () => {})).rejects.toMatchObject({ code: 'params.invalid', message: expect.stringContaining('unipc') });
  });

  it('a cancel before the job reaches the thread settles at once', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(engine.inpaint(job(), controller.signal, () => {})).rejects.toMatchObject({ code: 'engine.cancelled' });
  });
});

describe('BrushNet engine errors', threadTimeout, () => {
  it('a missing model folder names the pull command and the export script', () => {
    let error: (Error & { code?: string }) | undefined;
    try {
      createBrushNetEngine({ weightsDir, modelId: 'brushnet-sd15', provider: 'cpu' });
    } catch (e) {
      error = e as Error & { code?: string };
    }
    expect(error?.code).toBe('weights.missing');
    expect(error?.message).toContain('npx brushtalk weights pull brushnet-sd15');
    expect(error?.message).toMatch(/export/);
    expect(error?.message).toContain(path.join(weightsDir, 'brushnet-sd15'));
  });

  it.skipIf(cudaInstalled)("provider 'cuda' without its binaries is engine.unavailable, saying how to install them", () => {
    expect(() => createBrushNetEngine({ weightsDir, modelId: tinyBrushNetId, provider: 'cuda' })).toThrow(
      expect.objectContaining({ code: 'engine.unavailable', message: expect.stringContaining('ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node') }),
    );
  });

  it('a corrupt graph fails the first edit with weights.corrupt naming the file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-brushnet-bad-'));
    try {
      writeTinyBrushNet(dir, 'broken');
      fs.writeFileSync(path.join(dir, 'broken', 'unet', 'model.onnx'), 'not a graph');
      const engine = createBrushNetEngine({ weightsDir: dir, modelId: 'broken' });
      const job: InpaintRequest = { image: picture(), hole: centreHole(), caption: 'x', seed: 1, steps: 2, guidance: 2, strength: 1 };
      await expect(engine.inpaint(job, new AbortController().signal, () => {})).rejects.toMatchObject({ code: 'weights.corrupt', message: expect.stringContaining('unet') });
      await engine.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('close() during a job fails it as retryable engine.failed, lets the thread exit between steps, and refuses new jobs', async () => {
    // The thread is asked to exit, never terminated: killing it inside onnxruntime's run() aborts the process.
    const engine = createBrushNetEngine({ weightsDir, modelId: tinyBrushNetId });
    const job: InpaintRequest = { image: picture(), hole: centreHole(), caption: 'x', seed: 1, steps: 500, guidance: 2, strength: 1 };
    let closing: Promise<void> | undefined;
    const run = engine.inpaint(job, new AbortController().signal, () => {
      closing ??= engine.close();
    });
    await expect(run).rejects.toMatchObject({ code: 'engine.failed', retryable: true });
    await closing;
    await expect(engine.inpaint(job, new AbortController().signal, () => {})).rejects.toMatchObject({ code: 'engine.unavailable', retryable: true });
  });
});
