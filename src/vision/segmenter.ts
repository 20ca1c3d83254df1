/**
 * SAM-family segmenter (SlimSAM, SAM ViT-B/H exports) through transformers.js's offline loaders.
 *
 * The expensive half (the vision encoder, ~1 s for SlimSAM on CPU, much more for ViT-B) runs once per image
 * version in `embed`; its result is plain data so the embedding cache can keep it on disk and a worker thread
 * can hand it back. `segment` runs only the cheap prompt encoder + mask decoder, so "no, the other dog" and
 * "a bit more to the left" do not re-encode the image.
 *
 * Folder contract (`<weightsDir>/<modelId>/`, transformers.js layout): config.json with model_type 'sam',
 * preprocessor_config.json (SamImageProcessor: longest edge → 1024, pad to 1024²), onnx/vision_encoder.onnx
 * and onnx/prompt_encoder_mask_decoder.onnx.
 *
 * Box prompts: a decoder with an `input_boxes` input gets the boxes directly. optimum's SAM export (the one
 * behind Xenova/slimsam-77-uniform and Xenova/sam-vit-base) has no such input, and its points path ignores
 * SAM's box-corner labels 2/3, so there a box becomes a positive point at its centre and the mask is clipped
 * to the box — Grounded-SAM's boxes bound the object, so the clip loses nothing that belongs to it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Box } from '../contracts.ts';
import { BrushtalkError } from '../errors.ts';
import type { Mask, RgbImage } from '../images/raster.ts';
import { createMask } from '../images/raster.ts';
import { stopwatch, type StageTimings } from './stages.ts';
import { localModelOptions, offlineTransformers } from './transformers.ts';

export interface Float32Tensor {
  data: Float32Array;
  dims: number[];
}

/** Everything `segment` needs, as structured-clone-safe data (no class instances, no ORT handles). */
export interface ImageEmbedding {
  modelId: string;
  imageEmbeddings: Float32Tensor;
  positionalEmbeddings: Float32Tensor;
  /** [height, width] of the image given to `embed`, as the SAM processor reports it. */
  originalSize: [number, number];
  /** [height, width] after the longest-edge resize, before padding. */
  reshapedSize: [number, number];
}

export interface PointPrompt {
  x: number;
  y: number;
  positive: boolean;
}

/** Coordinates in original image pixels. */
export interface SegmentPrompt {
  boxes?: Box[];
  points?: PointPrompt[];
}

export interface Segmenter {
  readonly modelId: string;
  embed(image: RgbImage, timings?: StageTimings): Promise<ImageEmbedding>;
  /** One mask for the whole prompt: several boxes are segmented separately and unioned. */
  segment(embedding: ImageEmbedding, prompt: SegmentPrompt, timings?: StageTimings): Promise<{ mask: Mask; score: number }>;
  dispose(): Promise<void>;
}

type Transformers = ReturnType<typeof offlineTransformers>;
type TensorT = InstanceType<Transformers['Tensor']>;

/** Label the mask decoder ignores entirely (HF SAM's padding point). */
const PAD_LABEL = -10n;

function fail(what: string, cause: unknown): BrushtalkError {
  return new BrushtalkError('vision.failed', `The segmentation model failed while ${what}.`, { cause, retryable: false });
}

function readConfig(dir: string, modelId: string): void {
  const configPath = path.join(dir, 'config.json');
  if (!fs.existsSync(configPath)) {
    throw new BrushtalkError('weights.missing', `The segmentation model "${modelId}" is not installed (no ${configPath}).`);
  }
  let modelType: unknown;
  try {
    modelType = (JSON.parse(fs.readFileSync(configPath, 'utf8')) as { model_type?: unknown }).model_type;
  } catch (cause) {
    throw new BrushtalkError('weights.corrupt', `The segmentation model "${modelId}" has an unreadable config.json.`, { cause });
  }
  if (modelType !== 'sam') {
    throw new BrushtalkError('weights.corrupt', `"${modelId}" is not a SAM model (model_type is ${JSON.stringify(modelType)}, expected "sam").`);
  }
}

interface Prepared {
  boxes: [number, number, number, number][]; // x1, y1, x2, y2 in original pixels, clipped to the image
  points: PointPrompt[];
}

/** Check the prompt early and name the bad value; boxes overhanging the image are clipped to it. */
function preparePrompt(prompt: SegmentPrompt, width: number, height: number): Prepared {
  const points = prompt.points ?? [];
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      throw new BrushtalkError('vision.bad_prompt', `A point prompt has a non-numeric coordinate (${p.x}, ${p.y}).`);
    }
  }
  const boxes: Prepared['boxes'] = [];
  for (const b of prompt.boxes ?? []) {
    if (![b.x, b.y, b.w, b.h].every(Number.isFinite) || b.w <= 0 || b.h <= 0) {
      throw new BrushtalkError('vision.bad_prompt', `A box prompt is not a positive-size box: ${JSON.stringify(b)}.`);
    }
    const x1 = Math.max(0, b.x);
    const y1 = Math.max(0, b.y);
    const x2 = Math.min(width, b.x + b.w);
    const y2 = Math.min(height, b.y + b.h);
    if (x2 > x1 && y2 > y1) boxes.push([x1, y1, x2, y2]);
  }
  if (boxes.length === 0 && !points.some((p) => p.positive)) {
    throw new BrushtalkError('vision.bad_prompt', 'Segmentation needs a box inside the image or at least one positive point.');
  }
  return { boxes, points };
}

