/**
 * Open-vocabulary detection ("find the dog") with a transformers.js zero-shot detector run offline:
 * Grounding DINO (BrushEdit's choice) or OWL-ViT / OWLv2. It returns every candidate above a low floor and
 * leaves the choice of threshold to the caller (BrushEdit's descending cascade in detections.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Box } from '../contracts.ts';
import { BrushtalkError, isBrushtalkError } from '../errors.ts';
import type { RgbImage } from '../images/raster.ts';
import { stopwatch, type StageTimings } from './stages.ts';
import { localModelOptions, offlineTransformers } from './transformers.ts';

export type DetectorFamily = 'grounding-dino' | 'owlv2' | 'owlvit';

export interface Candidate {
  /** Pixels of the image given to detect(), clipped to it. */
  box: Box;
  /** 0..1: sigmoid of the best logit over the query's text tokens. */
  score: number;
  /** The words of the phrase the box matched (Grounding DINO), or the phrase itself. */
  label: string;
}

export interface Detector {
  modelId: string;
  family: DetectorFamily;
  detect(image: RgbImage, phrase: string, timings?: StageTimings): Promise<Candidate[]>;
  dispose(): Promise<void>;
}

export interface DetectorOptions {
  /** Candidates at or below this score are dropped (BrushEdit's cascade ends at 0, so keep it low). */
  floor?: number;
  /** At most this many candidates, best first (Grounding DINO has 900 queries; a worker message stays small). */
  maxCandidates?: number;
}

/** BrushEdit's text threshold: a token belongs to a box's label when its probability is above it. */
const textThreshold = 0.25;
const requiredFiles = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'];

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Grounding DINO's query form, as BrushEdit builds it: lower-cased, ending with ".". */
export function groundingQuery(phrase: string): string {
  const text = phrase.trim().toLowerCase();
  return text.endsWith('.') ? text : `${text}.`;
}

export async function loadDetector(weightsDir: string, modelId: string, options: DetectorOptions = {}): Promise<Detector> {
  const floor = options.floor ?? 0.01;
  const maxCandidates = options.maxCandidates ?? 100;
  const dir = path.join(weightsDir, modelId);
  const missing = requiredFiles.filter((f) => !fs.existsSync(path.join(dir, f)));
  if (missing.length > 0) {
    throw new BrushtalkError(
      'weights.missing',
      `The object detector "${modelId}" is not installed (${dir} lacks ${missing.join(', ')}). Run: npx brushtalk weights pull ${modelId}`,
    );
  }
  const family = readFamily(dir, modelId);
  const tf = offlineTransformers(weightsDir);
  let processor: any;
  let tokenizer: any;
  let model: any;
  try {
    processor = await tf.AutoProcessor.from_pretrained(modelId, localModelOptions);
    // OWLv2 folders name a processor class transformers.js lacks (Owlv2Processor), so AutoProcessor returns the
    // image processor alone; the tokenizer is then loaded on its own, as transformers.js's pipeline does.
    tokenizer = processor.tokenizer ?? (await tf.AutoTokenizer.from_pretrained(modelId, localModelOptions));
    model = await tf.AutoModelForZeroShotObjectDetection.from_pretrained(modelId, localModelOptions);
  } catch (cause) {
    throw new BrushtalkError('vision.failed', `The object detector "${modelId}" could not be loaded from ${dir}: ${message(cause)}`, { cause });
  }
  const imageProcessor = processor.image_processor;
  if (!imageProcessor) throw new BrushtalkError('vision.failed', `The object detector "${modelId}" has no image processor in ${dir}.`);

  async function detect(image: RgbImage, phrase: string, timings?: StageTimings): Promise<Candidate[]> {
    if (!phrase.trim()) throw new BrushtalkError('command.bad_arguments', 'Say what to look for, e.g. "the dog".');
    const lap = stopwatch(timings);
    try {
      return family === 'grounding-dino' ? await detectGrounding(image, phrase, lap) : await detectOwl(image, phrase, lap);
    } catch (cause) {
      if (isBrushtalkError(cause)) throw cause;
      throw new BrushtalkError('vision.failed', `The object detector failed on this picture: ${message(cause)}`, { cause, retryable: true });
    }
  }

  async function detectGrounding(image: RgbImage, phrase: string, lap: (stage: string) => void): Promise<Candidate[]> {
    // The processor keeps the aspect ratio (shortest/longest edge) and pads nothing for one image, so the model's
    // normalised boxes are fractions of the original picture.
    const text = tokenizer(groundingQuery(phrase));
    // Grounding DINO's image processor adds pixel_mask; the exported graph takes it (and token_type_ids).
    const pixels = await imageProcessor(toRawImage(tf, image));
    lap('preprocess');
    const output = await model({ ...text, ...pixels });
    lap('model');
    const [, queries, textLength] = output.logits.dims as number[];
    const logits = output.logits.data as Float32Array;
    const ids = Array.from(text.input_ids.data as BigInt64Array, Number);
    const found: Candidate[] = [];
    for (let q = 0; q < queries; q++) {
      const row = logits.subarray(q * textLength, (q + 1) * textLength);
      let top = -Infinity;
      for (const v of row) top = Math.max(top, v);
      const score = sigmoid(top);
      if (score <= floor) continue;
      const box = toPixelBox(output.pred_boxes.data as Float32Array, q, image.width, image.height);
      if (box) found.push({ box, score, label: groundingLabel(row, ids) || phrase.trim().toLowerCase() });
    }
    const ranked = best(found, maxCandidates);
    lap('postprocess');
    return ranked;
  }

  /**
   * Like Hugging Face's grounded post-processing: the tokens above the text threshold, minus [CLS] and [SEP].
   * Bounded by the real token count: some exports emit logits for all 256 text slots.
   */
  function groundingLabel(row: Float32Array, ids: number[]): string {
    const picked = ids.filter((_, i) => i > 0 && i < Math.min(ids.length, row.length) - 1 && sigmoid(row[i]) > textThreshold);
    if (picked.length === 0) return '';
    return (tokenizer.decode(picked, { skip_special_tokens: true }) as string).replace(/\s*\.\s*$/, '').trim();
  }

  async function detectOwl(image: RgbImage, phrase: string, lap: (stage: string) => void): Promise<Candidate[]> {
    // OWLv2 was trained on images padded (bottom/right, grey) to a square; its boxes are fractions of that square.
    const square = family === 'owlv2' ? padToSquare(image) : image;
    const text = tokenizer([phrase.trim()], { padding: true, truncation: true });
    const { pixel_values } = await imageProcessor(toRawImage(tf, square));
    lap('preprocess');
    const output = await model({ ...text, pixel_values });
    lap('model');
    const [, queries, texts] = output.logits.dims as number[];
    const logits = output.logits.data as Float32Array;
    const found: Candidate[] = [];
    for (let q = 0; q < queries; q++) {
      const score = sigmoid(Math.max(...logits.subarray(q * texts, (q + 1) * texts)));
      if (score <= floor) continue;
      const box = toPixelBox(output.pred_boxes.data as Float32Array, q, square.width, square.height, image);
      if (box) found.push({ box, score, label: phrase.trim() });
    }
    const ranked = best(found, maxCandidates);
    lap('postprocess');
    return ranked;
  }

  return {
    modelId,
    family,
    detect,
    async dispose() {
      await model?.dispose?.();
    },
  };
}

