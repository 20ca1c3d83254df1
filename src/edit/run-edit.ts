import { randomUUID } from 'node:crypto';
import type { InpaintEngine } from '../engines/engine.ts';
import { BrushtalkError, isBrushtalkError } from '../errors.ts';
import { blendImages } from '../images/blend.ts';
import { editWeight, withinBudget } from '../images/budget.ts';
import { decodeImage, decodeMask, encodePng, imagePixels, resizeMask, resizeRgb, storedPictureLimits, type DecodeLimits } from '../images/codec.ts';
import { backgroundMetrics } from '../images/metrics.ts';
import { beforeAfter, maskOverlay } from '../images/preview.ts';
import { maskCoverage } from '../images/raster.ts';
import { engineSize } from '../images/size.ts';
import type { JobProcessor } from '../jobs/queue.ts';
import type { Logger } from '../log.ts';
import { applyEditResult, type Clock, type EditJobSpec } from '../session/session.ts';
import type { BlobStore, SessionStore } from '../store.ts';

export interface EditResult extends Record<string, unknown> {
  versionId: string;
  versionNumber: number;
  imageId: string;
  overlayId: string;
  compareId: string;
  engine: string;
  generative: boolean;
  /** The engine gives the same picture for every seed (absent on results stored before it was recorded). */
  deterministic?: boolean;
  metrics: Record<string, number | string | null>;
}

/** A PNG with its size (the blob store records both). */
export interface RenderedPng {
  png: Uint8Array;
  width: number;
  height: number;
}

/** What rendering an edit produces: pure pixels and numbers, no database. */
export interface RenderedEdit {
  result: RenderedPng;
  overlay: RenderedPng;
  compare: RenderedPng;
  metrics: Record<string, number | string | null>;
  engine: string;
  generative: boolean;
  deterministic: boolean;
}

export interface RenderInput {
  image: Uint8Array;
  mask: Uint8Array;
  spec: EditJobSpec;
}

export interface RenderDeps {
  engine: InpaintEngine;
  limits: DecodeLimits;
}

export interface EditDeps extends RenderDeps {
  sessions: SessionStore;
  blobs: BlobStore;
  log: Logger;
  clock?: Clock;
}

const systemClock: Clock = { newId: () => randomUUID(), now: () => Date.now() };

/**
 * Render one edit (the worker's half): the engine works at engine size (aspect kept), its output is scaled
 * back to the picture's own size and blended there, so pixels away from the mask stay the original's bit
 * for bit. Needs only the input PNGs, so a worker on another machine can run it.
 */
export async function renderEdit(
  deps: RenderDeps,
  input: RenderInput,
  signal: AbortSignal,
  progress: (fraction: number) => void,
): Promise<RenderedEdit> {
  try {
    // The full-size picture, its mask and the three PNGs live for the whole render: inside the pixel budget.
    const limits = storedPictureLimits(deps.limits);
    return await withinBudget(limits.budget, editWeight * (await imagePixels(input.image, limits)), () => render({ ...deps, limits }, input, signal, progress));
  } catch (error) {
    if (isBrushtalkError(error)) throw error;
    throw new BrushtalkError('engine.failed', 'The edit failed while rendering.', { cause: error, retryable: true });
  }
}