interface DecoderFeed {
  points: Float32Array;
  labels: BigInt64Array;
  boxes: Float32Array | null;
  batch: number;
  perRow: number;
  /** Boxes to clip each row's mask to (the centre-point fallback), else null. */
  clip: Prepared['boxes'] | null;
}

/**
 * Lay the prompt out as SAM's [1, rows, points, 2] / [1, rows, points] / [1, rows, 4] tensors, one row per
 * box (each row carries all the user's points), scaled to the resized image exactly as the processor's
 * reshape_input_points does (x by reshapedW/originalW, y by reshapedH/originalH).
 */
function buildFeed(prep: Prepared, embedding: ImageEmbedding, acceptsBoxes: boolean): DecoderFeed {
  const [oh, ow] = embedding.originalSize;
  const [rh, rw] = embedding.reshapedSize;
  const sx = rw / ow;
  const sy = rh / oh;
  const rows: { pts: [number, number, bigint][]; box: Prepared['boxes'][number] | null }[] = [];
  const user: [number, number, bigint][] = prep.points.map((p) => [p.x, p.y, p.positive ? 1n : 0n]);
  if (prep.boxes.length === 0) {
    if (acceptsBoxes) {
      throw new BrushtalkError('vision.bad_prompt', 'This segmentation model needs a box; points alone are not supported by it.');
    }
    rows.push({ pts: user, box: null });
  } else {
    for (const box of prep.boxes) {
      if (acceptsBoxes) rows.push({ pts: user.length > 0 ? user : [[0, 0, PAD_LABEL]], box });
      else rows.push({ pts: [[(box[0] + box[2]) / 2, (box[1] + box[3]) / 2, 1n], ...user], box });
    }
  }
  const perRow = rows[0].pts.length;
  const points = new Float32Array(rows.length * perRow * 2);
  const labels = new BigInt64Array(rows.length * perRow);
  const boxes = acceptsBoxes ? new Float32Array(rows.length * 4) : null;
  rows.forEach((row, r) => {
    row.pts.forEach(([x, y, label], k) => {
      const i = r * perRow + k;
      points[i * 2] = x * sx;
      points[i * 2 + 1] = y * sy;
      labels[i] = label;
    });
    if (boxes && row.box) boxes.set([row.box[0] * sx, row.box[1] * sy, row.box[2] * sx, row.box[3] * sy], r * 4);
  });
  const clip = !acceptsBoxes && prep.boxes.length > 0 ? prep.boxes : null;
  return { points, labels, boxes, batch: rows.length, perRow, clip };
}

/** Index of the best iou score among the 3 candidates of each row. */
function bestCandidates(iou: Float32Array, batch: number, candidates: number): { index: number[]; score: number[] } {
  const index: number[] = [];
  const score: number[] = [];
  for (let r = 0; r < batch; r++) {
    let best = 0;
    for (let k = 1; k < candidates; k++) if (iou[r * candidates + k] > iou[r * candidates + best]) best = k;
    index.push(best);
    score.push(iou[r * candidates + best]);
  }
  return { index, score };
}

