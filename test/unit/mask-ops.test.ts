import { describe, expect, it } from 'vitest';
import { randomMask } from '../helpers/random.ts';
import type { Mask } from '../../src/images/raster.ts';
import { createMask } from '../../src/images/raster.ts';
import {
  boxMask,
  clearMask,
  ellipseMask,
  fullMask,
  growMask,
  intersectMask,
  invertMask,
  maskBounds,
  moveMask,
  shrinkMask,
  subtractMask,
  unionMask,
} from '../../src/images/mask-ops.ts';


/** Naive square-kernel morphology: dilation ignores outside pixels; erosion treats them as hole. */
function naive(mask: Mask, r: number, op: 'grow' | 'shrink'): Mask {
  const { width: w, height: h } = mask;
  const out = createMask(w, h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let any = false;
      let all = true;
      for (let yy = y - r; yy <= y + r; yy++) {
        for (let xx = x - r; xx <= x + r; xx++) {
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
          const v = mask.data[yy * w + xx] !== 0;
          any ||= v;
          all &&= v;
        }
      }
      out.data[y * w + x] = (op === 'grow' ? any : all) ? 1 : 0;
    }
  }
  return out;
}

function pixelsOf(m: Mask): number {
  let c = 0;
  for (const v of m.data) c += v;
  return c;
}

describe('growMask / shrinkMask', () => {
  const cases: Array<[number, number, number, number]> = [
    // w, h, density, seed
    [37, 23, 0.02, 1],
    [40, 41, 0.1, 2],
    [17, 50, 0.5, 3],
    [64, 9, 0.9, 4],
    [1, 30, 0.3, 5],
    [25, 1, 0.3, 6],
  ];
  for (const [w, h, density, seed] of cases) {
    for (const r of [1, 2, 3, 5, 8, 30]) {
      it(`matches the naive reference on ${w}x${h} density ${density}, r=${r}`, () => {
        const m = randomMask(w, h, density, seed * 100 + r);
        expect(Array.from(growMask(m, r).data)).toEqual(Array.from(naive(m, r, 'grow').data));
        expect(Array.from(shrinkMask(m, r).data)).toEqual(Array.from(naive(m, r, 'shrink').data));
      });
    }
  }

  it('px = 0 returns a normalised copy, not the same object', () => {
    const m = randomMask(10, 10, 0.5, 9);
    m.data[3] = 255;
    const g = growMask(m, 0);
    const s = shrinkMask(m, 0);
    expect(g).not.toBe(m);
    expect(g.data).not.toBe(m.data);
    expect(g.data[3]).toBe(1);
    expect(Array.from(s.data)).toEqual(Array.from(m.data, (v) => (v ? 1 : 0)));
  });

  it('treats any non-zero byte as hole and outputs 0/1', () => {
    const m = createMask(7, 7);
    m.data[24] = 255;
    const g = growMask(m, 1);
    expect(pixelsOf(g)).toBe(9);
    expect(Math.max(...g.data)).toBe(1);
  });

  it('grow then shrink of a rectangle returns the rectangle', () => {
    for (const r of [1, 4, 10]) {
      const rect = boxMask(60, 50, { x: 15, y: 12, w: 20, h: 9 });
      const back = shrinkMask(growMask(rect, r), r);
      expect(Array.from(back.data)).toEqual(Array.from(rect.data));
    }
  });

  it('a full mask stays full when shrunk; a hole on the edge does not shrink away from the edge', () => {
    expect(pixelsOf(shrinkMask(fullMask(12, 8), 3))).toBe(96);
    const edge = boxMask(20, 20, { x: 0, y: 0, w: 6, h: 20 });
    const s = shrinkMask(edge, 2);
    expect(maskBounds(s)).toEqual({ x: 0, y: 0, w: 4, h: 20 });
  });

  it('an empty mask stays empty when grown', () => {
    expect(pixelsOf(growMask(clearMask(9, 9), 4))).toBe(0);
  });

  it('rejects negative radii', () => {
    expect(() => growMask(clearMask(3, 3), -1)).toThrow(RangeError);
    expect(() => shrinkMask(clearMask(3, 3), Number.NaN)).toThrow(RangeError);
  });
});

describe('set operations', () => {
  const a = createMask(2, 2);
  const b = createMask(2, 2);
  // truth table across the four pixels: (a,b) = (0,0), (0,1), (1,0), (1,1)
  a.data.set([0, 0, 1, 1]);
  b.data.set([0, 1, 0, 255]);

  it('union / subtract / intersect / invert follow their truth tables', () => {
    expect(Array.from(unionMask(a, b).data)).toEqual([0, 1, 1, 1]);
    expect(Array.from(subtractMask(a, b).data)).toEqual([0, 0, 1, 0]);
    expect(Array.from(subtractMask(b, a).data)).toEqual([0, 1, 0, 0]);
    expect(Array.from(intersectMask(a, b).data)).toEqual([0, 0, 0, 1]);
    expect(Array.from(invertMask(b).data)).toEqual([1, 0, 1, 0]);
  });

  it('does not mutate inputs', () => {
    unionMask(a, b);
    invertMask(a);
    expect(Array.from(a.data)).toEqual([0, 0, 1, 1]);
  });

  it('throws naming both sizes on mismatch', () => {
    const c = createMask(3, 2);
    for (const f of [unionMask, subtractMask, intersectMask]) {
      expect(() => f(a, c)).toThrow(/2x2.*3x2/);
    }
  });
});