async function render(deps: RenderDeps, input: RenderInput, signal: AbortSignal, progress: (fraction: number) => void): Promise<RenderedEdit> {
  const { spec } = input;
  const started = performance.now();
  const image = await decodeImage(input.image, deps.limits);
  const hole = await decodeMask(input.mask, image.width, image.height, deps.limits);
  const size = engineSize(image.width, image.height, deps.engine.sizePolicy);
  const resized = size.width === image.width && size.height === image.height;
  const small = resized ? image : await resizeRgb(image, size.width, size.height);
  const smallHole = resized ? hole : await resizeMask(hole, size.width, size.height);
  progress(0.05);
  const engineStarted = performance.now();
  const generated = await deps.engine.inpaint(
    { image: small, hole: smallHole, caption: spec.caption, negativePrompt: spec.negativePrompt, seed: spec.params.seed, steps: spec.params.steps, guidance: spec.params.guidance, strength: spec.params.strength },
    signal,
    (fraction) => progress(0.05 + fraction * 0.85),
  );
  const engineMs = performance.now() - engineStarted;
  const full = resized ? generated.image : await resizeRgb(generated.image, image.width, image.height);
  const output = spec.params.blend ? blendImages(image, full, hole) : full;
  const measured = backgroundMetrics(image, output, hole);
  // Each preview is encoded as soon as it is drawn and never kept in a variable: at full size they are the
  // largest things an edit holds (the strip is twice the picture), and the garbage collector may take one
  // while the next is drawn.
  const compare = await encodeRgb(beforeAfter(image, output));
  const overlay = await encodeRgb(maskOverlay(image, hole));
  const rendered: RenderedEdit = {
    result: await encodeRgb(output),
    overlay,
    compare,
    // An engine may name what it actually ran (the classical engine: which fill), for the reply and history.
    engine: typeof generated.info.engine === 'string' ? generated.info.engine : deps.engine.name,
    generative: deps.engine.generative,
    deterministic: deps.engine.deterministic,
    metrics: {
      mse: measured.mse,
      psnr: Number.isFinite(measured.psnr) ? measured.psnr : null,
      ssim: measured.ssim,
      maskCoverage: maskCoverage(hole),
      engineWidth: size.width,
      engineHeight: size.height,
      engineMs: Math.round(engineMs),
      totalMs: 0,
      ...generated.info,
    },
  };
  rendered.metrics.totalMs = Math.round(performance.now() - started);
  progress(0.95);
  return rendered;
}

async function encodeRgb(image: { width: number; height: number; data: Uint8Array }): Promise<RenderedPng> {
  return { png: await encodePng(image), width: image.width, height: image.height };
}

/**
 * Apply a rendered edit to its session (the bot's half): store the pictures, add the result version. The
 * version is keyed by the job id (versions.job_id is unique and applyEditResult skips a job it already
 * has), so a job rendered twice, or a result heard by two bots, still adds one version.
 */
export async function applyRenderedEdit(
  deps: { sessions: SessionStore; blobs: BlobStore; log: Logger; clock?: Clock },
  jobId: string,
  spec: EditJobSpec,
  rendered: RenderedEdit,
): Promise<EditResult> {
  const clock = deps.clock ?? systemClock;
  const put = (file: RenderedPng, kind: 'image' | 'preview') => deps.blobs.put(file.png, { kind, mime: 'image/png', width: file.width, height: file.height });
  const imageId = await put(rendered.result, 'image');
  const overlayId = await put(rendered.overlay, 'preview');
  const compareId = await put(rendered.compare, 'preview');
  const { metrics, engine } = rendered;
  for (let attempt = 1; ; attempt++) {
    const session = deps.sessions.loadById(spec.conversationId);
    if (!session) throw new BrushtalkError('session.not_found', 'This conversation no longer exists.');
    const next = applyEditResult(session, spec, { jobId, imageId, engine, metrics, previewId: overlayId }, clock);
    try {
      if (next !== session) deps.sessions.save(next);
      const version = next.versions.find((v) => v.jobId === jobId)!;
      deps.log.info({ jobId, version: version.picture, ...metrics }, 'edit applied');
      return { versionId: version.id, versionNumber: version.picture ?? version.number, imageId, overlayId, compareId, engine, generative: rendered.generative, deterministic: rendered.deterministic, metrics };
    } catch (error) {
      // Another writer (a turn, or a second bot applying the same result) saved first: look again.
      if (!isBrushtalkError(error) || error.code !== 'session.conflict' || attempt >= 8) throw error;
    }
  }
}

/** The embedded processor: read the inputs from the blob store, render, apply — one process, one database. */
export function createEditProcessor(deps: EditDeps): JobProcessor {
  return async (context) => {
    const spec = context.job.payload as unknown as EditJobSpec;
    const log = deps.log.child({ ref: context.job.ref, jobId: context.job.id });
    const image = await deps.blobs.get(spec.imageId);
    const mask = await deps.blobs.get(spec.maskId);
    const rendered = await renderEdit(deps, { image, mask, spec }, context.signal, context.progress);
    return applyRenderedEdit({ ...deps, log }, context.job.id, spec, rendered);
  };
}
