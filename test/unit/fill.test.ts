import { beforeAll, describe, expect, it } from 'vitest';
import { inpaintExemplar } from '../../src/engines/exemplar.ts';
import { fillHole, THIN_DEPTH } from '../../src/engines/fill-plan.ts';
import { holeParts } from '../../src/engines/hole-parts.ts';
import { loadOpenCvTelea, type TeleaFill } from '../../src/engines/opencv.ts';
import type { Level } from '../../src/engines/pyramid.ts';
import { removeSeams } from '../../src/engines/seams.ts';
import type { Mask, RgbImage } from '../../src/images/raster.ts';

type Rgb = [number, number, number];

function paint(width: number, height: number, colour: (x: number, y: number) => Rgb): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(colour(x, y), (y * width + x) * 3);
  return { width, height, data };
}

function holeWhere(width: number, height: number, inside: (x: number, y: number) => boolean): Mask {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = inside(x, y) ? 1 : 0;
  return { width, height, data };
}

function keptChanged(result: RgbImage, original: RgbImage, hole: Mask): number {
  let changed = 0;
  for (let i = 0; i < hole.data.length; i++) {
    if (hole.data[i]) continue;
    for (let c = 0; c < 3; c++) if (result.data[i * 3 + c] !== original.data[i * 3 + c]) changed++;
  }
  return changed;
}

/** Mean absolute difference to the truth over the hole. */
function holeError(result: RgbImage, truth: RgbImage, hole: Mask): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < hole.data.length; i++) {
    if (!hole.data[i]) continue;
    for (let c = 0; c < 3; c++) sum += Math.abs(result.data[i * 3 + c] - truth.data[i * 3 + c]);
    n += 3;
  }
  return sum / n;
}

/** Vertical stripes, 6 px period, two colours: texture only an exemplar fill can continue. */
const stripes = paint(120, 96, (x) => (x % 6 < 3 ? [200, 60, 40] : [40, 90, 210]));
const square = holeWhere(120, 96, (x, y) => x >= 40 && x < 80 && y >= 30 && y < 66);

let telea: TeleaFill;
beforeAll(async () => {
  telea = await loadOpenCvTelea();
});

describe('hole parts', () => {
  it('labels 8-connected parts and measures how deep each is', () => {
    const hole = holeWhere(100, 60, (x, y) => (x >= 10 && x < 40 && y >= 10 && y < 40) || (y >= 50 && y < 54 && x >= 50 && x < 95) || (x === 40 && y === 40));
    const { parts, labels } = holeParts(hole);
    expect(parts.map((p) => p.pixels)).toEqual([30 * 30 + 1, 4 * 45]); // the diagonal pixel joins the square
    expect(parts[0]).toMatchObject({ x0: 10, y0: 10, x1: 40, y1: 40 });
    expect(parts[0].depth).toBeGreaterThan(14); // half of 30 px, give or take the chamfer metric
    expect(parts[0].depth).toBeLessThan(16.5);
    expect(parts[1].depth).toBe(2); // a 4-px stroke
    expect(labels[52 * 100 + 60]).toBe(2);
    expect(labels[0]).toBe(0);
  });
});

describe('exemplar fill', () => {
  it('continues a periodic texture through a wide hole and leaves kept pixels alone', () => {
    const out = inpaintExemplar(stripes, square)!;
    expect(keptChanged(out, stripes, square)).toBe(0);
    // Copying whole stripes: close to the truth, where any smooth fill would average the two colours.
    expect(holeError(out, stripes, square)).toBeLessThan(12);
    const smooth = telea(stripes, square, 3);
    expect(holeError(smooth, stripes, square)).toBeGreaterThan(40);
  });

  it('is deterministic and reports progress up to at most 1, non-decreasing', () => {
    const seen: number[] = [];
    const a = inpaintExemplar(stripes, square, { onProgress: (f) => seen.push(f) })!;
    const b = inpaintExemplar(stripes, square)!;
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    expect(seen.length).toBeGreaterThan(3);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    expect(seen.at(-1)).toBeLessThanOrEqual(1);
  });

  it('never copies from pixels it was told to avoid', () => {
    // The right half is bright green but marked as another hole: nothing green may appear in the fill.
    const image = paint(120, 96, (x) => (x >= 90 ? [0, 255, 0] : [120, 110, 100]));
    const avoid = holeWhere(120, 96, (x) => x >= 90);
    const out = inpaintExemplar(image, square, { avoid })!;
    for (let i = 0; i < square.data.length; i++) if (square.data[i]) expect(out.data[i * 3 + 1]).toBeLessThan(130);
  });

  it('gives up (null) when no whole patch lies outside the hole', () => {
    const image = paint(20, 20, () => [10, 20, 30]);
    expect(inpaintExemplar(image, holeWhere(20, 20, (x, y) => x > 2 && y > 2))).toBeNull();
  });
});

