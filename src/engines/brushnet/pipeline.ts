/**
 * BrushNet sampling as pure orchestration (design §3.3) over injected models, so tests can count calls and
 * swap graphs. Mirrors the reference pipeline's order: prompt embeddings → masked-image latent + mask →
 * noise → guided denoising steps → VAE decode. Blending with the original happens in the caller.
 */
import { BrushtalkError } from '../../errors.ts';
import type { Mask, RgbImage } from '../../images/raster.ts';
import type { Scheduler } from './scheduler.ts';
import { gaussianNoise, holeFlags, imageMaskKey, keptMaskLatent, maskedImagePixels, pixelsToImages } from './tensors.ts';

export const DEFAULT_NEGATIVE_PROMPT = 'ugly, low quality';
/** CLIP's context length: SD1.x/2.x tokenizers pad every prompt to 77 ids. */
export const TEXT_LENGTH = 77;
const PROMPT_CACHE_SIZE = 16;
const LATENT_CACHE_SIZE = 4;

export interface DenoiseInputs {
  /** [n,4,h,w] */
  sample: Float32Array;
  timestep: number;
  /** [n,77,textDim] */
  encoderHiddenStates: Float32Array;
  /** [n,latentChannels+1,h,w]: masked-image latent × scaling factor, then the mask with 1 on kept pixels. */
  cond: Float32Array;
  conditioningScale: number;
  batch: number;
  latentHeight: number;
  latentWidth: number;
}

/** The four graphs and the tokenizer, as the pipeline needs them. */
export interface BrushNetModels {
  /** 77 CLIP ids. */
  tokenize(text: string): number[];
  /** One row of 77 ids per prompt → [n,77,textDim]. */
  encodeText(ids: number[][]): Promise<Float32Array>;
  /** [b,3,H,W] in [-1,1] → the latent mean [b,latentChannels,H/8,W/8], not yet × scaling factor. */
  encodeImage(pixels: Float32Array, batch: number, height: number, width: number): Promise<Float32Array>;
  /** The fused branch + UNet → ε [n,4,h,w]. */
  denoise(inputs: DenoiseInputs): Promise<Float32Array>;
  /** [b,latentChannels,h,w] already ÷ scaling factor → [b,3,8h,8w] in [-1,1]. */
  decode(latents: Float32Array, batch: number, latentHeight: number, latentWidth: number): Promise<Float32Array>;
}

export interface PipelineRequest {
  image: RgbImage;
  /** 1 = hole (brushtalk's polarity); converted to BrushNet's here and nowhere else. */
  hole: Mask;
  prompt: string;
  negativePrompt?: string;
  seed: number;
  steps: number;
  /** Classifier-free guidance scale; ≤ 1 runs the conditional half only. */
  guidance: number;
  conditioningScale: number;
  /** Fractions of the schedule outside which the branch's scale is 0 (diffusers' control_guidance_start/end). */
  controlStart?: number;
  controlEnd?: number;
  samples?: number;
  /** Initial latent noise [samples,4,h,w] (parity fixtures: JS cannot reproduce torch.randn). */
  initialNoise?: Float32Array;
  /** Identifies the (image, mask) pair, e.g. a version id; defaults to a hash of the pixels. */
  cacheKey?: string;
}

export interface PipelineRunOptions {
  /** A fresh scheduler for this run (multistep ones keep history). */
  createScheduler(steps: number): Scheduler;
  signal?: AbortSignal;
  /** Called once after every denoising step. */
  onStep?(step: number, steps: number): void;
}

export interface PipelineResult {
  images: RgbImage[];
  /** Wall milliseconds per stage. */
  timings: { text_ms: number; vae_encode_ms: number; unet_ms: number; guidance_ms: number; scheduler_ms: number; vae_decode_ms: number };
  promptCache: 'hit' | 'miss';
  latentCache: 'hit' | 'miss';
}

export interface BrushNetPipeline {
  run(request: PipelineRequest, options: PipelineRunOptions): Promise<PipelineResult>;
}

export function cancelledError(): BrushtalkError {
  return new BrushtalkError('engine.cancelled', 'The edit was cancelled.');
}

/** Map insertion order as recency: re-set on hit, evict the oldest past the limit. */
function remember<V>(cache: Map<string, V>, key: string, value: V, limit: number): void {
  cache.delete(key);
  cache.set(key, value);
  while (cache.size > limit) cache.delete(cache.keys().next().value as string);
}

