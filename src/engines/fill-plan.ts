/**
 * The classical engine's choice, per part of the hole: thin strokes get OpenCV's Telea (a diffusion from the
 * edge: invisible on a scratch or a wire, a smear on anything wide), wide regions get the exemplar fill
 * (texture copied from nearby). Wide parts are filled first, each from its own neighbourhood, then thin ones,
 * so a stroke crossing a filled region continues the new texture rather than the removed object.
 */
import type { Mask, RgbImage } from '../images/raster.ts';
import { inpaintExemplar } from './exemplar.ts';
import { limitChroma, ringChromaLimit } from './colour-guard.ts';
import { holeParts, partsMask, type HolePart } from './hole-parts.ts';
import type { TeleaFill } from './opencv.ts';

export type FillMethod = 'auto' | 'telea' | 'exemplar';

/** A part at most this deep (px from its innermost pixel to the edge, i.e. ≤ 12 px wide) is a stroke. */
export const THIN_DEPTH = 6;
/** OpenCV's inpaintRadius, as in its samples and our reference measurements. */
const TELEA_RADIUS = 3;

export interface FillOutcome {
  image: RgbImage;
  /** What ran, for the reply: "telea", "exemplar" or "exemplar+telea". */
  method: string;
  teleaParts: number;
  exemplarParts: number;
}

export interface FillOptions {
  method?: FillMethod;
  onProgress?: (fraction: number) => void;
}

export function fillHole(image: RgbImage, hole: Mask, telea: TeleaFill, options: FillOptions = {}): FillOutcome {
  const method = options.method ?? 'auto';
  const { width: w, height: h } = image;
  const parts = holeParts(hole);
  const wide = parts.parts.filter((part) => method === 'exemplar' || (method === 'auto' && part.depth > THIN_DEPTH));
  const total = parts.parts.reduce((sum, part) => sum + part.pixels, 0);
  let done = 0;
  const report = (fraction: number): void => options.onProgress?.(Math.min(0.99, fraction));

  let working: RgbImage = { width: w, height: h, data: new Uint8Array(image.data) };
  const viaTelea = new Set<number>(parts.parts.filter((part) => !wide.includes(part)).map((part) => part.label));
  let exemplarParts = 0;
  // Colours are bounded by the ring around each part and by the ring around the whole hole, whichever is stricter.
  const wholeLimit = wide.length > 0 ? ringChromaLimit(image, hole.data) : null;
  for (const part of wide) {
    if (fillPart(working, hole, parts.labels, part, wholeLimit, (f) => report((done + f * part.pixels) / total))) exemplarParts++;
    else viaTelea.add(part.label);
    done += part.pixels;
  }
  if (viaTelea.size > 0) {
    working = telea(working, partsMask(parts, w, h, (part) => viaTelea.has(part.label)), TELEA_RADIUS);
  }
  options.onProgress?.(1);
  const teleaParts = viaTelea.size;
  const used = [exemplarParts > 0 ? 'exemplar' : '', teleaParts > 0 ? 'telea' : ''].filter(Boolean);
  return { image: working, method: used.join('+') || 'none', teleaParts, exemplarParts };
}

/**
 * Fills one part from a crop around it: its bounding box grown by its own size (at least 32 px) on every side.
 * Nearby texture is the likeliest continuation, and the crop keeps the search quick on large pictures.
 * Every other hole pixel in the crop is avoided as a source. Writes the part into `image` (the plan's own
 * working copy); false when there is nothing to copy from.
 */
function fillPart(
  image: RgbImage, hole: Mask, labels: Int32Array, part: HolePart, wholeLimit: number | null, onProgress: (f: number) => void,
): boolean {
  const { width: w, height: h } = image;
  const margin = Math.max(32, part.x1 - part.x0 + 1, part.y1 - part.y0 + 1);
  const x0 = Math.max(0, part.x0 - margin);
  const y0 = Math.max(0, part.y0 - margin);
  const cw = Math.min(w, part.x1 + margin + 1) - x0;
  const ch = Math.min(h, part.y1 + margin + 1) - y0;
  const crop = new Uint8Array(cw * ch * 3);
  const cropHole = new Uint8Array(cw * ch);
  const avoid = new Uint8Array(cw * ch);
  for (let y = 0; y < ch; y++) {
    const row = (y0 + y) * w + x0;
    crop.set(image.data.subarray(row * 3, (row + cw) * 3), y * cw * 3);
    for (let x = 0; x < cw; x++) {
      const label = labels[row + x];
      cropHole[y * cw + x] = label === part.label ? 1 : 0;
      avoid[y * cw + x] = label !== part.label && hole.data[row + x] ? 1 : 0;
    }
  }
  const filled = inpaintExemplar(
    { width: cw, height: ch, data: crop },
    { width: cw, height: ch, data: cropHole },
    { avoid: { width: cw, height: ch, data: avoid }, onProgress },
  );
  if (!filled) return false;
  const partLimit = ringChromaLimit(filled, cropHole, avoid);
  const limit = Math.min(partLimit ?? Infinity, wholeLimit ?? Infinity);
  if (Number.isFinite(limit)) limitChroma(filled, cropHole, limit);
  const out = image.data;
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      if (!cropHole[y * cw + x]) continue;
      const o = ((y0 + y) * w + x0 + x) * 3;
      const c = (y * cw + x) * 3;
      out[o] = filled.data[c];
      out[o + 1] = filled.data[c + 1];
      out[o + 2] = filled.data[c + 2];
    }
  }
  return true;
}
