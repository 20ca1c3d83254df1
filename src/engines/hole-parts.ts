/**
 * The geometry of a hole, for choosing how to fill each part of it: connected parts (8-connected), each one's
 * bounding box and width (the largest distance from any of its pixels to the nearest kept pixel).
 * Pure functions over flat arrays.
 */
import type { Mask } from '../images/raster.ts';

export interface HolePart {
  /** 1-based label in `labels`. */
  label: number;
  pixels: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Distance (px, chamfer) from the part's innermost pixel to the nearest kept pixel: half its width. */
  depth: number;
}

export interface HoleParts {
  parts: HolePart[];
  /** Per pixel: 0 = kept, else the label of its part. */
  labels: Int32Array;
}

/** Labels the hole's 8-connected parts and measures each one (one flood fill, one distance transform). */
export function holeParts(hole: Mask): HoleParts {
  const { width: w, height: h, data } = hole;
  const labels = new Int32Array(w * h);
  const parts: HolePart[] = [];
  const stack = new Int32Array(w * h);
  for (let start = 0; start < w * h; start++) {
    if (!data[start] || labels[start]) continue;
    const part: HolePart = { label: parts.length + 1, pixels: 0, x0: w, y0: h, x1: -1, y1: -1, depth: 0 };
    let top = 0;
    stack[top++] = start;
    labels[start] = part.label;
    while (top > 0) {
      const p = stack[--top];
      const x = p % w;
      const y = (p - x) / w;
      part.pixels++;
      if (x < part.x0) part.x0 = x;
      if (x > part.x1) part.x1 = x;
      if (y < part.y0) part.y0 = y;
      if (y > part.y1) part.y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          const q = yy * w + xx;
          if (data[q] && !labels[q]) {
            labels[q] = part.label;
            stack[top++] = q;
          }
        }
      }
    }
    parts.push(part);
  }
  const depth = distanceToKept(hole);
  for (let i = 0; i < w * h; i++) {
    const label = labels[i];
    if (label && depth[i] > parts[label - 1].depth) parts[label - 1].depth = depth[i];
  }
  return { parts, labels };
}

/**
 * Chamfer (3-4) distance from every hole pixel to the nearest kept pixel, in pixels (kept pixels: 0).
 * The image border does not count as kept: a hole touching the edge is as deep as it is wide inside.
 */
export function distanceToKept(hole: Mask): Float32Array {
  const { width: w, height: h, data } = hole;
  const far = 1 << 29;
  // Integer chamfer costs (3 straight, 4 diagonal), two raster passes; divided by 3 at the end.
  const d = new Int32Array(w * h);
  for (let i = 0; i < w * h; i++) d[i] = data[i] ? far : 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      let v = d[p];
      if (v === 0) continue;
      if (x > 0 && d[p - 1] + 3 < v) v = d[p - 1] + 3;
      if (y > 0) {
        if (d[p - w] + 3 < v) v = d[p - w] + 3;
        if (x > 0 && d[p - w - 1] + 4 < v) v = d[p - w - 1] + 4;
        if (x < w - 1 && d[p - w + 1] + 4 < v) v = d[p - w + 1] + 4;
      }
      d[p] = v;
    }
  }
  for (let y = h - 1; y >= 0; y--) {
    for (let x = w - 1; x >= 0; x--) {
      const p = y * w + x;
      let v = d[p];
      if (v === 0) continue;
      if (x < w - 1 && d[p + 1] + 3 < v) v = d[p + 1] + 3;
      if (y < h - 1) {
        if (d[p + w] + 3 < v) v = d[p + w] + 3;
        if (x < w - 1 && d[p + w + 1] + 4 < v) v = d[p + w + 1] + 4;
        if (x > 0 && d[p + w - 1] + 4 < v) v = d[p + w - 1] + 4;
      }
      d[p] = v;
    }
  }
  const out = new Float32Array(w * h);
  const none = Math.max(w, h);
  for (let i = 0; i < w * h; i++) out[i] = d[i] >= far ? none : d[i] / 3;
  return out;
}

/** A mask of the given parts only (by label). */
export function partsMask(parts: HoleParts, width: number, height: number, keep: (part: HolePart) => boolean): Mask {
  const chosen = new Uint8Array(parts.parts.length + 1);
  for (const part of parts.parts) chosen[part.label] = keep(part) ? 1 : 0;
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = chosen[parts.labels[i]];
  return { width, height, data };
}

/** Per pixel: how many set pixels of `flags` lie in the (2r+1)² box around it (clipped at the border). */
export function boxSums(flags: Uint8Array, w: number, h: number, r: number): Int32Array {
  const integral = new Int32Array((w + 1) * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += flags[y * w + x] ? 1 : 0;
      integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1] + row;
    }
  }
  const out = new Int32Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - r);
    const y1 = Math.min(h, y + r + 1);
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - r);
      const x1 = Math.min(w, x + r + 1);
      out[y * w + x] = integral[y1 * (w + 1) + x1] - integral[y0 * (w + 1) + x1] - integral[y1 * (w + 1) + x0] + integral[y0 * (w + 1) + x0];
    }
  }
  return out;
}
