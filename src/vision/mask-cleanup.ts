/**
 * Pure clean-up of segmenter masks: SAM's thresholded logits leave isolated specks and pin-holes that the
 * inpainter would otherwise try to "fix". Everything here is O(pixels) (one labelling pass per call) and
 * returns a fresh 0/1 mask; inputs are read with "non-zero = hole" and never mutated.
 */
import type { Mask } from '../images/raster.ts';
import { createMask } from '../images/raster.ts';
import { growMask } from '../images/mask-ops.ts';

interface Components {
  /** Component id per pixel (0-based), -1 for pixels of the other value. */
  labels: Int32Array;
  areas: number[];
  touchesBorder: boolean[];
}

/**
 * Connected components of the pixels equal to `value` (hole = 1, keep = 0). An explicit stack instead of
 * recursion so a 40 Mpx mask cannot blow the call stack; each pixel is pushed at most once.
 */
function label(mask: Mask, value: 0 | 1, eight: boolean): Components {
  const { width: w, height: h, data } = mask;
  const n = w * h;
  const labels = new Int32Array(n).fill(-1);
  const areas: number[] = [];
  const touchesBorder: boolean[] = [];
  const stack = new Int32Array(n);
  const isValue = (i: number): boolean => (data[i] !== 0 ? 1 : 0) === value;
  for (let start = 0; start < n; start++) {
    if (labels[start] !== -1 || !isValue(start)) continue;
    const id = areas.length;
    let area = 0;
    let border = false;
    let top = 0;
    stack[top++] = start;
    labels[start] = id;
    while (top > 0) {
      const p = stack[--top];
      area++;
      const x = p % w;
      const y = (p - x) / w;
      if (x === 0 || y === 0 || x === w - 1 || y === h - 1) border = true;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          if (dx === 0 && dy === 0) continue;
          if (!eight && dx !== 0 && dy !== 0) continue;
          const nx = x + dx;
          if (nx < 0 || nx >= w) continue;
          const q = ny * w + nx;
          if (labels[q] === -1 && isValue(q)) {
            labels[q] = id;
            stack[top++] = q;
          }
        }
      }
    }
    areas.push(area);
    touchesBorder.push(border);
  }
  return { labels, areas, touchesBorder };
}

function checkArea(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  return value;
}

/** Drop hole components (8-connected) whose area is below `minArea` pixels. */
export function removeSpecks(mask: Mask, minArea: number): Mask {
  checkArea('minArea', minArea);
  const { labels, areas } = label(mask, 1, true);
  const out = createMask(mask.width, mask.height);
  for (let i = 0; i < out.data.length; i++) {
    const id = labels[i];
    out.data[i] = id >= 0 && areas[id] >= minArea ? 1 : 0;
  }
  return out;
}

/**
 * Fill keep components that lie fully inside the hole and are smaller than `maxArea` pixels. Keep regions
 * are 4-connected — the dual of the hole's 8-connectivity — so a diagonal gap in the hole's outline does not
 * let an "enclosed" region leak out and an 8-connected ring really encloses what it surrounds. A keep
 * component touching the image border is never filled: it may continue beyond the frame.
 */
export function fillHoles(mask: Mask, maxArea: number): Mask {
  checkArea('maxArea', maxArea);
  const { labels, areas, touchesBorder } = label(mask, 0, false);
  const out = createMask(mask.width, mask.height);
  for (let i = 0; i < out.data.length; i++) {
    const id = labels[i];
    if (id < 0) out.data[i] = 1;
    else out.data[i] = !touchesBorder[id] && areas[id] < maxArea ? 1 : 0;
  }
  return out;
}

export interface CleanupOptions {
  /** Hole components below this many pixels are dropped; default 0.1 % of the image. */
  minSpeckArea?: number;
  /** Enclosed keep regions below this many pixels are filled; default 0.1 % of the image. */
  maxHoleArea?: number;
  /** Square-kernel dilation in pixels after clean-up; default 0 (BrushEdit never dilates on its own). */
  dilate?: number;
}

/** Relative default so a 512² and a 4000² image get comparable clean-up. */
export function defaultCleanupArea(mask: Mask): number {
  return Math.max(1, Math.round(mask.width * mask.height * 0.001));
}

/** removeSpecks, then fillHoles, then optional dilation. */
export function cleanupMask(mask: Mask, options: CleanupOptions = {}): Mask {
  const minSpeck = options.minSpeckArea ?? defaultCleanupArea(mask);
  const maxHole = options.maxHoleArea ?? defaultCleanupArea(mask);
  const cleaned = fillHoles(removeSpecks(mask, minSpeck), maxHole);
  const dilate = options.dilate ?? 0;
  return dilate > 0 ? growMask(cleaned, dilate) : cleaned;
}