describe('fill plan', () => {
  const photo = paint(160, 120, (x, y) => [100 + ((x * 7 + y * 3) % 40), 90 + ((x * 3) % 30), 80 + ((y * 5) % 20)]);

  it('uses Telea for thin strokes, the exemplar fill for wide parts, and says which', () => {
    const stroke = holeWhere(160, 120, (x, y) => y >= 10 && y < 10 + 2 * THIN_DEPTH - 2 && x >= 20 && x < 140);
    const blob = holeWhere(160, 120, (x, y) => (x - 80) ** 2 + (y - 75) ** 2 < 25 ** 2);
    const both: Mask = { width: 160, height: 120, data: stroke.data.map((v, i) => v | blob.data[i]) };

    const thin = fillHole(photo, stroke, telea);
    expect(thin).toMatchObject({ method: 'telea', teleaParts: 1, exemplarParts: 0 });
    expect(Buffer.from(thin.image.data).equals(Buffer.from(telea(photo, stroke, 3).data))).toBe(true);

    const wide = fillHole(photo, blob, telea);
    expect(wide).toMatchObject({ method: 'exemplar', teleaParts: 0, exemplarParts: 1 });

    const mixed = fillHole(photo, both, telea);
    expect(mixed).toMatchObject({ method: 'exemplar+telea', teleaParts: 1, exemplarParts: 1 });
    expect(keptChanged(mixed.image, photo, both)).toBe(0);
    expect(fillHole(photo, both, telea, { method: 'telea' }).method).toBe('telea');
    expect(fillHole(photo, both, telea, { method: 'exemplar' })).toMatchObject({ method: 'exemplar', exemplarParts: 2 });
  });

  it('never leaves a hole pixel more saturated than the ring around the hole', () => {
    // Grey surroundings with a saturated red patch further out, inside the fill's search area.
    const image = paint(200, 200, (x, y) => (x < 30 && y < 30 ? [250, 0, 0] : [110 + ((x * 5 + y) % 20), 110 + ((x + y * 3) % 20), 110]));
    const hole = holeWhere(200, 200, (x, y) => x >= 70 && x < 130 && y >= 70 && y < 130);
    const out = fillHole(image, hole, telea, { method: 'exemplar' }).image;
    for (let i = 0; i < hole.data.length; i++) {
      if (!hole.data[i]) continue;
      const [r, g, b] = [out.data[i * 3], out.data[i * 3 + 1], out.data[i * 3 + 2]];
      expect(Math.max(r, g, b) - Math.min(r, g, b)).toBeLessThanOrEqual(20 + 4);
    }
  });

  it('fills from Telea when the picture is too small for a single whole patch', () => {
    // Kept pixels are a 3-px L along two edges: no 7×7 patch fits in them.
    const tiny = paint(30, 30, (x) => [x * 8, 50, 50]);
    const hole = holeWhere(30, 30, (x, y) => x >= 3 && y >= 3);
    const out = fillHole(tiny, hole, telea);
    expect(out).toMatchObject({ method: 'telea', teleaParts: 1, exemplarParts: 0 });
    expect(keptChanged(out.image, tiny, hole)).toBe(0);
  });
});

describe('seam removal', () => {
  /** A 60×40 level, hole x 20..39, filled with 100; kept pixels 150 on the left half, 50 on the right. */
  function level(): Level {
    const w = 60;
    const h = 40;
    const rgb = new Float32Array(w * h * 3);
    const hole = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        hole[i] = x >= 20 && x < 40 ? 1 : 0;
        rgb.fill(hole[i] ? 100 : x < 30 ? 150 : 50, i * 3, i * 3 + 3);
      }
    }
    return { w, h, rgb, hole, blocked: hole.slice() };
  }

  it('shifts the fill by what it got wrong at the edge, exactly there and smoothly in between', () => {
    const l = level();
    // The patches predicted 130 on the left edge (20 too dark) and 80 on the right (30 too bright).
    const predicted = new Float32Array(l.w * l.h * 3);
    const weights = new Float32Array(l.w * l.h);
    for (let y = 0; y < l.h; y++) {
      for (const x of [17, 18, 19, 40, 41, 42]) {
        const i = y * l.w + x;
        weights[i] = 1;
        predicted.fill(x < 30 ? 130 : 80, i * 3, i * 3 + 3);
      }
    }
    removeSeams(l, predicted, weights);
    const at = (x: number, y: number) => l.rgb[(y * l.w + x) * 3];
    expect(at(20, 20)).toBeGreaterThan(118); // ≈ 100 + 20 next to the left edge
    expect(at(39, 20)).toBeLessThan(72); // ≈ 100 − 30 next to the right edge
    expect(at(29, 20)).toBeGreaterThan(at(30, 20)); // in between: a smooth ramp from one to the other
    for (let x = 21; x < 40; x++) expect(at(x, 20)).toBeLessThanOrEqual(at(x - 1, 20) + 1e-3);
    expect(at(5, 5)).toBe(150); // kept pixels never move
  });
});
