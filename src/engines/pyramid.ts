/**
 * The image pyramid the exemplar fill works over, and the smooth fill that starts it at the coarsest level.
 */
import type { Mask, RgbImage } from '../images/raster.ts';
import { distanceToKept } from './hole-parts.ts';

export interface Level {
  w: number;
  h: number;
  /** RGB in float, interleaved; hole pixels hold the current estimate. */
  rgb: Float32Array;
  /** 1 = to fill. */
  hole: Uint8Array;
  /** 1 = may not be copied from (the hole, and what the caller asked to avoid). */
  blocked: Uint8Array;
}

/** The coarsest level should leave the hole about this deep, so a smooth start is harmless there. */
const COARSEST_DEPTH = 2;

/**
 * Level 0 is the picture; each next level halves it (2×2 means over kept pixels; a coarse pixel is a hole
 * if any of its four is). Stops when the hole is about COARSEST_DEPTH pixels deep, or before the picture
 * gets too small to hold a handful of whole patches.
 */
export function buildPyramid(image: RgbImage, hole: Mask, avoid: Mask | undefined, patchRadius: number): Level[] {
  const { width: w, height: h } = image;
  const base: Level = {
    w, h,
    rgb: Float32Array.from(image.data),
    hole: new Uint8Array(w * h),
    blocked: new Uint8Array(w * h),
  };
  for (let i = 0; i < w * h; i++) {
    base.hole[i] = hole.data[i] ? 1 : 0;
    base.blocked[i] = base.hole[i] || (avoid?.data[i] ? 1 : 0);
  }
  const depth = maxValue(distanceToKept(hole));
  const minSide = 6 * (2 * patchRadius + 1);
  const levels = [base];
  let level = base;
  let levelDepth = depth;
  while (levelDepth > COARSEST_DEPTH && Math.min(level.w, level.h) / 2 >= minSide) {
    level = halve(level);
    levels.push(level);
    levelDepth /= 2;
  }
  return levels;
}

function halve(fine: Level): Level {
  const w = Math.ceil(fine.w / 2);
  const h = Math.ceil(fine.h / 2);
  const rgb = new Float32Array(w * h * 3);
  const hole = new Uint8Array(w * h);
  const blocked = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let kept = 0;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let anyHole = 0;
      let anyBlocked = 0;
      for (let dy = 0; dy < 2; dy++) {
        const fy = Math.min(fine.h - 1, 2 * y + dy);
        for (let dx = 0; dx < 2; dx++) {
          const f = fy * fine.w + Math.min(fine.w - 1, 2 * x + dx);
          anyHole |= fine.hole[f];
          anyBlocked |= fine.blocked[f];
          if (fine.hole[f]) continue;
          kept++;
          s0 += fine.rgb[f * 3];
          s1 += fine.rgb[f * 3 + 1];
          s2 += fine.rgb[f * 3 + 2];
        }
      }
      const c = y * w + x;
      hole[c] = anyHole;
      blocked[c] = anyBlocked;
      if (kept > 0) {
        rgb[c * 3] = s0 / kept;
        rgb[c * 3 + 1] = s1 / kept;
        rgb[c * 3 + 2] = s2 / kept;
      }
    }
  }
  return { w, h, rgb, hole, blocked };
}

/**
 * Onion-peel fill: ring by ring from the hole's edge inwards, each pixel takes the mean of its already
 * known 8-neighbours. Smooth and cheap: only the coarsest level uses it, where the hole is a few pixels deep.
 */
export function peelFill(level: Level): void {
  const { w, h, rgb, hole } = level;
  const known = Uint8Array.from(hole, (v) => (v ? 0 : 1));
  let front: number[] = [];
  for (let i = 0; i < w * h; i++) if (hole[i]) front.push(i);
  while (front.length > 0) {
    const ready: number[] = [];
    const waiting: number[] = [];
    for (const p of front) {
      const x = p % w;
      const y = (p - x) / w;
      let n = 0;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
          const q = yy * w + xx;
          if (!known[q]) continue;
          n++;
          s0 += rgb[q * 3];
          s1 += rgb[q * 3 + 1];
          s2 += rgb[q * 3 + 2];
        }
      }
      if (n === 0) {
        waiting.push(p);
        continue;
      }
      rgb[p * 3] = s0 / n;
      rgb[p * 3 + 1] = s1 / n;
      rgb[p * 3 + 2] = s2 / n;
      ready.push(p);
    }
    // A hole with no kept pixel at all has nothing to grow from: leave it (mid-grey) rather than loop.
    if (ready.length === 0) {
      for (const p of waiting) rgb.fill(128, p * 3, p * 3 + 3);
      return;
    }
    for (const p of ready) known[p] = 1;
    front = waiting;
  }
}

function maxValue(values: Float32Array): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  return max;
}
