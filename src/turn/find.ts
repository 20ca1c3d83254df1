import { createHash } from 'node:crypto';
import type { Box } from '../contracts.ts';
import { BrushtalkError, isBrushtalkError } from '../errors.ts';
import { withinBudget } from '../images/budget.ts';
import { decodeImage, encodeMaskPng, encodePng, imagePixels, type DecodeLimits } from '../images/codec.ts';
import { boxMask, unionMask } from '../images/mask-ops.ts';
import { maskOverlay } from '../images/preview.ts';
import type { Mask, RgbImage } from '../images/raster.ts';
import type { Detections } from '../session/session.ts';
import { cascade, nms, parseSelector, selectDetections, type Selector } from '../vision/detections.ts';
import type { VisionService } from '../vision/service.ts';

/** Words that pick among detections rather than name the object ("the left dog", "both cats"). */
const selectorWords = new Set([
  'left', 'right', 'top', 'bottom', 'leftmost', 'left-most', 'rightmost', 'right-most', 'biggest', 'largest', 'bigger',
  'smallest', 'smaller', 'both', 'all', 'every', 'first', 'second', 'third', 'fourth', 'fifth', '1st', '2nd', '3rd',
  '4th', '5th', 'other', 'best', 'one',
]);

/** Split "the left dog" into the object phrase ("dog") and how to choose among matches ('left'). */
export function splitSelector(text: string): { phrase: string; selector: Selector } {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const picked = words.filter((w) => selectorWords.has(w.toLowerCase()));
  const rest = words.filter((w) => !selectorWords.has(w.toLowerCase()) && !/^(the|a|an)$/i.test(w));
  const phrase = rest.join(' ');
  if (!phrase) throw new BrushtalkError('command.bad_arguments', 'Say what to look for, e.g. `find the dog` or `find both cats`.');
  const plural = /s$/i.test(rest.at(-1) ?? '') && !/ss$/i.test(rest.at(-1) ?? '');
  const selector = picked.length ? parseSelector(picked.join(' ')) : null;
  return { phrase, selector: selector ?? (plural ? 'all' : 'best') };
}

export interface FoundObject {
  mask: Mask;
  detections: Detections;
  /** True when no segmenter is installed and the mask is the boxes themselves. */
  boxesOnly: boolean;
  timings: Record<string, number>;
}

function boxesMask(width: number, height: number, boxes: Box[]): Mask {
  return boxes.map((b) => boxMask(width, height, b)).reduce((a, b) => unionMask(a, b));
}

async function maskFor(vision: VisionService, image: RgbImage, imageKey: string, boxes: Box[]) {
  try {
    const { value, timings } = await vision.segment(image, imageKey, boxes);
    return { mask: value.mask, boxesOnly: false, timings };
  } catch (error) {
    // Boxes are a usable mask on their own: a missing segmenter should not block "remove the dog".
    if (isBrushtalkError(error) && error.code === 'weights.missing') return { mask: boxesMask(image.width, image.height, boxes), boxesOnly: true, timings: {} };
    throw error;
  }
}

/** Detect the phrase (BrushEdit's descending threshold cascade, then NMS), choose, and segment. */
export async function findObject(vision: VisionService, image: RgbImage, imageKey: string, text: string): Promise<FoundObject> {
  const { phrase, selector } = splitSelector(text);
  const detected = await vision.detect(image, phrase);
  const found = cascade(nms(detected.value));
  if (found.detections.length === 0) {
    throw new BrushtalkError('vision.not_found', `I couldn't find "${phrase}" in this picture. Try other words, or draw a box: \`mask box x,y,w,h\`.`);
  }
  // Count as a person would: left to right.
  const ordered = [...found.detections].sort((a, b) => a.box.x - b.box.x);
  const selected = selectDetections(ordered, selector);
  const detections: Detections = {
    phrase,
    threshold: found.threshold,
    boxes: ordered.map((d) => ({ ...d.box, score: d.score, label: d.label })),
    selected,
  };
  const chosen = await maskFor(vision, image, imageKey, selected.map((i) => ordered[i].box));
  return { ...chosen, detections, timings: { ...detected.timings, ...chosen.timings } };
}

/** Choose again among a version's detections ("the other one", "both") and segment the new choice. */
export async function reselect(vision: VisionService, image: RgbImage, imageKey: string, previous: Detections, words: string): Promise<FoundObject> {
  const selector = parseSelector(words);
  if (!selector) throw new BrushtalkError('command.bad_arguments', 'Say which ones: `select left`, `select 2`, `select both`, `select the other one`, `select biggest`.');
  const candidates = previous.boxes.map(({ score, label, ...box }) => ({ box, score, label }));
  const selected = selectDetections(candidates, selector, previous.selected);
  const chosen = await maskFor(vision, image, imageKey, selected.map((i) => candidates[i].box));
  return { ...chosen, detections: { ...previous, selected }, timings: chosen.timings };
}

export interface PictureSearch {
  maskPng: Buffer;
  overlayPng: Buffer;
  detections: Detections;
  boxesOnly: boolean;
  timings: Record<string, number>;
}

/** One-shot search outside any conversation (`brushtalk detect`): the mask and an overlay as PNGs. */
export async function findInPicture(vision: VisionService, limits: DecodeLimits, bytes: Uint8Array, text: string): Promise<PictureSearch> {
  return withinBudget(limits.budget, await imagePixels(bytes, limits), async () => {
    const image = await decodeImage(bytes, limits);
    const key = createHash('sha256').update(bytes).digest('hex');
    const found = await findObject(vision, image, key, text);
    return {
      maskPng: await encodeMaskPng(found.mask),
      overlayPng: await encodePng(maskOverlay(image, found.mask)),
      detections: found.detections,
      boxesOnly: found.boxesOnly,
      timings: found.timings,
    };
  });
}