function readFamily(dir: string, modelId: string): DetectorFamily {
  let modelType: unknown;
  try {
    modelType = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).model_type;
  } catch (cause) {
    throw new BrushtalkError('vision.failed', `The object detector "${modelId}" has an unreadable config.json: ${message(cause)}`, { cause });
  }
  if (modelType === 'grounding-dino' || modelType === 'owlv2' || modelType === 'owlvit') return modelType;
  throw new BrushtalkError('vision.failed', `"${modelId}" is not an open-vocabulary detector (model_type ${JSON.stringify(modelType)}; expected grounding-dino, owlv2 or owlvit).`);
}

/**
 * Query q's (cx, cy, w, h), normalised to a frame of frameW × frameH, as a pixel box (x, y, w, h) clipped to the
 * picture (which is the frame itself unless the frame was padded beyond it). Null when nothing is left.
 */
function toPixelBox(boxes: Float32Array, q: number, frameW: number, frameH: number, clip: { width: number; height: number } = { width: frameW, height: frameH }): Box | null {
  const [cx, cy, w, h] = boxes.subarray(q * 4, q * 4 + 4);
  const x0 = Math.round(Math.min(Math.max((cx - w / 2) * frameW, 0), clip.width));
  const x1 = Math.round(Math.min(Math.max((cx + w / 2) * frameW, 0), clip.width));
  const y0 = Math.round(Math.min(Math.max((cy - h / 2) * frameH, 0), clip.height));
  const y1 = Math.round(Math.min(Math.max((cy + h / 2) * frameH, 0), clip.height));
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : null;
}

function best(found: Candidate[], max: number): Candidate[] {
  return found.sort((a, b) => b.score - a.score).slice(0, max);
}

function toRawImage(tf: ReturnType<typeof offlineTransformers>, image: RgbImage) {
  // A copy: the image may be a view into a transferred worker buffer, and transformers.js may keep a reference.
  return new tf.RawImage(new Uint8ClampedArray(image.data), image.width, image.height, 3);
}

function padToSquare(image: RgbImage): RgbImage {
  const side = Math.max(image.width, image.height);
  if (side === image.width && side === image.height) return image;
  const data = new Uint8Array(side * side * 3).fill(128);
  for (let y = 0; y < image.height; y++) {
    data.set(image.data.subarray(y * image.width * 3, (y + 1) * image.width * 3), y * side * 3);
  }
  return { width: side, height: side, data };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
