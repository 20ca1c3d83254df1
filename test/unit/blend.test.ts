import { describe, expect, it } from 'vitest';
import { randomMask, rng } from '../helpers/random.ts';
import type { Mask, RgbImage } from '../../src/images/raster.ts';
import { createMask, createRgb } from '../../src/images/raster.ts';
import { blendImages, featherWeights, gaussianKernel, reflect101 } from '../../src/images/blend.ts';
import { boxMask, clearMask, ellipseMask, fullMask } from '../../src/images/mask-ops.ts';


function randomImage(w: number, h: number, seed: number): RgbImage {
  const rand = rng(seed);
  const img = createRgb(w, h);
  for (let i = 0; i < img.data.length; i++) img.data[i] = Math.floor(rand() * 256);
  return img;
}

/** Independent reference: direct 21×21 2-D convolution with OpenCV's reflect-101 border. */
function naiveFeather(mask: Mask): Float64Array {
  const { width: w, height: h } = mask;
  const k1: number[] = [];
  let sum = 0;
  for (let i = -10; i <= 10; i++) {
    const v = Math.exp(-(i * i) / (2 * 3.5 * 3.5));
    k1.push(v);
    sum += v;
  }
  const k = k1.map((v) => v / sum);
  const refl = (i: number, n: number): number => {
    if (n === 1) return 0;
    for (;;) {
      if (i < 0) i = -i;
      else if (i >= n) i = 2 * (n - 1) - i;
      else return i;
    }
  };
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let b = 0;
      for (let dy = -10; dy <= 10; dy++) {
        for (let dx = -10; dx <= 10; dx++) {
          const v = mask.data[refl(y + dy, h) * w + refl(x + dx, w)] ? 1 : 0;
          b += k[dy + 10] * k[dx + 10] * v;
        }
      }
      const hole = mask.data[y * w + x] ? 1 : 0;
      out[y * w + x] = 1 - (1 - hole) * (1 - b);
    }
  }
  return out;
}

function chebyshevToHole(mask: Mask, x: number, y: number): number {
  let best = Infinity;
  for (let yy = 0; yy < mask.height; yy++) {
    for (let xx = 0; xx < mask.width; xx++) {
      if (mask.data[yy * mask.width + xx]) best = Math.min(best, Math.max(Math.abs(xx - x), Math.abs(yy - y)));
    }
  }
  return best;
}

describe('gaussianKernel / reflect101', () => {
  it('kernel is normalised and symmetric', () => {
    const k = gaussianKernel(21, 3.5);
    expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (let i = 0; i < 10; i++) expect(k[i]).toBe(k[20 - i]);
    expect(() => gaussianKernel(4, 1)).toThrow(RangeError);
  });

  it('reflect101 mirrors without repeating the edge', () => {
    expect([-3, -2, -1, 0, 4, 5, 6, 7].map((i) => reflect101(i, 5))).toEqual([3, 2, 1, 0, 4, 3, 2, 1]);
    expect(reflect101(-7, 3)).toBe(1);
    expect(reflect101(9, 1)).toBe(0);
  });
});

