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

/** mulberry32: a better-mixed seeded PRNG, for fixtures that want well-spread values (the fills use it too). */
export { mulberry32 } from '../../src/engines/seeded.ts';