export async function loadSegmenter(weightsDir: string, modelId: string): Promise<Segmenter> {
  const dir = path.join(weightsDir, modelId);
  readConfig(dir, modelId);
  const tf = offlineTransformers(weightsDir);
  let model: InstanceType<Transformers['SamModel']>;
  let processor: InstanceType<Transformers['SamProcessor']>;
  try {
    // from_pretrained is typed as the base classes; the folder's model_type 'sam' and SamProcessor's
    // AutoImageProcessor (image_processor_type 'SamImageProcessor') make them these subclasses.
    const [m, p] = await Promise.all([
      tf.SamModel.from_pretrained(modelId, localModelOptions),
      tf.SamProcessor.from_pretrained(modelId, { local_files_only: true }),
    ]);
    model = m as InstanceType<Transformers['SamModel']>;
    processor = p as InstanceType<Transformers['SamProcessor']>;
  } catch (cause) {
    throw new BrushtalkError('weights.corrupt', `The segmentation model "${modelId}" could not be loaded from ${dir}.`, { cause });
  }
  const decoderSession = model.sessions['prompt_encoder_mask_decoder'] as { inputNames: string[] } | undefined;
  const acceptsBoxes = decoderSession?.inputNames.includes('input_boxes') ?? false;
  let disposed = false;

  const tensor = (type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims: number[]): TensorT =>
    new tf.Tensor(type, data, dims);
  const checkOpen = (): void => {
    if (disposed) throw fail('running', new Error('segmenter disposed'));
  };

  async function embed(image: RgbImage, timings?: StageTimings): Promise<ImageEmbedding> {
    checkOpen();
    const lap = stopwatch(timings);
    if (image.width <= 0 || image.height <= 0) throw new BrushtalkError('image.empty', 'The image has no pixels.');
    if (image.data.length !== image.width * image.height * 3) {
      throw fail('reading the image', new Error(`RGB buffer is ${image.data.length} bytes for ${image.width}x${image.height}`));
    }
    try {
      const raw = new tf.RawImage(image.data, image.width, image.height, 3);
      const inputs = await processor(raw);
      lap('preprocess');
      const out = await model.get_image_embeddings({ pixel_values: inputs.pixel_values });
      lap('encoder');
      const own = (t: TensorT): Float32Tensor => ({ data: Float32Array.from(t.data as ArrayLike<number>), dims: [...t.dims] });
      return {
        modelId,
        imageEmbeddings: own(out.image_embeddings),
        positionalEmbeddings: own(out.image_positional_embeddings),
        originalSize: [inputs.original_sizes[0][0], inputs.original_sizes[0][1]],
        reshapedSize: [inputs.reshaped_input_sizes[0][0], inputs.reshaped_input_sizes[0][1]],
      };
    } catch (cause) {
      throw fail('encoding the image', cause);
    }
  }

  async function segment(embedding: ImageEmbedding, prompt: SegmentPrompt, timings?: StageTimings): Promise<{ mask: Mask; score: number }> {
    checkOpen();
    const lap = stopwatch(timings);
    if (embedding.modelId !== modelId) {
      throw fail('segmenting', new Error(`embedding was made by "${embedding.modelId}", not "${modelId}"`));
    }
    const [height, width] = embedding.originalSize;
    const feed = buildFeed(preparePrompt(prompt, width, height), embedding, acceptsBoxes);
    let chosen: TensorT;
    let scores: number[];
    try {
      const inputs: Record<string, TensorT> = {
        image_embeddings: tensor('float32', embedding.imageEmbeddings.data, embedding.imageEmbeddings.dims),
        image_positional_embeddings: tensor('float32', embedding.positionalEmbeddings.data, embedding.positionalEmbeddings.dims),
        input_points: tensor('float32', feed.points, [1, feed.batch, feed.perRow, 2]),
        input_labels: tensor('int64', feed.labels, [1, feed.batch, feed.perRow]),
      };
      if (feed.boxes) inputs.input_boxes = tensor('float32', feed.boxes, [1, feed.batch, 4]);
      const out = (await model(inputs)) as { iou_scores: TensorT; pred_masks: TensorT };
      lap('decoder');
      const [, rows, candidates, mh, mw] = out.pred_masks.dims;
      const best = bestCandidates(out.iou_scores.data as Float32Array, rows, candidates);
      scores = best.score;
      // Post-process only the winning candidate of each row: [1, rows, 1, h, w] → [rows, 1, H, W] booleans.
      const plane = mh * mw;
      const picked = new Float32Array(rows * plane);
      const all = out.pred_masks.data as Float32Array;
      for (let r = 0; r < rows; r++) picked.set(all.subarray((r * candidates + best.index[r]) * plane, (r * candidates + best.index[r] + 1) * plane), r * plane);
      const processed = await processor.post_process_masks(
        tensor('float32', picked, [1, rows, 1, mh, mw]),
        [embedding.originalSize],
        [embedding.reshapedSize],
        { mask_threshold: 0, binarize: true },
      );
      chosen = processed[0];
    } catch (cause) {
      throw fail('segmenting', cause);
    }
    const mask = createMask(width, height);
    const plane = width * height;
    const bits = chosen.data as Uint8Array;
    for (let r = 0; r < feed.batch; r++) {
      const clip = feed.clip?.[r];
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          if (!bits[r * plane + y * width + x]) continue;
          // Pixel-centre rule, as boxMask uses: pixel x is in [x1, x2) when x + 0.5 lies inside.
          if (clip && (x + 0.5 < clip[0] || x + 0.5 > clip[2] || y + 0.5 < clip[1] || y + 0.5 > clip[3])) continue;
          mask.data[y * width + x] = 1;
        }
      }
    }
    lap('postprocess');
    // A union is only as trustworthy as its weakest part, so report the lowest per-prompt score.
    return { mask, score: Math.min(...scores) };
  }

  return {
    modelId,
    embed,
    segment,
    async dispose() {
      if (disposed) return;
      disposed = true;
      await model.dispose();
    },
  };
}
