import type { Mask } from '../../src/images/raster.ts';
import { createMask } from '../../src/images/raster.ts';

/** A small seeded PRNG (LCG) so random-input tests are repeatable. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export function randomMask(w: number, h: number, density: number, seed: number): Mask {
  const rand = rng(seed);
  const m = createMask(w, h);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rand() < density ? 1 : 0;
  return m;
}

/** mulberry32: a better-mixed seeded PRNG, for fixtures that want well-spread values. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