function validate(request: PipelineRequest): void {
  const { image, hole, steps } = request;
  const bad = (message: string) => new BrushtalkError('params.invalid', message);
  if (image.width % 8 !== 0 || image.height % 8 !== 0) throw bad(`BrushNet needs sides that are multiples of 8, got ${image.width}×${image.height}.`);
  if (hole.width !== image.width || hole.height !== image.height) {
    throw new BrushtalkError('mask.bad_size', `The mask is ${hole.width}×${hole.height} but the picture is ${image.width}×${image.height}.`);
  }
  if (!Number.isInteger(steps) || steps < 1 || steps > 1000) throw bad(`steps must be an integer from 1 to 1000, got ${steps}.`);
  const samples = request.samples ?? 1;
  if (!Number.isInteger(samples) || samples < 1 || samples > 8) throw bad(`samples must be 1 to 8, got ${samples}.`);
  const start = request.controlStart ?? 0;
  const end = request.controlEnd ?? 1;
  if (!(start >= 0 && end <= 1 && start <= end)) throw bad(`the control window must satisfy 0 ≤ start ≤ end ≤ 1, got ${start}..${end}.`);
}

/** Repeat `unit` `times` times end to end. */
function tile(unit: Float32Array, times: number): Float32Array {
  const out = new Float32Array(unit.length * times);
  for (let i = 0; i < times; i++) out.set(unit, i * unit.length);
  return out;
}

/** The widths the graphs were exported with (brushtalk.json; a BrushNetFolder has these fields). SD1.5's by default. */
export interface PipelineShape {
  scalingFactor: number;
  latentChannels: number;
  /** The text encoder's hidden width, the UNet's cross_attention_dim. */
  textDim: number;
}

export const sd15Shape: PipelineShape = { scalingFactor: 0.18215, latentChannels: 4, textDim: 768 };

