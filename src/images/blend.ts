/**
 * Pixel-space blending of a generated image back into the original (design §3.3, "Blending"): BrushNet's
 * feathered paste, b = GaussianBlur(hole, 21×21, σ 3.5, reflect-101), m = 1 − (1 − hole)(1 − b),
 * out = orig·(1 − m) + gen·m. Inside the hole m = 1, so the generation is copied; more than 10 px
 * (Chebyshev) from every hole pixel the kernel sees no hole, so m = 0 and the original is copied bit for
 * bit. BrushEdit's m = 0.5 + 0.5·b variant is deliberately not offered: it leaks half of the generation
 * into the whole background.
 */
import type { Box } from '../contracts.ts';
import type { Mask, RgbImage } from './raster.ts';
import { createRgb, sameSize } from './raster.ts';
import { growBox, maskBounds } from './mask-ops.ts';

export const FEATHER_KERNEL_SIZE = 21;
export const FEATHER_SIGMA = 3.5;
/** Half the kernel: the feather ring's reach in pixels. */
export const FEATHER_RADIUS = (FEATHER_KERNEL_SIZE - 1) / 2;

/** Normalised 1-D Gaussian taps, computed like OpenCV's getGaussianKernel for an explicit sigma. */
export function gaussianKernel(size: number, sigma: number): Float64Array {
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0) throw new RangeError(`kernel size must be odd, got ${size}`);
  const k = new Float64Array(size);
  const c = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    k[i] = Math.exp(-((i - c) * (i - c)) / (2 * sigma * sigma));
    sum += k[i];
  }
  for (let i = 0; i < size; i++) k[i] /= sum;
  return k;
}

/**
 * OpenCV BORDER_REFLECT_101 ("gfedcb|abcdefgh|gfedcba"): mirror without repeating the edge pixel. Loops for
 * images narrower than the kernel, exactly as cv::borderInterpolate does; a 1-pixel axis maps to 0.
 */
export function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i >= n) {
    if (i < 0) i = -i;
    else i = 2 * n - 2 - i;
  }
  return i;
}

const KERNEL = gaussianKernel(FEATHER_KERNEL_SIZE, FEATHER_SIGMA);
const KC = KERNEL[FEATHER_RADIUS];

/** The pixels a paste through `hole` can change: its bounding box grown by the feather's reach, clipped; null without hole. */
export function featherRegion(hole: Mask): Box | null {
  const bounds = maskBounds(hole);
  return bounds && growBox(bounds, FEATHER_RADIUS, hole.width, hole.height);
}

/**
 * Per-pixel paste weight m in [0, 1] (1 = take the generated pixel), one row at a time over featherRegion(hole):
 * everything further out is exactly 0 (a reflected tap always lands inside the 21×21 window, so reflection cannot
 * carry hole in from farther away). `visit(y, weights, x0)` gets row y's weights for x0, x0 + 1, … (the same
 * array each call). Separable 21-tap blur; the horizontal pass keeps only the 21 rows the vertical tap needs,
 * so a 40-megapixel hole costs rows, not a full-size float plane.
 */
