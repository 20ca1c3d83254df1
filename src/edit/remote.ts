import type { JobProcessor, JobRecord } from '../jobs/queue.ts';
import { resultSeconds, type PayloadStore } from '../jobs/payloads.ts';
import type { Logger } from '../log.ts';
import type { Clock, EditJobSpec } from '../session/session.ts';
import type { BlobStore, SessionStore } from '../store.ts';
import { applyRenderedEdit, renderEdit, type RenderDeps, type RenderedEdit, type RenderedPng } from './run-edit.ts';

/**
 * Edits across machines: the bot puts the input PNGs beside the job (PayloadStore, one Redis hash per job), a
 * worker with no database renders them and puts the result PNGs there too, and the bot that holds the
 * conversation stores the pictures, adds the version and drops the hash. The job and its return value carry
 * names only, so Redis holds no picture once an edit is delivered.
 */
type WirePng = { ref: string; width: number; height: number } | { png: string; width: number; height: number };
type WireInput = { ref: string } | string;

/** Read a picture named in a job; base64 inline is what bots and workers from before references sent. */
async function bytesOf(payloads: PayloadStore, jobId: string, wire: WireInput | WirePng): Promise<Buffer> {
  if (typeof wire === 'string') return Buffer.from(wire, 'base64');
  return 'ref' in wire ? payloads.get(jobId, wire.ref) : Buffer.from(wire.png, 'base64');
}

/** Bot side, before dispatch: the spec, and the picture and mask it edits put beside the job. */
export async function remoteEditPayload(blobs: BlobStore, payloads: PayloadStore, record: JobRecord): Promise<Record<string, unknown>> {
  if (record.kind !== 'inpaint') return record.payload;
  const spec = record.payload as unknown as EditJobSpec;
  const [image, mask] = await Promise.all([blobs.get(spec.imageId), blobs.get(spec.maskId)]);
  await Promise.all([payloads.put(record.id, 'image', image), payloads.put(record.id, 'mask', mask)]);
  return { spec, image: { ref: 'image' }, mask: { ref: 'mask' } };
}

/** Worker side: render from the job's pictures alone and put the results beside it. */
export function createRenderProcessor(deps: RenderDeps & { payloads: PayloadStore }): JobProcessor {
  return async (context) => {
    const jobId = context.job.id;
    const { spec, image, mask } = context.job.payload as { spec: EditJobSpec; image: WireInput; mask: WireInput };
    // No local holds the picture's PNG: render lets go of it once decoded.
    const input = { spec, image: await bytesOf(deps.payloads, jobId, image), mask: await bytesOf(deps.payloads, jobId, mask) };
    // Each PNG goes beside the job as soon as it is encoded, so the worker never holds all three.
    const put = async (name: string, file: RenderedPng): Promise<WirePng> => {
      await deps.payloads.put(jobId, name, file.png, resultSeconds);
      return { ref: name, width: file.width, height: file.height };
    };
    const rendered = await renderEdit(deps, input, context.signal, context.progress, put);
    return { result: rendered.result, overlay: rendered.overlay, compare: rendered.compare, metrics: rendered.metrics, engine: rendered.engine, generative: rendered.generative, deterministic: rendered.deterministic };
  };
}

/** Bot side, when the worker is done: apply the rendered pictures to the session (idempotent by job id). */
export function remoteEditSettler(deps: { sessions: SessionStore; blobs: BlobStore; payloads: PayloadStore; log: Logger; clock?: Clock }) {
  return async (record: JobRecord, returned: Record<string, unknown>): Promise<Record<string, unknown>> => {
    if (record.kind !== 'inpaint') return returned;
    const wire = returned as { result: WirePng; overlay: WirePng; compare: WirePng; metrics: RenderedEdit['metrics']; engine: string; generative: boolean; deterministic?: boolean };
    const png = async (file: WirePng): Promise<RenderedPng> => ({ png: await bytesOf(deps.payloads, record.id, file), width: file.width, height: file.height });
    // A worker from before engines said whether they are deterministic: assume the seed matters.
    const rendered: RenderedEdit = { ...wire, deterministic: wire.deterministic === true, result: await png(wire.result), overlay: await png(wire.overlay), compare: await png(wire.compare) };
    return applyRenderedEdit({ ...deps, log: deps.log.child({ ref: record.ref, jobId: record.id }) }, record.id, record.payload as unknown as EditJobSpec, rendered);
  };
}
