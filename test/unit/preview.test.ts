import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/images/raster.ts';
import { createMask, createRgb } from '../../src/images/raster.ts';
import { beforeAfter, GAP_GREY, maskOverlay } from '../../src/images/preview.ts';
import { boxMask, clearMask } from '../../src/images/mask-ops.ts';

function gradient(w: number, h: number): RgbImage {
  const img = createRgb(w, h);
  for (let p = 0; p < w * h; p++) {
    img.data[p * 3] = (p * 7) % 256;
    img.data[p * 3 + 1] = (p * 13) % 256;
    img.data[p * 3 + 2] = (p * 29) % 256;
  }
  return img;
}

function px(img: RgbImage, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}

describe('maskOverlay', () => {
  const w = 30;
  const h = 20;
  const image = gradient(w, h);
  const mask = boxMask(w, h, { x: 8, y: 5, w: 12, h: 10 });

  it('leaves every pixel outside the hole untouched', () => {
    const out = maskOverlay(image, mask);
    for (let p = 0; p < w * h; p++) {
      if (mask.data[p]) continue;
      for (let c = 0; c < 3; c++) expect(out.data[p * 3 + c]).toBe(image.data[p * 3 + c]);
    }
  });

  it('tints the interior at 45 % towards (255, 0, 90)', () => {
    const out = maskOverlay(image, mask);
    const [r, g, b] = px(image, 13, 9);
    expect(px(out, 13, 9)).toEqual([
      Math.round(r * 0.55 + 255 * 0.45),
      Math.round(g * 0.55),
      Math.round(b * 0.55 + 90 * 0.45),
    ]);
  });

  it('draws a 2-px solid outline on the inner edge of the hole', () => {
    const out = maskOverlay(image, mask);
    for (const [x, y] of [[8, 5], [9, 6], [19, 14], [18, 10], [13, 5], [13, 6]]) {
      expect(px(out, x, y), `${x},${y}`).toEqual([255, 0, 90]);
    }
    // third pixel in from the edge is tint, not outline
    expect(px(out, 10, 10)).not.toEqual([255, 0, 90]);
    expect(px(out, 10, 10)).not.toEqual(px(image, 10, 10));
  });

  it('respects colour, alpha and outline options', () => {
    const out = maskOverlay(image, mask, { color: [0, 255, 0], alpha: 1, outline: 0 });
    expect(px(out, 8, 5)).toEqual([0, 255, 0]);
    expect(px(out, 13, 9)).toEqual([0, 255, 0]);
    expect(px(out, 7, 5)).toEqual(px(image, 7, 5));
  });

  it('does not outline along the image border', () => {
    const edge = boxMask(w, h, { x: 0, y: 0, w: 10, h: h });
    const out = maskOverlay(image, edge);
    expect(px(out, 0, 10)).not.toEqual([255, 0, 90]);
    expect(px(out, 9, 10)).toEqual([255, 0, 90]);
  });

  it('returns an unchanged copy for an empty mask and throws on size mismatch', () => {
    const out = maskOverlay(image, clearMask(w, h));
    expect(out.data).toEqual(image.data);
    expect(out.data).not.toBe(image.data);
    expect(() => maskOverlay(image, createMask(4, 4))).toThrow(/30x20.*4x4/);
  });
});

describe('beforeAfter', () => {
  it('puts images side by side with a grey gap', () => {
    const a = gradient(5, 4);
    const b = gradient(6, 4);
    const out = beforeAfter(a, b);
    expect(out.width).toBe(5 + 8 + 6);
    expect(out.height).toBe(4);
    expect(px(out, 2, 3)).toEqual(px(a, 2, 3));
    expect(px(out, 13 + 4, 1)).toEqual(px(b, 4, 1));
    for (let x = 5; x < 13; x++) expect(px(out, x, 2)).toEqual([GAP_GREY, GAP_GREY, GAP_GREY]);
  });

  it('letterboxes the shorter image, centred, without scaling', () => {
    const a = gradient(4, 10);
    const b = gradient(3, 4);
    const out = beforeAfter(a, b, 2);
    expect(out.width).toBe(9);
    expect(out.height).toBe(10);
    const top = 3; // (10 - 4) / 2
    for (let y = 0; y < 10; y++) {
      for (let x = 0; x < 3; x++) {
        const want = y >= top && y < top + 4 ? px(b, x, y - top) : [GAP_GREY, GAP_GREY, GAP_GREY];
        expect(px(out, 6 + x, y)).toEqual(want);
      }
      expect(px(out, 0, y)).toEqual(px(a, 0, y));
    }
  });

  it('supports gap 0 and rejects negative gaps', () => {
    const out = beforeAfter(gradient(2, 2), gradient(2, 2), 0);
    expect(out.width).toBe(4);
    expect(() => beforeAfter(gradient(2, 2), gradient(2, 2), -1)).toThrow(RangeError);
  });
});