export function featherRows(hole: Mask, visit: (y: number, weights: Float32Array, x0: number) => void): Box | null {
  const { width: w, height: h, data } = hole;
  const bounds = maskBounds(hole);
  if (!bounds) return null;
  const region = growBox(bounds, FEATHER_RADIUS, w, h);
  const r = FEATHER_RADIUS;
  const taps = FEATHER_KERNEL_SIZE;
  const hy0 = bounds.y;
  const hy1 = bounds.y + bounds.h - 1;
  const cx0 = region.x;
  const span = region.w;

  // Horizontal pass, on demand, of the rows that contain hole (all other rows blur to exactly 0). Row s lives
  // in slot s mod 21: the rows one output row needs are within 10 of it (reflections included), so distinct.
  const ring = new Float32Array(taps * span);
  const ringRow = new Int32Array(taps).fill(-1);
  const padded = new Float32Array(w + 2 * r);
  const xIdx = new Int32Array(w + 2 * r);
  for (let j = 0; j < xIdx.length; j++) xIdx[j] = reflect101(j - r, w);
  const blurred = (s: number): number => {
    const out = (s % taps) * span;
    if (ringRow[s % taps] === s) return out;
    ringRow[s % taps] = s;
    const row = s * w;
    for (let j = 0; j < padded.length; j++) padded[j] = data[row + xIdx[j]] !== 0 ? 1 : 0;
    // Symmetric taps: pair x + k with x + 20 − k so each pair costs one multiply.
    for (let x = 0; x < span; x++) {
      const c = cx0 + x;
      let sum = KC * padded[c + r];
      for (let k = 0; k < r; k++) sum += KERNEL[k] * (padded[c + k] + padded[c + taps - 1 - k]);
      ring[out + x] = sum;
    }
    return out;
  };

  const acc = new Float64Array(span);
  const weights = new Float32Array(span);
  for (let y = region.y; y < region.y + region.h; y++) {
    acc.fill(0);
    for (let k = 0; k <= r; k++) {
      // Rows outside [hy0, hy1] blurred to exactly zero and are skipped; the centre tap has no partner.
      const kv = KERNEL[k];
      const s1 = reflect101(y + k - r, h);
      const s2 = k === r ? -1 : reflect101(y + r - k, h);
      const in1 = s1 >= hy0 && s1 <= hy1;
      const in2 = s2 >= hy0 && s2 <= hy1;
      const b1 = in1 ? blurred(s1) : 0;
      const b2 = in2 ? blurred(s2) : 0;
      if (in1 && in2) for (let x = 0; x < span; x++) acc[x] += kv * (ring[b1 + x] + ring[b2 + x]);
      else if (in1) for (let x = 0; x < span; x++) acc[x] += kv * ring[b1 + x];
      else if (in2) for (let x = 0; x < span; x++) acc[x] += kv * ring[b2 + x];
    }
    const row = y * w + cx0;
    // m = 1 − (1 − hole)(1 − b) is 1 in the hole and b elsewhere; writing it that way keeps the 1 exact.
    for (let x = 0; x < span; x++) weights[x] = data[row + x] !== 0 ? 1 : acc[x];
    visit(y, weights, cx0);
  }
  return region;
}

/** The paste weights of the whole picture (zero outside featherRegion(hole)). */
export function featherWeights(hole: Mask): Float32Array {
  const m = new Float32Array(hole.width * hole.height);
  featherRows(hole, (y, weights, x0) => m.set(weights, y * hole.width + x0));
  return m;
}

/**
 * Paste `generated` into `original` through the feathered hole. Rounds to nearest and clamps, so m = 0 gives
 * the original byte and m = 1 the generated byte exactly.
 */
export function blendImages(original: RgbImage, generated: RgbImage, hole: Mask): RgbImage {
  if (
    original.width !== generated.width || original.height !== generated.height ||
    original.width !== hole.width || original.height !== hole.height
  ) {
    throw new Error(
      `blend size mismatch: original ${original.width}x${original.height}, generated ` +
        `${generated.width}x${generated.height}, hole ${hole.width}x${hole.height}`,
    );
  }
  const out = createRgb(original.width, original.height);
  out.data.set(original.data);
  featherRows(hole, (y, weights, x0) => {
    const i = (y * original.width + x0) * 3;
    mixRow(original.data, i, generated.data, i, out.data, i, weights);
  });
  return out;
}

/**
 * blendImages for an edit that only has the generated pixels of featherRegion(hole) (`patch`, that box's size):
 * turns `patch` in place into the blended pixels of that box, which are all the blend can change — the picture
 * is never copied whole.
 */
export function blendPatch(original: RgbImage, patch: RgbImage, region: Box, hole: Mask): void {
  const feather = featherRegion(hole);
  if (!sameSize(original, hole) || !feather || !sameBox(feather, region) || patch.width !== region.w || patch.height !== region.h) {
    throw new Error(`blend patch mismatch: ${patch.width}x${patch.height} for region ${JSON.stringify(region)} of ${original.width}x${original.height}, hole region ${JSON.stringify(feather)}`);
  }
  featherRows(hole, (y, weights, x0) => {
    const p = (y - region.y) * region.w * 3;
    mixRow(original.data, (y * original.width + x0) * 3, patch.data, p, patch.data, p, weights);
  });
}

function sameBox(a: Box, b: Box): boolean {
  return a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;
}

/** One row of out = orig·(1 − m) + gen·m; `out` may be `gen` itself (each pixel is read before it is written). */
function mixRow(o: Uint8Array, oi: number, g: Uint8Array, gi: number, d: Uint8Array, di: number, m: Float32Array): void {
  for (let p = 0; p < m.length; p++, oi += 3, gi += 3, di += 3) {
    const a = m[p];
    if (a === 0) {
      d[di] = o[oi];
      d[di + 1] = o[oi + 1];
      d[di + 2] = o[oi + 2];
    } else if (a === 1) {
      d[di] = g[gi];
      d[di + 1] = g[gi + 1];
      d[di + 2] = g[gi + 2];
    } else {
      const na = 1 - a;
      for (let c = 0; c < 3; c++) {
        const v = Math.round(o[oi + c] * na + g[gi + c] * a);
        d[di + c] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
}
