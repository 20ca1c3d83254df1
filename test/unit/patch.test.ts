/**
 * The box-sized halves of an edit (blendPatch, patchMetrics, shrinkRows) give exactly what their full-size
 * counterparts give: an edit of a 40-megapixel picture relies on them to hold no full-size copy.
 */
import { describe, expect, it } from 'vitest';
import { randomMask, rng } from '../helpers/random.ts';
import { blendImages, blendPatch, featherRegion } from '../../src/images/blend.ts';
import { boxMask, ellipseMask, fullMask, growBox, shrinkMask, shrinkRows } from '../../src/images/mask-ops.ts';
import { backgroundMetrics, patchMetrics } from '../../src/images/metrics.ts';
import type { Box } from '../../src/contracts.ts';
import type { Mask, RgbImage } from '../../src/images/raster.ts';

function randomImage(w: number, h: number, seed: number): RgbImage {
  const rand = rng(seed);
  return { width: w, height: h, data: Uint8Array.from({ length: w * h * 3 }, () => Math.floor(rand() * 256)) };
}

function crop(image: RgbImage, box: Box): RgbImage {
  const data = new Uint8Array(box.w * box.h * 3);
  for (let y = 0; y < box.h; y++) data.set(image.data.subarray(((box.y + y) * image.width + box.x) * 3, ((box.y + y) * image.width + box.x + box.w) * 3), y * box.w * 3);
  return { width: box.w, height: box.h, data };
}

const sizes: [number, number][] = [[53, 41], [300, 200], [15, 9], [1, 30], [40, 1], [25, 25]];
const masks = (w: number, h: number, seed: number): Mask[] =>
  [
    randomMask(w, h, 0.002, seed),
    randomMask(w, h, 0.3, seed + 1),
    ellipseMask(w, h, { x: 3, y: 2, w: Math.max(1, w >> 2), h: Math.max(1, h >> 2) }),
    boxMask(w, h, { x: w >> 1, y: h >> 1, w: 5, h: 4 }),
    fullMask(w, h),
  ].filter((m) => m.data.some((v) => v !== 0));

describe('edits on the hole’s box', () => {
  it('blendPatch blends the box exactly as blendImages blends the picture, and nothing outside it changes', () => {
    for (const [w, h] of sizes) {
      for (const hole of masks(w, h, w)) {
        const original = randomImage(w, h, 1);
        const generated = randomImage(w, h, 2);
        const full = blendImages(original, generated, hole);
        const region = featherRegion(hole)!;
        const patch = crop(generated, region);
        blendPatch(original, patch, region, hole);
        expect(Buffer.from(patch.data).equals(Buffer.from(crop(full, region).data))).toBe(true);
        const outside = full.data.filter((_, i) => {
          const p = Math.floor(i / 3);
          const x = p % w;
          const y = Math.floor(p / w);
          return x < region.x || y < region.y || x >= region.x + region.w || y >= region.y + region.h ? full.data[i] !== original.data[i] : false;
        });
        expect(outside.length).toBe(0);
      }
    }
  });

  it('patchMetrics gives backgroundMetrics’ numbers bit for bit', () => {
    for (const [w, h] of sizes) {
      for (const hole of masks(w, h, h)) {
        const original = randomImage(w, h, 3);
        const result = blendImages(original, randomImage(w, h, 4), hole);
        const region = featherRegion(hole)!;
        const got = patchMetrics(original, crop(result, region), region, hole);
        const want = backgroundMetrics(original, result, hole);
        expect(got).toEqual(want);
        expect(Object.is(got.ssim, want.ssim) && Object.is(got.mse, want.mse)).toBe(true);
      }
    }
    const hole = boxMask(30, 20, { x: 10, y: 5, w: 4, h: 4 });
    const image = randomImage(30, 20, 5);
    expect(() => patchMetrics(image, crop(image, { x: 0, y: 0, w: 3, h: 3 }), { x: 0, y: 0, w: 3, h: 3 }, hole)).toThrow(/patch mismatch/);
  });

  it('shrinkRows gives shrinkMask’s rows over any box', () => {
    for (const [w, h] of sizes) {
      for (const mask of masks(w, h, w + h)) {
        for (const r of [0, 1, 2, 5]) {
          const whole = shrinkMask(mask, r);
          const box = growBox({ x: w >> 2, y: h >> 2, w: Math.max(1, w >> 1), h: Math.max(1, h >> 1) }, 1, w, h);
          for (const b of [box, { x: 0, y: 0, w, h }]) {
            const rows: number[][] = [];
            shrinkRows(mask, r, b, (_y, row) => rows.push([...row]));
            const want = Array.from({ length: b.h }, (_, y) => [...whole.data.subarray((b.y + y) * w + b.x, (b.y + y) * w + b.x + b.w)]);
            expect(rows).toEqual(want);
          }
        }
      }
    }
  });
});
