import type { JobProcessor, JobRecord } from '../jobs/queue.ts';
import type { Logger } from '../log.ts';
import type { Clock, EditJobSpec } from '../session/session.ts';
import type { BlobStore, SessionStore } from '../store.ts';
import { applyRenderedEdit, renderEdit, type RenderDeps, type RenderedEdit, type RenderedPng } from './run-edit.ts';

/**
 * Edits across machines: the bot puts the input PNGs into the job (base64), a worker with no database
 * renders them, and the bot that holds the conversation stores the pictures and adds the version.
 */
type WirePng = { png: string; width: number; height: number };

const toWire = (file: RenderedPng): WirePng => ({ png: Buffer.from(file.png).toString('base64'), width: file.width, height: file.height });
const fromWire = (file: WirePng): RenderedPng => ({ png: Buffer.from(file.png, 'base64'), width: file.width, height: file.height });

/** Bot side, before dispatch: the spec plus the picture and mask it edits. */
export async function remoteEditPayload(blobs: BlobStore, record: JobRecord): Promise<Record<string, unknown>> {
  if (record.kind !== 'inpaint') return record.payload;
  const spec = record.payload as unknown as EditJobSpec;
  const [image, mask] = await Promise.all([blobs.get(spec.imageId), blobs.get(spec.maskId)]);
  return { spec, image: image.toString('base64'), mask: mask.toString('base64') };
}

/** Worker side: render from the payload alone and return the pictures. */
export function createRenderProcessor(deps: RenderDeps): JobProcessor {
  return async (context) => {
    const { spec, image, mask } = context.job.payload as { spec: EditJobSpec; image: string; mask: string };
    const rendered = await renderEdit(deps, { spec, image: Buffer.from(image, 'base64'), mask: Buffer.from(mask, 'base64') }, context.signal, context.progress);
    return { result: toWire(rendered.result), overlay: toWire(rendered.overlay), compare: toWire(rendered.compare), metrics: rendered.metrics, engine: rendered.engine, generative: rendered.generative, deterministic: rendered.deterministic };
  };
}

/** Bot side, when the worker is done: apply the rendered pictures to the session (idempotent by job id). */
export function remoteEditSettler(deps: { sessions: SessionStore; blobs: BlobStore; log: Logger; clock?: Clock }) {
  return async (record: JobRecord, returned: Record<string, unknown>): Promise<Record<string, unknown>> => {
    if (record.kind !== 'inpaint') return returned;
    const wire = returned as { result: WirePng; overlay: WirePng; compare: WirePng; metrics: RenderedEdit['metrics']; engine: string; generative: boolean; deterministic?: boolean };
    // A worker from before engines said whether they are deterministic: assume the seed matters.
    const rendered: RenderedEdit = { ...wire, deterministic: wire.deterministic === true, result: fromWire(wire.result), overlay: fromWire(wire.overlay), compare: fromWire(wire.compare) };
    return applyRenderedEdit({ ...deps, log: deps.log.child({ ref: record.ref, jobId: record.id }) }, record.id, record.payload as unknown as EditJobSpec, rendered);
  };
}
