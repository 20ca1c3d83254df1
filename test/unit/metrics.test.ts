import { describe, expect, it } from 'vitest';
import type { Mask, RgbImage } from '../../src/images/raster.ts';
import { createMask, createRgb } from '../../src/images/raster.ts';
import { backgroundMetrics } from '../../src/images/metrics.ts';
import { boxMask, clearMask, fullMask } from '../../src/images/mask-ops.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Smooth-ish test picture with some texture, values kept in 20..235 so ±offsets do not clip. */
function picture(w: number, h: number, seed: number): RgbImage {
  const rand = rng(seed);
  const img = createRgb(w, h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      img.data[i] = 20 + Math.floor(((x * 7 + y * 3) % 160) + rand() * 20);
      img.data[i + 1] = 20 + Math.floor(((x * 2 + y * 9) % 150) + rand() * 30);
      img.data[i + 2] = 20 + Math.floor(((x + y) % 100) + rand() * 60);
    }
  }
  return img;
}

function withNoise(img: RgbImage, amplitude: number, seed: number): RgbImage {
  const rand = rng(seed);
  const out = createRgb(img.width, img.height);
  for (let i = 0; i < img.data.length; i++) {
    out.data[i] = Math.max(0, Math.min(255, img.data[i] + Math.round((rand() * 2 - 1) * amplitude)));
  }
  return out;
}

/** Direct per-pixel masked SSIM: clipped 11×11 Gaussian window over kept pixels, renormalised. */
function naiveSsim(a: RgbImage, b: RgbImage, hole: Mask): number {
  const { width: w, height: h } = a;
  const g: number[] = [];
  let gs = 0;
  for (let i = -5; i <= 5; i++) {
    g.push(Math.exp(-(i * i) / (2 * 1.5 * 1.5)));
    gs += g[g.length - 1];
  }
  const luma = (img: RgbImage, p: number) =>
    0.299 * img.data[p * 3] + 0.587 * img.data[p * 3 + 1] + 0.114 * img.data[p * 3 + 2];
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let total = 0;
  let n = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (hole.data[y * w + x]) continue;
      let sw = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
      for (let dy = -5; dy <= 5; dy++) {
        for (let dx = -5; dx <= 5; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h || hole.data[yy * w + xx]) continue;
          const k = (g[dx + 5] / gs) * (g[dy + 5] / gs);
          const p = yy * w + xx;
          const u = luma(a, p);
          const v = luma(b, p);
          sw += k;
          sx += k * u;
          sy += k * v;
          sxx += k * u * u;
          syy += k * v * v;
          sxy += k * u * v;
        }
      }
      const mx = sx / sw;
      const my = sy / sw;
      const vx = sxx / sw - mx * mx;
      const vy = syy / sw - my * my;
      const cxy = sxy / sw - mx * my;
      total += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      n++;
    }
  }
  return total / n;
}

describe('backgroundMetrics', () => {
  const w = 48;
  const h = 40;
  const original = picture(w, h, 1);
  const hole = boxMask(w, h, { x: 12, y: 10, w: 18, h: 14 });

  it('identical images give mse 0, psnr Infinity, ssim 1', () => {
    const m = backgroundMetrics(original, { ...original, data: original.data.slice() }, hole);
    expect(m.mse).toBe(0);
    expect(m.psnr).toBe(Infinity);
    expect(m.ssim).toBe(1);
    expect(m.pixels).toBe(w * h - 18 * 14);
  });

  it('changes only inside the hole do not move any metric', () => {
    const result = withNoise(original, 12, 2);
    const base = backgroundMetrics(original, result, hole);
    const scribbled = { ...result, data: result.data.slice() };
    const rand = rng(3);
    for (let p = 0; p < w * h; p++) {
      if (hole.data[p]) for (let c = 0; c < 3; c++) scribbled.data[p * 3 + c] = Math.floor(rand() * 256);
    }
    // also the original's hole content must not matter
    const original2 = { ...original, data: original.data.slice() };
    for (let p = 0; p < w * h; p++) if (hole.data[p]) original2.data[p * 3] = 0;
    expect(backgroundMetrics(original, scribbled, hole)).toEqual(base);
    expect(backgroundMetrics(original2, scribbled, hole)).toEqual(base);
    expect(backgroundMetrics(original, { ...original, data: scribbled.data.map((v, i) => (hole.data[Math.floor(i / 3)] ? v : original.data[i])) }, hole).ssim).toBe(1);
  });

  it('a uniform +10 offset outside the hole gives mse 100 and psnr ≈ 28.13', () => {
    const shifted = createRgb(w, h);
    for (let i = 0; i < shifted.data.length; i++) shifted.data[i] = original.data[i] + 10;
    const m = backgroundMetrics(original, shifted, hole);
    expect(m.mse).toBe(100);
    expect(m.psnr).toBeCloseTo(28.1308, 3);
    expect(m.ssim).toBeLessThan(1);
    expect(m.ssim).toBeGreaterThan(0.95); // structure intact, only luminance moved
  });

  it('ssim decreases as noise grows', () => {
    const values = [2, 8, 25, 70].map((a) => backgroundMetrics(original, withNoise(original, a, 9), hole));
    for (let i = 1; i < values.length; i++) {
      expect(values[i].ssim).toBeLessThan(values[i - 1].ssim);
      expect(values[i].psnr).toBeLessThan(values[i - 1].psnr);
      expect(values[i].mse).toBeGreaterThan(values[i - 1].mse);
    }
    expect(values[0].ssim).toBeLessThan(1);
  });

  it('ssim matches a direct per-pixel masked reference', () => {
    const rand = rng(4);
    const mask = createMask(w, h);
    for (let i = 0; i < mask.data.length; i++) mask.data[i] = rand() < 0.3 ? 1 : 0;
    const result = withNoise(original, 30, 5);
    expect(backgroundMetrics(original, result, mask).ssim).toBeCloseTo(naiveSsim(original, result, mask), 6);
    expect(backgroundMetrics(original, result, clearMask(w, h)).ssim).toBeCloseTo(
      naiveSsim(original, result, clearMask(w, h)),
      6,
    );
  });

  it('a full hole gives pixels 0 and NaN-free values', () => {
    const m = backgroundMetrics(original, withNoise(original, 50, 6), fullMask(w, h));
    expect(m).toEqual({ mse: 0, psnr: Infinity, ssim: 1, pixels: 0 });
  });

  it('throws naming sizes on mismatch', () => {
    expect(() => backgroundMetrics(original, createRgb(w + 1, h), hole)).toThrow(/48x40.*49x40/);
    expect(() => backgroundMetrics(original, original, createMask(3, 3))).toThrow(/3x3/);
  });
});
