import { randomUUID } from 'node:crypto';
import type { InpaintEngine } from '../engines/engine.ts';
import { BrushtalkError, isBrushtalkError } from '../errors.ts';
import { blendPatch, featherRegion } from '../images/blend.ts';
import { editWeight, withinBudget } from '../images/budget.ts';
import { decodeImage, decodeMask, encodeComposedPng, encodePng, imagePixels, resizeMask, resizeRgb, storedPictureLimits, type DecodeLimits } from '../images/codec.ts';
import { patchMetrics } from '../images/metrics.ts';
import { GAP_GREY, paintOverlay, STRIP_GAP } from '../images/preview.ts';
import { maskCoverage, type Mask, type RgbImage } from '../images/raster.ts';
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

/** A PNG in the blob store. */
export interface StoredPng {
  id: string;
  width: number;
  height: number;
}

/** What rendering an edit produces: pure pixels and numbers, no database; F: what became of each PNG. */
export interface RenderedEdit<F = RenderedPng> {
  result: F;
  overlay: F;
  compare: F;
  metrics: Record<string, number | string | null>;
  engine: string;
  generative: boolean;
  deterministic: boolean;
}

/**
 * Takes each PNG as soon as it is encoded (stores it, sends it on) and says what to report in its place: an edit of
 * a 40-megapixel picture then never holds its three PNGs (about 200 MB) at once.
 */
export type KeepPng<F> = (name: 'result' | 'overlay' | 'compare', file: RenderedPng) => Promise<F>;

/** The bytes keeper: every PNG stays in memory, in the RenderedEdit. */
export const keepBytes: KeepPng<RenderedPng> = async (_name, file) => file;