export function createBrushNetPipeline(models: BrushNetModels, shape: Partial<PipelineShape> = {}): BrushNetPipeline {
  const { scalingFactor, latentChannels, textDim } = { ...sd15Shape, ...shape };
  const condChannels = latentChannels + 1;
  const embeddings = new Map<string, Float32Array>();
  const conds = new Map<string, Float32Array>();

  /** [77,textDim] per prompt, computed once per distinct text (re-rolls and the fixed negative prompt hit). */
  async function embed(prompts: string[]): Promise<{ rows: Float32Array[]; hit: boolean }> {
    const missing = [...new Set(prompts.filter((p) => !embeddings.has(p)))];
    if (missing.length > 0) {
      const out = await models.encodeText(missing.map((p) => models.tokenize(p)));
      const size = TEXT_LENGTH * textDim;
      if (out.length !== size * missing.length) throw new Error(`text encoder returned ${out.length} values, expected ${size * missing.length}`);
      missing.forEach((p, i) => remember(embeddings, p, out.slice(i * size, (i + 1) * size), PROMPT_CACHE_SIZE));
    }
    const rows = prompts.map((p) => {
      const row = embeddings.get(p) as Float32Array;
      remember(embeddings, p, row, PROMPT_CACHE_SIZE);
      return row;
    });
    return { rows, hit: missing.length === 0 };
  }

  /** [latentChannels+1,h,w]: the masked-image latent (VAE mean × scaling factor) and the kept-pixel mask, per (image, mask). */
  async function conditioning(request: PipelineRequest, h: number, w: number): Promise<{ cond: Float32Array; hit: boolean }> {
    const key = request.cacheKey ?? imageMaskKey(request.image, request.hole);
    const cached = conds.get(key);
    if (cached) {
      remember(conds, key, cached, LATENT_CACHE_SIZE);
      return { cond: cached, hit: true };
    }
    const { image, hole } = request;
    const flags = holeFlags(hole);
    const mean = await models.encodeImage(maskedImagePixels(image, flags), 1, image.height, image.width);
    const plane = h * w;
    if (mean.length !== latentChannels * plane) throw new Error(`VAE encoder returned ${mean.length} values, expected ${latentChannels * plane}`);
    const cond = new Float32Array(condChannels * plane);
    for (let i = 0; i < mean.length; i++) cond[i] = mean[i] * scalingFactor;
    cond.set(keptMaskLatent(flags, image.width, image.height, w, h), latentChannels * plane);
    remember(conds, key, cond, LATENT_CACHE_SIZE);
    return { cond, hit: false };
  }

  async function run(request: PipelineRequest, options: PipelineRunOptions): Promise<PipelineResult> {
    validate(request);
    const { signal } = options;
    const timings = { text_ms: 0, vae_encode_ms: 0, unet_ms: 0, guidance_ms: 0, scheduler_ms: 0, vae_decode_ms: 0 };
    const stopIfCancelled = (): void => {
      if (signal?.aborted) throw cancelledError();
    };
    stopIfCancelled();
    const samples = request.samples ?? 1;
    const h = request.image.height / 8;
    const w = request.image.width / 8;
    const latentSize = latentChannels * h * w;
    const guided = request.guidance > 1;
    const n = guided ? 2 * samples : samples;

    let t = performance.now();
    const negative = request.negativePrompt ?? DEFAULT_NEGATIVE_PROMPT;
    const { rows, hit: promptHit } = await embed(guided ? [negative, request.prompt] : [request.prompt]);
    // Batch layout [uncond × samples, cond × samples], the order diffusers' chunk(2) expects.
    const text = new Float32Array(n * TEXT_LENGTH * textDim);
    rows.forEach((row, r) => {
      for (let s = 0; s < samples; s++) text.set(row, (r * samples + s) * row.length);
    });
    timings.text_ms = performance.now() - t;

    t = performance.now();
    const { cond: cond1, hit: latentHit } = await conditioning(request, h, w);
    const cond = tile(cond1, n);
    timings.vae_encode_ms = performance.now() - t;

    const scheduler = options.createScheduler(request.steps);
    let latents: Float32Array;
    if (request.initialNoise) {
      if (request.initialNoise.length !== samples * latentSize) {
        throw new BrushtalkError('params.invalid', `initial noise has ${request.initialNoise.length} values, expected ${samples * latentSize}.`);
      }
      latents = Float32Array.from(request.initialNoise);
    } else {
      // One stream for the batch: sample 0 of a 4-sample run equals the 1-sample run with the same seed.
      latents = gaussianNoise(request.seed, samples * latentSize);
    }
    if (scheduler.initNoiseSigma !== 1) for (let i = 0; i < latents.length; i++) latents[i] *= scheduler.initNoiseSigma;

    const steps = scheduler.timesteps.length;
    const start = request.controlStart ?? 0;
    const end = request.controlEnd ?? 1;
    const input = new Float32Array(n * latentSize);
    for (let i = 0; i < steps; i++) {
      stopIfCancelled();
      const inWindow = !(i / steps < start || (i + 1) / steps > end);
      input.set(latents, 0);
      if (guided) input.set(latents, samples * latentSize);
      t = performance.now();
      const out = await models.denoise({
        sample: input,
        timestep: scheduler.timesteps[i],
        encoderHiddenStates: text,
        cond,
        conditioningScale: inWindow ? request.conditioningScale : 0,
        batch: n,
        latentHeight: h,
        latentWidth: w,
      });
      timings.unet_ms += performance.now() - t;
      t = performance.now();
      let eps = out;
      if (guided) {
        eps = new Float32Array(samples * latentSize);
        const half = samples * latentSize;
        for (let k = 0; k < half; k++) eps[k] = out[k] + request.guidance * (out[half + k] - out[k]);
      }
      timings.guidance_ms += performance.now() - t;
      t = performance.now();
      latents = scheduler.step(eps, i, latents);
      timings.scheduler_ms += performance.now() - t;
      options.onStep?.(i + 1, steps);
    }
    stopIfCancelled();

    t = performance.now();
    const unscaled = new Float32Array(latents.length);
    for (let i = 0; i < latents.length; i++) unscaled[i] = latents[i] / scalingFactor;
    const pixels = await models.decode(unscaled, samples, h, w);
    const images = pixelsToImages(pixels, samples, request.image.width, request.image.height);
    timings.vae_decode_ms = performance.now() - t;
    return { images, timings, promptCache: promptHit ? 'hit' : 'miss', latentCache: latentHit ? 'hit' : 'miss' };
  }

  return { run };
}
