import { randomUUID } from 'node:crypto';
import type { InpaintEngine } from '../engines/engine.ts';
import { BrushtalkError, isBrushtalkError } from '../errors.ts';
import { blendImages } from '../images/blend.ts';
import { decodeImage, decodeMask, encodePng, resizeMask, resizeRgb, type DecodeLimits } from '../images/codec.ts';
import { backgroundMetrics } from '../images/metrics.ts';
import { beforeAfter, maskOverlay } from '../images/preview.ts';
import { maskCoverage } from '../images/raster.ts';
import { engineSize } from '../images/size.ts';
import type { JobContext, JobProcessor } from '../jobs/queue.ts';
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
  metrics: Record<string, number | string | null>;
}

export interface EditDeps {
  sessions: SessionStore;
  blobs: BlobStore;
  engine: InpaintEngine;
  limits: DecodeLimits;
  log: Logger;
  clock?: Clock;
}

const systemClock: Clock = { newId: () => randomUUID(), now: () => Date.now() };

/**
 * Run one queued edit: the engine works at engine size (aspect kept), its output is scaled back to the
 * picture's own size and blended there, so pixels away from the mask stay the original's bit for bit.
 * The result version is written before the job is marked done and is keyed by the job id, so a job that
 * runs twice (its worker died after writing) still adds one version.
 */
export function createEditProcessor(deps: EditDeps): JobProcessor {
  const clock = deps.clock ?? systemClock;

  async function render(spec: EditJobSpec, context: JobContext) {
    const started = performance.now();
    const image = await decodeImage(await deps.blobs.get(spec.imageId), deps.limits);
    const hole = await decodeMask(await deps.blobs.get(spec.maskId), image.width, image.height, deps.limits);
    const size = engineSize(image.width, image.height, deps.engine.sizePolicy);
    const resized = size.width === image.width && size.height === image.height;
    const small = resized ? image : await resizeRgb(image, size.width, size.height);
    const smallHole = resized ? hole : await resizeMask(hole, size.width, size.height);
    context.progress(0.05);
    const engineStarted = performance.now();
    const generated = await deps.engine.inpaint(
      { image: small, hole: smallHole, caption: spec.caption, seed: spec.params.seed, steps: spec.params.steps, guidance: spec.params.guidance, strength: spec.params.strength },
      context.signal,
      (fraction) => context.progress(0.05 + fraction * 0.85),
    );
    const engineMs = performance.now() - engineStarted;
    const full = resized ? generated.image : await resizeRgb(generated.image, image.width, image.height);
    const output = spec.params.blend ? blendImages(image, full, hole) : full;
    const metrics = backgroundMetrics(image, output, hole);
    context.progress(0.95);
    return {
      image,
      hole,
      output,
      metrics: {
        mse: metrics.mse,
        psnr: Number.isFinite(metrics.psnr) ? metrics.psnr : null,
        ssim: metrics.ssim,
        maskCoverage: maskCoverage(hole),
        engineWidth: size.width,
        engineHeight: size.height,
        engineMs: Math.round(engineMs),
        totalMs: Math.round(performance.now() - started),
        ...generated.info,
      },
    };
  }

  return async (context) => {
    const spec = context.job.payload as unknown as EditJobSpec;
    const log = deps.log.child({ ref: context.job.ref, jobId: context.job.id });
    let rendered;
    try {
      rendered = await render(spec, context);
    } catch (error) {
      if (isBrushtalkError(error)) throw error;
      throw new BrushtalkError('engine.failed', 'The edit failed while rendering.', { cause: error, retryable: true });
    }
    const { image, hole, output, metrics } = rendered;
    const put = async (png: Buffer, kind: 'image' | 'preview', width: number, height: number) =>
      deps.blobs.put(png, { kind, mime: 'image/png', width, height });
    const imageId = await put(await encodePng(output), 'image', output.width, output.height);
    const overlayId = await put(await encodePng(maskOverlay(image, hole)), 'preview', image.width, image.height);
    const strip = beforeAfter(image, output);
    const compareId = await put(await encodePng(strip), 'preview', strip.width, strip.height);

    for (let attempt = 1; ; attempt++) {
      const session = deps.sessions.loadById(spec.conversationId);
      if (!session) throw new BrushtalkError('session.not_found', 'This conversation no longer exists.');
      const next = applyEditResult(session, spec, { jobId: context.job.id, imageId, engine: deps.engine.name, metrics, previewId: overlayId }, clock);
      try {
        if (next !== session) deps.sessions.save(next);
        const version = next.versions.find((v) => v.jobId === context.job.id)!;
        log.info({ version: version.number, ...metrics }, 'edit rendered');
        const result: EditResult = {
          versionId: version.id,
          versionNumber: version.number,
          imageId,
          overlayId,
          compareId,
          engine: deps.engine.name,
          generative: deps.engine.generative,
          metrics,
        };
        return result;
      } catch (error) {
        if (!isBrushtalkError(error) || error.code !== 'session.conflict' || attempt >= 5) throw error;
      }
    }
  };
}