export interface RenderInput {
  /** The stored picture's PNG, handed over: render empties this field once it has decoded it. */
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
 * back to the picture's own size around the hole and blended there, so pixels away from the mask stay the
 * original's bit for bit. Needs only the input PNGs, so a worker on another machine can run it; `keep` takes
 * each PNG as it is made.
 */
export async function renderEdit<F>(
  deps: RenderDeps,
  input: RenderInput,
  signal: AbortSignal,
  progress: (fraction: number) => void,
  keep: KeepPng<F>,
): Promise<RenderedEdit<F>> {
  try {
    // The full-size picture, its mask and a PNG at a time live for the whole render: inside the pixel budget.
    const limits = storedPictureLimits(deps.limits);
    return await withinBudget(limits.budget, editWeight * (await imagePixels(input.image, limits)), () => render({ ...deps, limits }, input, signal, progress, keep));
  } catch (error) {
    if (isBrushtalkError(error)) throw error;
    throw new BrushtalkError('engine.failed', 'The edit failed while rendering.', { cause: error, retryable: true });
  }
}

async function render<F>(deps: RenderDeps, input: RenderInput, signal: AbortSignal, progress: (fraction: number) => void, keep: KeepPng<F>): Promise<RenderedEdit<F>> {
  const { spec } = input;
  const started = performance.now();
  const image = await decodeImage(input.image, deps.limits);
  // Let go of the stored PNG (the caller handed it over): at 40 megapixels it is ~70 MB the render never reads again.
  input.image = new Uint8Array(0);
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
  const { measured, compare, result } = await paste(image, hole, generated.image, spec.params.blend, keep);
  const coverage = maskCoverage(hole);
  // Last, so the picture's own pixels may be painted over.
  paintOverlay(image, hole);
  const overlay = await keep('overlay', { png: await encodePng(image), width: image.width, height: image.height });
  const rendered: RenderedEdit<F> = {
    result,
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
      maskCoverage: coverage,
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

/**
 * The engine's output pasted into the picture, measured, and the strip and result encoded and kept. The picture is
 * the only full-size raster: blending can change only the hole's box grown by the feather (decodeMask refuses an
 * empty hole), so only that box of the output is scaled back up and blended, and libvips pastes it in as it writes
 * each PNG — the same pixels as blending at full size. Without blending the engine's output is the whole result.
 */
async function paste<F>(image: RgbImage, hole: Mask, generated: RgbImage, blend: boolean, keep: KeepPng<F>) {
  const { width, height } = image;
  const region = (blend && featherRegion(hole)) || { x: 0, y: 0, w: width, h: height };
  const patch = await resizeRgb(generated, width, height, region);
  if (blend) blendPatch(image, patch, region, hole);
  const measured = patchMetrics(image, patch, region, hole);
  const changed = { image: patch, x: region.x, y: region.y };
  // One PNG at a time, each handed to `keep` before the next is made (the strip is twice the picture's width).
  const strip = [{ image, x: width + STRIP_GAP, y: 0 }, { ...changed, x: width + STRIP_GAP + region.x }];
  const compare = await keep('compare', { png: await encodeComposedPng(image, strip, { right: STRIP_GAP + width, grey: GAP_GREY }), width: 2 * width + STRIP_GAP, height });
  const result = await keep('result', { png: await encodeComposedPng(image, [changed]), width, height });
  return { measured, compare, result };
}

/** A keeper that stores each PNG in the blob store as soon as it is encoded (the result as an image, the previews as previews). */
export function storePngs(blobs: BlobStore): KeepPng<StoredPng> {
  return async (name, file) => ({ id: await blobs.put(file.png, { kind: name === 'result' ? 'image' : 'preview', mime: 'image/png', width: file.width, height: file.height }), width: file.width, height: file.height });
}

/** applyStoredEdit for an edit whose PNGs are still bytes (a remote worker's): stores them first. */
export async function applyRenderedEdit(
  deps: { sessions: SessionStore; blobs: BlobStore; log: Logger; clock?: Clock },
  jobId: string,
  spec: EditJobSpec,
  rendered: RenderedEdit,
): Promise<EditResult> {
  const keep = storePngs(deps.blobs);
  const stored = { result: await keep('result', rendered.result), overlay: await keep('overlay', rendered.overlay), compare: await keep('compare', rendered.compare) };
  return applyStoredEdit(deps, jobId, spec, { ...rendered, ...stored });
}

/**
 * Apply a rendered edit, its pictures stored, to its session (the bot's half): add the result version. The
 * version is keyed by the job id (versions.job_id is unique and applyEditResult skips a job it already
 * has), so a job rendered twice, or a result heard by two bots, still adds one version.
 */
export async function applyStoredEdit(
  deps: { sessions: SessionStore; log: Logger; clock?: Clock },
  jobId: string,
  spec: EditJobSpec,
  stored: RenderedEdit<StoredPng>,
): Promise<EditResult> {
  const clock = deps.clock ?? systemClock;
  const imageId = stored.result.id;
  const overlayId = stored.overlay.id;
  const compareId = stored.compare.id;
  const { metrics, engine } = stored;
  for (let attempt = 1; ; attempt++) {
    const session = deps.sessions.loadById(spec.conversationId);
    if (!session) throw new BrushtalkError('session.not_found', 'This conversation no longer exists.');
    const next = applyEditResult(session, spec, { jobId, imageId, engine, metrics, previewId: overlayId }, clock);
    try {
      if (next !== session) deps.sessions.save(next);
      const version = next.versions.find((v) => v.jobId === jobId)!;
      deps.log.info({ jobId, version: version.picture, ...metrics }, 'edit applied');
      return { versionId: version.id, versionNumber: version.picture ?? version.number, imageId, overlayId, compareId, engine, generative: stored.generative, deterministic: stored.deterministic, metrics };
    } catch (error) {
      // Another writer (a turn, or a second bot applying the same result) saved first: look again.
      if (!isBrushtalkError(error) || error.code !== 'session.conflict' || attempt >= 8) throw error;
    }
  }
}

/**
 * The embedded processor: read the inputs from the blob store, render, storing each picture as it is made,
 * apply — one process, one database.
 */
export function createEditProcessor(deps: EditDeps): JobProcessor {
  return async (context) => {
    const spec = context.job.payload as unknown as EditJobSpec;
    const log = deps.log.child({ ref: context.job.ref, jobId: context.job.id });
    // No local holds the picture's PNG: render lets go of it once decoded.
    const input = { image: await deps.blobs.get(spec.imageId), mask: await deps.blobs.get(spec.maskId), spec };
    const stored = await renderEdit(deps, input, context.signal, context.progress, storePngs(deps.blobs));
    return applyStoredEdit({ ...deps, log }, context.job.id, spec, stored);
  };
}