describe('shapes', () => {
  it('boxMask covers [x, x+w) × [y, y+h)', () => {
    const m = boxMask(10, 8, { x: 2, y: 3, w: 4, h: 2 });
    expect(pixelsOf(m)).toBe(8);
    expect(maskBounds(m)).toEqual({ x: 2, y: 3, w: 4, h: 2 });
  });

  it('boxMask clips at every edge and handles boxes fully outside or empty', () => {
    expect(maskBounds(boxMask(10, 8, { x: -3, y: -2, w: 5, h: 4 }))).toEqual({ x: 0, y: 0, w: 2, h: 2 });
    expect(maskBounds(boxMask(10, 8, { x: 7, y: 6, w: 10, h: 10 }))).toEqual({ x: 7, y: 6, w: 3, h: 2 });
    expect(maskBounds(boxMask(10, 8, { x: -5, y: -5, w: 30, h: 30 }))).toEqual({ x: 0, y: 0, w: 10, h: 8 });
    expect(maskBounds(boxMask(10, 8, { x: 12, y: 0, w: 3, h: 3 }))).toBeNull();
    expect(maskBounds(boxMask(10, 8, { x: 2, y: 2, w: 0, h: 3 }))).toBeNull();
  });

  it('ellipseMask is inscribed in its box, symmetric, and matches a per-pixel reference', () => {
    const box = { x: 3, y: 4, w: 21, h: 13 };
    const m = ellipseMask(30, 24, box);
    expect(maskBounds(m)).toEqual(box);
    const cx = box.x + box.w / 2;
    const cy = box.y + box.h / 2;
    for (let y = 0; y < 24; y++) {
      for (let x = 0; x < 30; x++) {
        const dx = (x + 0.5 - cx) / (box.w / 2);
        const dy = (y + 0.5 - cy) / (box.h / 2);
        expect(m.data[y * 30 + x], `${x},${y}`).toBe(dx * dx + dy * dy <= 1 ? 1 : 0);
      }
    }
    // corners of the box are outside the ellipse
    expect(m.data[box.y * 30 + box.x]).toBe(0);
  });

  it('ellipseMask clips at the image edge', () => {
    const full = ellipseMask(40, 40, { x: 0, y: 0, w: 40, h: 40 });
    const clipped = ellipseMask(20, 20, { x: 0, y: 0, w: 40, h: 40 });
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 20; x++) expect(clipped.data[y * 20 + x]).toBe(full.data[y * 40 + x]);
    }
    expect(maskBounds(ellipseMask(10, 10, { x: -20, y: -20, w: 10, h: 10 }))).toBeNull();
  });

  it('clearMask / fullMask', () => {
    expect(pixelsOf(clearMask(4, 3))).toBe(0);
    expect(pixelsOf(fullMask(4, 3))).toBe(12);
    expect(maskBounds(fullMask(4, 3))).toEqual({ x: 0, y: 0, w: 4, h: 3 });
  });
});

describe('moveMask', () => {
  it('moves pixels and fills the uncovered area with keep', () => {
    const m = boxMask(10, 10, { x: 2, y: 2, w: 3, h: 3 });
    const moved = moveMask(m, 4, -1);
    expect(maskBounds(moved)).toEqual({ x: 6, y: 1, w: 3, h: 3 });
    expect(pixelsOf(moved)).toBe(9);
  });

  it('loses pixels pushed off each edge', () => {
    const m = boxMask(10, 10, { x: 6, y: 0, w: 4, h: 10 });
    expect(maskBounds(moveMask(m, 2, 0))).toEqual({ x: 8, y: 0, w: 2, h: 10 });
    expect(maskBounds(moveMask(m, -8, 3))).toEqual({ x: 0, y: 3, w: 2, h: 7 });
    expect(maskBounds(moveMask(m, 0, -7))).toEqual({ x: 6, y: 0, w: 4, h: 3 });
    expect(maskBounds(moveMask(m, 10, 0))).toBeNull();
    expect(maskBounds(moveMask(m, 0, -10))).toBeNull();
  });

  it('matches a per-pixel reference on a random mask', () => {
    const m = randomMask(13, 11, 0.4, 77);
    for (const [dx, dy] of [[3, -2], [-5, 4], [0, 0], [12, 10], [-1, -10]]) {
      const moved = moveMask(m, dx, dy);
      for (let y = 0; y < 11; y++) {
        for (let x = 0; x < 13; x++) {
          const sx = x - dx;
          const sy = y - dy;
          const want = sx >= 0 && sy >= 0 && sx < 13 && sy < 11 ? m.data[sy * 13 + sx] : 0;
          expect(moved.data[y * 13 + x]).toBe(want);
        }
      }
    }
  });
});

describe('maskBounds', () => {
  it('is null for an empty mask and tight otherwise', () => {
    expect(maskBounds(clearMask(5, 5))).toBeNull();
    const m = createMask(6, 5);
    m.data[1 * 6 + 4] = 1;
    m.data[3 * 6 + 1] = 1;
    expect(maskBounds(m)).toEqual({ x: 1, y: 1, w: 4, h: 3 });
  });
});
