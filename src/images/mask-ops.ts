/**
 * Pure mask arithmetic for conversational edits ("grow the mask a bit", "also the sky", "move it left").
 * Every function returns a fresh mask whose bytes are exactly 0 or 1; inputs are read with "non-zero =
 * hole", so a 255-valued mask from a decoder is accepted as-is. Nothing here mutates its arguments.
 */
import type { Box } from '../contracts.ts';
import type { Mask } from './raster.ts';
import { createMask } from './raster.ts';

// Boxes are in pixel units; x/y may be negative and a box may overhang the image (it is clipped).

function checkRadius(px: number): number {
  if (!Number.isFinite(px) || px < 0) throw new RangeError(`mask radius must be a non-negative number, got ${px}`);
  return Math.round(px);
}

function checkSameSize(a: Mask, b: Mask): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`mask size mismatch: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  }
}

/**
 * Square-kernel "spread" of one value: out[p] = spread if any pixel of the (2r+1)² window around p, clipped to
 * the image, holds `spread`; otherwise the other value. spread = 1 is dilation (pixels outside the image count
 * as keep), spread = 0 is erosion (pixels outside count as hole, so a full mask stays full, like OpenCV's
 * erode whose default border value never erodes). Two running-window passes (rows, then columns) keep
 * it O(pixels) whatever r is.
 */
function spread(mask: Mask, r: number, value: 0 | 1): Mask {
  const { width: w, height: h, data } = mask;
  const out = createMask(w, h);
  if (w === 0 || h === 0) return out;
  // Indicator of "this pixel holds the spreading value", so both operations share one counting kernel.
  const ind = new Uint8Array(w * h);
  if (value === 1) for (let i = 0; i < ind.length; i++) ind[i] = data[i] !== 0 ? 1 : 0;
  else for (let i = 0; i < ind.length; i++) ind[i] = data[i] === 0 ? 1 : 0;

  // Horizontal pass: running count over [x - r, x + r] ∩ [0, w).
  const tmp = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let count = 0;
    const first = Math.min(r, w - 1);
    for (let x = 0; x <= first; x++) count += ind[row + x];
    for (let x = 0; x < w; x++) {
      tmp[row + x] = count > 0 ? 1 : 0;
      const add = x + r + 1;
      if (add < w) count += ind[row + add];
      const drop = x - r;
      if (drop >= 0) count -= ind[row + drop];
    }
  }

  // Vertical pass, walked row by row with one counter per column so memory access stays sequential.
  const counts = new Int32Array(w);
  const firstRow = Math.min(r, h - 1);
  for (let y = 0; y <= firstRow; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) counts[x] += tmp[row + x];
  }
  const hit = value;
  const miss = value === 1 ? 0 : 1;
  const o = out.data;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) o[row + x] = counts[x] > 0 ? hit : miss;
    const add = y + r + 1;
    if (add < h) {
      const ar = add * w;
      for (let x = 0; x < w; x++) counts[x] += tmp[ar + x];
    }
    const drop = y - r;
    if (drop >= 0) {
      const dr = drop * w;
      for (let x = 0; x < w; x++) counts[x] -= tmp[dr + x];
    }
  }
  return out;
}

/** Copy with bytes normalised to 0/1. */
function normalised(mask: Mask): Mask {
  const out = createMask(mask.width, mask.height);
  for (let i = 0; i < out.data.length; i++) out.data[i] = mask.data[i] !== 0 ? 1 : 0;
  return out;
}

/**
 * Dilate the hole by `px` pixels with a (2px+1)² square kernel (BrushEdit's dilate). px is rounded; px = 0
 * returns a copy. Pixels beyond the border count as keep, so growth never invents hole from outside.
 */
export function growMask(mask: Mask, px: number): Mask {
  const r = checkRadius(px);
  return r === 0 ? normalised(mask) : spread(mask, r, 1);
}

/**
 * Erode the hole by `px` pixels with a (2px+1)² square kernel. Pixels beyond the border count as hole, so a
 * hole touching the image edge does not shrink away from that edge and a full mask stays full.
 */
export function shrinkMask(mask: Mask, px: number): Mask {
  const r = checkRadius(px);
  return r === 0 ? normalised(mask) : spread(mask, r, 0);
}

/**
 * shrinkMask(mask, px) row by row over `box`, the same bytes: visit(y, row) gets row y's pixels for box.x, box.x + 1,
 * … (one array, reused). Keeps only the 2r + 1 rows the window needs, so painting the outline of a hole that
 * covers a 40-megapixel picture costs rows, not four full-size masks.
 */
export function shrinkRows(mask: Mask, px: number, box: Box, visit: (y: number, row: Uint8Array) => void): void {
  const r = checkRadius(px);
  const { width: w, height: h, data } = mask;
  const taps = 2 * r + 1;
  // Row s's "a keep pixel lies within r columns", in slot s mod (2r + 1): an output row needs rows y − r … y + r.
  const ring = new Uint8Array(taps * box.w);
  const ringRow = new Int32Array(taps).fill(-1);
  const nearKeep = (s: number): number => {
    const off = (s % taps) * box.w;
    if (ringRow[s % taps] === s) return off;
    ringRow[s % taps] = s;
    const row = s * w;
    let count = 0;
    for (let x = Math.max(0, box.x - r); x <= Math.min(w - 1, box.x + r); x++) count += data[row + x] === 0 ? 1 : 0;
    for (let x = 0; x < box.w; x++) {
      ring[off + x] = count > 0 ? 1 : 0;
      const add = box.x + x + r + 1;
      if (add < w) count += data[row + add] === 0 ? 1 : 0;
      const drop = box.x + x - r;
      if (drop >= 0) count -= data[row + drop] === 0 ? 1 : 0;
    }
    return off;
  };
  const out = new Uint8Array(box.w);
  for (let y = box.y; y < box.y + box.h; y++) {
    out.fill(1);
    // Pixels outside the picture count as hole, as in shrinkMask.
    for (let s = Math.max(0, y - r); s <= Math.min(h - 1, y + r); s++) {
      const off = nearKeep(s);
      for (let x = 0; x < box.w; x++) if (ring[off + x] !== 0) out[x] = 0;
    }
    visit(y, out);
  }
}

export function invertMask(mask: Mask): Mask {
  const out = createMask(mask.width, mask.height);
  for (let i = 0; i < out.data.length; i++) out.data[i] = mask.data[i] === 0 ? 1 : 0;
  return out;
}

export function unionMask(a: Mask, b: Mask): Mask {
  checkSameSize(a, b);
  const out = createMask(a.width, a.height);
  for (let i = 0; i < out.data.length; i++) out.data[i] = a.data[i] !== 0 || b.data[i] !== 0 ? 1 : 0;
  return out;
}

/** a and not b. */
export function subtractMask(a: Mask, b: Mask): Mask {
  checkSameSize(a, b);
  const out = createMask(a.width, a.height);
  for (let i = 0; i < out.data.length; i++) out.data[i] = a.data[i] !== 0 && b.data[i] === 0 ? 1 : 0;
  return out;
}

export function intersectMask(a: Mask, b: Mask): Mask {
  checkSameSize(a, b);
  const out = createMask(a.width, a.height);
  for (let i = 0; i < out.data.length; i++) out.data[i] = a.data[i] !== 0 && b.data[i] !== 0 ? 1 : 0;
  return out;
}

export function clearMask(width: number, height: number): Mask {
  return createMask(width, height);
}

export function fullMask(width: number, height: number): Mask {
  const out = createMask(width, height);
  out.data.fill(1);
  return out;
}

/**
 * Pixel-centre rule shared by box and ellipse: pixel column i is inside when its centre i + 0.5 lies in the
 * shape, so integer boxes cover exactly [x, x + w) and fractional boxes (scaled from another resolution)
 * round consistently. Returns the clipped, inclusive range [lo, hi] (empty when lo > hi).
 */
function spanOf(start: number, end: number, size: number): [number, number] {
  const lo = Math.max(0, Math.ceil(start - 0.5));
  const hi = Math.min(size - 1, Math.ceil(end - 0.5) - 1);
  return [lo, hi];
}

/** Rectangle hole covering [x, x + w) × [y, y + h), clipped to the image; empty for w ≤ 0 or h ≤ 0. */
export function boxMask(width: number, height: number, box: Box): Mask {
  const out = createMask(width, height);
  if (!(box.w > 0 && box.h > 0)) return out;
  const [x0, x1] = spanOf(box.x, box.x + box.w, width);
  const [y0, y1] = spanOf(box.y, box.y + box.h, height);
  for (let y = y0; y <= y1; y++) if (x0 <= x1) out.data.fill(1, y * width + x0, y * width + x1 + 1);
  return out;
}

/** Ellipse inscribed in `box` (pixel centres inside or on the ellipse), clipped to the image. */
export function ellipseMask(width: number, height: number, box: Box): Mask {
  const out = createMask(width, height);
  if (!(box.w > 0 && box.h > 0)) return out;
  const rx = box.w / 2;
  const ry = box.h / 2;
  const cx = box.x + rx;
  const cy = box.y + ry;
  const [y0, y1] = spanOf(box.y, box.y + box.h, height);
  for (let y = y0; y <= y1; y++) {
    // Solve the ellipse equation for this row once instead of testing every pixel.
    const dy = (y + 0.5 - cy) / ry;
    const t = 1 - dy * dy;
    if (t < 0) continue;
    const half = rx * Math.sqrt(t);
    const lo = Math.max(0, Math.ceil(cx - half - 0.5));
    const hi = Math.min(width - 1, Math.floor(cx + half - 0.5));
    if (lo <= hi) out.data.fill(1, y * width + lo, y * width + hi + 1);
  }
  return out;
}

/** Translate the hole by (dx, dy) (rounded); pixels pushed off the edge are lost, uncovered area is keep. */
export function moveMask(mask: Mask, dx: number, dy: number): Mask {
  const { width: w, height: h } = mask;
  const out = createMask(w, h);
  const sx = Math.round(dx);
  const sy = Math.round(dy);
  const x0 = Math.max(0, sx);
  const x1 = Math.min(w, w + sx); // exclusive destination column range
  if (x0 >= x1) return out;
  for (let y = Math.max(0, sy); y < Math.min(h, h + sy); y++) {
    const src = (y - sy) * w - sx;
    const dst = y * w;
    for (let x = x0; x < x1; x++) out.data[dst + x] = mask.data[src + x] !== 0 ? 1 : 0;
  }
  return out;
}

/** Tight bounding box of the hole, or null when the mask is empty. */
/** `box` grown by `by` px on every side, clipped to a width × height picture. */
export function growBox(box: Box, by: number, width: number, height: number): Box {
  const x = Math.max(0, box.x - by);
  const y = Math.max(0, box.y - by);
  return { x, y, w: Math.min(width, box.x + box.w + by) - x, h: Math.min(height, box.y + box.h + by) - y };
}

export function maskBounds(mask: Mask): Box | null {
  const { width: w, height: h, data } = mask;
  let minX = w;
  let minY = h;
  let maxX = -1;
  let maxY = -1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let first = -1;
    for (let x = 0; x < w; x++) {
      if (data[row + x] !== 0) {
        first = x;
        break;
      }
    }
    if (first < 0) continue;
    let last = first;
    for (let x = w - 1; x > first; x--) {
      if (data[row + x] !== 0) {
        last = x;
        break;
      }
    }
    if (first < minX) minX = first;
    if (last > maxX) maxX = last;
    if (y < minY) minY = y;
    maxY = y;
  }
  return maxX < 0 ? null : { x: minX, y: minY, w: maxX - minX + 1, h: maxY - minY + 1 };
}
