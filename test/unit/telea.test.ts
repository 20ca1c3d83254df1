import { describe, expect, it } from 'vitest';
import { inpaintTelea } from '../../src/engines/telea.ts';
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

function pixel(image: RgbImage, x: number, y: number): Rgb {
  const i = (y * image.width + x) * 3;
  return [image.data[i], image.data[i + 1], image.data[i + 2]];
}

/** Mean absolute error over the hole's pixels, all channels. */
function holeError(result: RgbImage, truth: RgbImage, hole: Mask): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < hole.data.length; i++) {
    if (!hole.data[i]) continue;
    for (let c = 0; c < 3; c++) sum += Math.abs(result.data[i * 3 + c] - truth.data[i * 3 + c]);
    count += 3;
  }
  return sum / count;
}

function expectOutsideUnchanged(result: RgbImage, original: RgbImage, hole: Mask): void {
  let changed = 0;
  for (let i = 0; i < hole.data.length; i++) {
    if (hole.data[i]) continue;
    for (let c = 0; c < 3; c++) if (result.data[i * 3 + c] !== original.data[i * 3 + c]) changed++;
  }
  expect(changed).toBe(0);
}

const W = 128;
const H = 96;
const ramp = paint(W, H, (x) => {
  const v = Math.round(40 + x * 1.2);
  return [v, v, Math.round(200 - x)];
});
const square = holeWhere(W, H, (x, y) => x >= 44 && x < 84 && y >= 28 && y < 68);

describe('inpaintTelea', () => {
  it('continues a smooth horizontal gradient through a central hole', () => {
    const result = inpaintTelea(ramp, square);
    expect(holeError(result, ramp, square)).toBeLessThan(4);
    // Not a flat patch: the filled left half is darker than the right half, as the ramp is.
    let left = 0;
    let right = 0;
    for (let y = 28; y < 68; y++) {
      for (let x = 44; x < 64; x++) left += pixel(result, x, y)[0];
      for (let x = 64; x < 84; x++) right += pixel(result, x, y)[0];
    }
    expect((right - left) / (40 * 20)).toBeGreaterThan(15); // the true ramp differs by 24
  });

  it('leaves every pixel outside the hole bit-identical', () => {
    expectOutsideUnchanged(inpaintTelea(ramp, square), ramp, square);
  });

  it('keeps each colour on its own side of an edge crossing the hole', () => {
    const red: Rgb = [200, 30, 30];
    const blue: Rgb = [30, 30, 200];
    const split = paint(W, H, (x) => (x < 64 ? red : blue));
    const result = inpaintTelea(split, square);
    expectOutsideUnchanged(result, split, square);
    // Away from the edge (more than the radius), each side is filled with its own colour, no halo.
    for (let y = 28; y < 68; y += 3) {
      for (let x = 44; x < 58; x += 2) pixel(result, x, y).forEach((v, c) => expect(Math.abs(v - red[c])).toBeLessThanOrEqual(12));
      for (let x = 70; x < 84; x += 2) pixel(result, x, y).forEach((v, c) => expect(Math.abs(v - blue[c])).toBeLessThanOrEqual(12));
    }
    // No halo: extrapolating the edge's own gradient would push pixels beside it to 255 / 0.
    for (let i = 0; i < result.data.length; i += 3) {
      for (const c of [0, 2]) {
        expect(result.data[i + c]).toBeLessThanOrEqual(208);
        expect(result.data[i + c]).toBeGreaterThanOrEqual(22);
      }
      expect(result.data[i + 1]).toBe(30);
    }
  });

  it('fills a hole touching the image border and corner', () => {
    const corner = holeWhere(W, H, (x, y) => x < 20 && y < 30);
    const edge = holeWhere(W, H, (x, y) => x >= 50 && x < 70 && y >= H - 12);
    for (const hole of [corner, edge]) {
      const result = inpaintTelea(ramp, hole);
      expectOutsideUnchanged(result, ramp, hole);
      expect(holeError(result, ramp, hole)).toBeLessThan(4);
    }
  });

  it('does not mutate its inputs', () => {
    const image = paint(W, H, (x, y) => [x, y, (x * y) & 255]);
    const imageCopy = Uint8Array.from(image.data);
    const holeCopy = Uint8Array.from(square.data);
    const result = inpaintTelea(image, square);
    expect(image.data).toEqual(imageCopy);
    expect(square.data).toEqual(holeCopy);
    expect(result.data).not.toBe(image.data);
  });

  it('treats any non-zero mask byte as hole (255-valued masks from decoders)', () => {
    const hole255: Mask = { width: W, height: H, data: square.data.map((v) => v * 255) };
    expect(inpaintTelea(ramp, hole255).data).toEqual(inpaintTelea(ramp, square).data);
  });

  it('reports progress non-decreasing, throttled, ending with exactly one 1', () => {
    const seen: number[] = [];
    inpaintTelea(ramp, square, { onProgress: (f) => seen.push(f), progressEvery: 0.05 });
    expect(seen.length).toBeGreaterThanOrEqual(10);
    expect(seen.length).toBeLessThanOrEqual(22);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    expect(seen.at(-1)).toBe(1);
    expect(seen.filter((f) => f === 1)).toHaveLength(1);
    expect(seen.every((f) => f > 0 && f <= 1)).toBe(true);
  });

  it('stops early when shouldStop returns true', () => {
    const big = paint(256, 256, (x, y) => [x, y, 128]);
    const hole = holeWhere(256, 256, (x, y) => Math.abs(x - 128) < 80 && Math.abs(y - 128) < 80);
    const seen: number[] = [];
    let polls = 0;
    const run = () =>
      inpaintTelea(big, hole, {
        onProgress: (f) => seen.push(f),
        shouldStop: () => ++polls > 3,
      });
    expect(run).toThrow(expect.objectContaining({ name: 'AbortError' }));
    expect(polls).toBe(4);
    expect(Math.max(0, ...seen)).toBeLessThan(0.2);
  });

  it('returns an unchanged copy for an empty hole', () => {
    const seen: number[] = [];
    const result = inpaintTelea(ramp, holeWhere(W, H, () => false), { onProgress: (f) => seen.push(f) });
    expect(result.data).toEqual(ramp.data);
    expect(result.data).not.toBe(ramp.data);
    expect(seen).toEqual([1]);
  });

  it('returns mid-grey when the hole covers every pixel (nothing to fill from)', () => {
    const result = inpaintTelea(ramp, holeWhere(W, H, () => true));
    expect(result.data.every((v) => v === 128)).toBe(true);
  });

  it('fills a one-pixel hole from its neighbours', () => {
    const flat = paint(9, 9, () => [10, 20, 30]);
    const result = inpaintTelea(flat, holeWhere(9, 9, (x, y) => x === 4 && y === 4));
    expect(pixel(result, 4, 4)).toEqual([10, 20, 30]);
  });

  it('names the bad value when sizes disagree', () => {
    expect(() => inpaintTelea(ramp, holeWhere(W - 1, H, () => false))).toThrow(/hole is 127x96, image is 128x96/);
    expect(() => inpaintTelea({ width: 2, height: 2, data: new Uint8Array(5) }, holeWhere(2, 2, () => false))).toThrow(/5 bytes/);
    expect(() => inpaintTelea(ramp, square, { radius: Number.NaN })).toThrow(/radius/);
  });
});
