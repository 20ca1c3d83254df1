/**
 * The vision worker thread: loads the detector and segmenter once (lazily, on first use) and serves every
 * conversation's requests, so onnxruntime's synchronous run() never blocks the main event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Box } from '../contracts.ts';
import { isBrushtalkError } from '../errors.ts';
import type { RgbImage } from '../images/raster.ts';
import { loadDetector, type Detector } from './detector.ts';
import { createEmbeddingCache, embeddingKey } from './embedding-cache.ts';
import { cleanupMask } from './mask-cleanup.ts';
import { loadSegmenter, type Segmenter } from './segmenter.ts';
import { stopwatch, type StageTimings } from './stages.ts';

export interface VisionWorkerData {
  weightsDir: string;
  detectorId: string;
  segmenterId: string;
  cacheDir: string;
}

export type VisionRequest =
  | { id: number; type: 'detect'; image: RgbImage; phrase: string }
  | { id: number; type: 'segment'; image: RgbImage; imageKey: string; boxes: Box[] };

export type VisionReply =
  | { id: number; ok: true; result: unknown; timings: Record<string, number> }
  | { id: number; ok: false; error: { code: string; message: string; retryable: boolean } };

const config = workerData as VisionWorkerData;
let detector: Promise<Detector> | null = null;
let segmenter: Promise<Segmenter> | null = null;
const cache = createEmbeddingCache({ dir: config.cacheDir, maxEntries: 8 });

async function handle(request: VisionRequest): Promise<{ result: unknown; timings: Record<string, number> }> {
  const timings: Record<string, number> = {};
  // Each model call reports its own stages (preprocess, model/encoder/decoder, postprocess), kept as "<call>.<stage>".
  const staged = async <T>(call: string, work: (stages: StageTimings) => Promise<T>): Promise<T> => {
    const stages: StageTimings = {};
    try {
      return await work(stages);
    } finally {
      for (const [stage, ms] of Object.entries(stages)) timings[`${call}.${stage}`] = ms;
    }
  };
  if (request.type === 'detect') {
    const model = await staged('load', async (t) => {
      const lap = stopwatch(t);
      const loaded = await (detector ??= loadDetector(config.weightsDir, config.detectorId));
      lap('detector');
      return loaded;
    });
    const candidates = await staged('detect', (t) => model.detect(request.image, request.phrase, t));
    return { result: candidates, timings };
  }
  const model = await staged('load', async (t) => {
    const lap = stopwatch(t);
    const loaded = await (segmenter ??= loadSegmenter(config.weightsDir, config.segmenterId));
    lap('segmenter');
    return loaded;
  });
  const { embedding, source } = await staged('embed', (t) =>
    cache.getOrCompute(embeddingKey(request.imageKey, config.segmenterId), () => model.embed(request.image, t)),
  );
  timings[`embedding_${source}`] = 1;
  const { mask, score } = await staged('segment', (t) => model.segment(embedding, { boxes: request.boxes }, t));
  const cleaned = await staged('cleanup', async (t) => {
    const lap = stopwatch(t);
    const result = cleanupMask(mask);
    lap('mask');
    return result;
  });
  return { result: { mask: cleaned, score }, timings };
}

parentPort!.on('message', (request: VisionRequest) => {
  handle(request).then(
    ({ result, timings }) => {
      const transfer = request.type === 'segment' ? [(result as { mask: { data: Uint8Array } }).mask.data.buffer as ArrayBuffer] : [];
      parentPort!.postMessage({ id: request.id, ok: true, result, timings } satisfies VisionReply, transfer);
    },
    (error: unknown) => {
      const reply: VisionReply = {
        id: request.id,
        ok: false,
        error: isBrushtalkError(error)
          ? { code: error.code, message: error.userMessage, retryable: error.retryable }
          : { code: 'vision.failed', message: error instanceof Error ? error.message : String(error), retryable: false },
      };
      parentPort!.postMessage(reply);
    },
  );
});