describe('featherWeights', () => {
  const cases: Array<[number, number, number, number]> = [
    [53, 41, 0.01, 1],
    [40, 30, 0.2, 2],
    [7, 5, 0.2, 3], // smaller than the kernel: reflection wraps several times
    [1, 25, 0.1, 4],
  ];
  for (const [w, h, density, seed] of cases) {
    it(`equals a naive 2-D reflect-101 convolution within 1e-5 (${w}x${h})`, () => {
      const m = randomMask(w, h, density, seed);
      m.data[0] = 1; // ensure border interaction
      const got = featherWeights(m);
      const want = naiveFeather(m);
      let maxErr = 0;
      for (let i = 0; i < want.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
      expect(maxErr).toBeLessThan(1e-5);
    });
  }

  it('is exactly 1 in the hole and exactly 0 more than 10 px away, near borders too', () => {
    const m = randomMask(60, 48, 0.004, 11);
    m.data[2 * 60 + 57] = 1; // a hole pixel near the right/top border
    const f = featherWeights(m);
    let ringSeen = 0;
    for (let y = 0; y < 48; y++) {
      for (let x = 0; x < 60; x++) {
        const v = f[y * 60 + x];
        const d = chebyshevToHole(m, x, y);
        if (d === 0) expect(v).toBe(1);
        else if (d > 10) expect(v).toBe(0);
        else {
          expect(v).toBeGreaterThan(0);
          expect(v).toBeLessThan(1);
          ringSeen++;
        }
      }
    }
    expect(ringSeen).toBeGreaterThan(0);
  });

  it('is all zero for an empty hole and all one for a full hole', () => {
    expect(featherWeights(clearMask(9, 9)).every((v) => v === 0)).toBe(true);
    expect(featherWeights(fullMask(9, 9)).every((v) => v === 1)).toBe(true);
  });
});

describe('blendImages', () => {
  const w = 64;
  const h = 48;
  const original = randomImage(w, h, 5);
  const generated = randomImage(w, h, 6);
  const hole = ellipseMask(w, h, { x: 20, y: 10, w: 24, h: 20 });

  it('copies the original bit for bit beyond 10 px and the generation inside the hole', () => {
    const out = blendImages(original, generated, hole);
    let far = 0;
    let inside = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const d = chebyshevToHole(hole, x, y);
        const i = (y * w + x) * 3;
        const src = d === 0 ? generated : d > 10 ? original : null;
        if (!src) continue;
        if (d === 0) inside++;
        else far++;
        for (let c = 0; c < 3; c++) expect(out.data[i + c]).toBe(src.data[i + c]);
      }
    }
    expect(far).toBeGreaterThan(100);
    expect(inside).toBeGreaterThan(100);
  });

  it('the ring lies between the two images and is monotonic across the edge', () => {
    const flatA = createRgb(w, h);
    flatA.data.fill(10);
    const flatB = createRgb(w, h);
    flatB.data.fill(240);
    const rect = boxMask(w, h, { x: 30, y: 0, w: 34, h: h });
    const out = blendImages(flatA, flatB, rect);
    const y = 24;
    let prev = -1;
    for (let x = 0; x < w; x++) {
      const v = out.data[(y * w + x) * 3];
      expect(v).toBeGreaterThanOrEqual(10);
      expect(v).toBeLessThanOrEqual(240);
      expect(v).toBeGreaterThanOrEqual(prev);
      prev = v;
    }
    expect(out.data[(y * w + 19) * 3]).toBe(10); // 11 px left of the edge
    expect(out.data[(y * w + 29) * 3]).toBeGreaterThan(10); // the feather reaches out
    expect(out.data[(y * w + 29) * 3]).toBeLessThan(240);
    expect(out.data[(y * w + 30) * 3]).toBe(240);
  });

  it('matches orig·(1 − m) + gen·m rounded to nearest', () => {
    const out = blendImages(original, generated, hole);
    const m = featherWeights(hole);
    for (let p = 0; p < m.length; p++) {
      for (let c = 0; c < 3; c++) {
        const i = p * 3 + c;
        const want = Math.round(original.data[i] * (1 - m[p]) + generated.data[i] * m[p]);
        expect(Math.abs(out.data[i] - want)).toBeLessThanOrEqual(0);
      }
    }
  });

  it('returns a copy of the original for an empty hole and does not mutate inputs', () => {
    const before = original.data.slice();
    const out = blendImages(original, generated, clearMask(w, h));
    expect(out.data).toEqual(original.data);
    expect(out.data).not.toBe(original.data);
    expect(original.data).toEqual(before);
  });

  it('throws naming the sizes on mismatch', () => {
    expect(() => blendImages(original, randomImage(w, h + 1, 1), hole)).toThrow(/64x48.*64x49/);
    expect(() => blendImages(original, generated, createMask(10, 10))).toThrow(/10x10/);
  });
});
