import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Box } from '../../src/contracts.ts';
import { isBrushtalkError } from '../../src/errors.ts';
import { boxMask, ellipseMask, growMask, intersectMask, shrinkMask, unionMask } from '../../src/images/mask-ops.ts';
import type { Mask, RgbImage } from '../../src/images/raster.ts';
import { createRgb } from '../../src/images/raster.ts';
import { createEmbeddingCache, embeddingKey } from '../../src/vision/embedding-cache.ts';
import type { ImageEmbedding, Segmenter } from '../../src/vision/segmenter.ts';
import { loadSegmenter } from '../../src/vision/segmenter.ts';
import { POINT_RADIUS, writeTinySam } from '../helpers/tiny-sam.ts';

function image(width: number, height: number): RgbImage {
  const img = createRgb(width, height);
  for (let i = 0; i < width * height; i++) {
    img.data[i * 3] = (i * 7) % 256;
    img.data[i * 3 + 1] = (i >> 3) % 256;
    img.data[i * 3 + 2] = 128;
  }
  return img;
}

/** Mask equals `expected` up to `px` pixels at its boundary: inside the grown, covering the shrunk. */
function expectCloseTo(mask: Mask, expected: Mask, px: number): void {
  const outer = growMask(expected, px);
  const inner = shrinkMask(expected, px);
  let outside = 0;
  let missing = 0;
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] && !outer.data[i]) outside++;
    if (!mask.data[i] && inner.data[i]) missing++;
  }
  expect({ outside, missing }).toEqual({ outside: 0, missing: 0 });
}

function differing(a: Mask, b: Mask): number {
  let n = 0;
  for (let i = 0; i < a.data.length; i++) if ((a.data[i] !== 0) !== (b.data[i] !== 0)) n++;
  return n;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

const MODEL = 'test/tiny-sam';
const POINTS_MODEL = 'test/tiny-sam-points';
let weightsDir: string;
let segmenter: Segmenter;
let pointsSegmenter: Segmenter;
const timings: Record<string, number[]> = { embed: [], segment: [] };

async function timed<T>(kind: 'embed' | 'segment', run: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await run();
  timings[kind].push(performance.now() - t0);
  return out;
}

beforeAll(async () => {
  weightsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-sam-'));
  writeTinySam(weightsDir, MODEL);
  writeTinySam(weightsDir, POINTS_MODEL, { withBoxes: false });
  segmenter = await loadSegmenter(weightsDir, MODEL);
  pointsSegmenter = await loadSegmenter(weightsDir, POINTS_MODEL);
});

afterAll(async () => {
  await segmenter?.dispose();
  await pointsSegmenter?.dispose();
  fs.rmSync(weightsDir, { recursive: true, force: true });
  const med = (xs: number[]): string => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)].toFixed(1) : '-');
  console.info(`tiny SAM timings (median ms): embed ${med(timings.embed)} (n=${timings.embed.length}), segment ${med(timings.segment)} (n=${timings.segment.length})`);
});

describe('segmenter on the tiny SAM model', () => {
  it('returns the box as the mask on a non-square image smaller than 1024', async () => {
    const img = image(300, 200);
    const emb = await timed('embed', () => segmenter.embed(img));
    expect(emb.originalSize).toEqual([200, 300]);
    expect(emb.reshapedSize).toEqual([682, 1024]); // transformers.js floors 682.67 (Python SAM rounds)
    const box: Box = { x: 40, y: 30, w: 120, h: 90 };
    const { mask, score } = await timed('segment', () => segmenter.segment(emb, { boxes: [box] }));
    expect([mask.width, mask.height]).toEqual([300, 200]);
    expect(score).toBeCloseTo(0.95, 5); // the exact candidate, not the grown (0.70) or shrunk (0.40) one
    expectCloseTo(mask, boxMask(300, 200, box), 1);
    expect(differing(mask, boxMask(300, 200, box))).toBeLessThanOrEqual(2 * (120 + 90));
  });

  it('scales boxes correctly on an image larger than 1024 (portrait)', async () => {
    const img = image(700, 1300);
    const emb = await timed('embed', () => segmenter.embed(img));
    expect(emb.reshapedSize).toEqual([1024, 551]);
    const box: Box = { x: 333, y: 901, w: 250, h: 317 };
    const { mask } = await timed('segment', () => segmenter.segment(emb, { boxes: [box] }));
    expectCloseTo(mask, boxMask(700, 1300, box), 2);
  });

  it('unions several boxes and clips boxes that overhang the image', async () => {
    const img = image(320, 240);
    const emb = await segmenter.embed(img);
    const a: Box = { x: 10, y: 10, w: 60, h: 50 };
    const b: Box = { x: 250, y: 150, w: 200, h: 200 }; // overhangs right and bottom
    const { mask } = await timed('segment', () => segmenter.segment(emb, { boxes: [a, b] }));
    expectCloseTo(mask, unionMask(boxMask(320, 240, a), boxMask(320, 240, b)), 1);
  });

  it('adds positive points to a box prompt on a decoder that takes boxes', async () => {
    const img = image(512, 256); // scale 2 to the 1024 space: disc radius 24 px in the original
    const emb = await segmenter.embed(img);
    const box: Box = { x: 0, y: 0, w: 100, h: 100 };
    const { mask } = await segmenter.segment(emb, { boxes: [box], points: [{ x: 300, y: 128, positive: true }, { x: 450, y: 60, positive: false }] });
    expect(mask.data[128 * 512 + 300]).toBe(1);
    expect(mask.data[128 * 512 + 300 + POINT_RADIUS / 2 - 2]).toBe(1);
    expect(mask.data[128 * 512 + 300 + POINT_RADIUS / 2 + 2]).toBe(0);
    expect(mask.data[60 * 512 + 450]).toBe(0); // negative points add nothing
    expect(mask.data[50 * 512 + 50]).toBe(1);
  });

  it('segments point prompts on a points-only decoder (optimum-style export)', async () => {
    const img = image(512, 256);
    const emb = await pointsSegmenter.embed(img);
    const { mask } = await pointsSegmenter.segment(emb, { points: [{ x: 200, y: 100, positive: true }] });
    const r = POINT_RADIUS / 2;
    let area = 0;
    for (const v of mask.data) area += v;
    expect(area).toBeGreaterThan(Math.PI * (r - 1.5) ** 2);
    expect(area).toBeLessThan(Math.PI * (r + 1.5) ** 2);
    expect(mask.data[100 * 512 + 200]).toBe(1);
  });

  it('turns a box into a centre point clipped to the box on a points-only decoder', async () => {
    const img = image(512, 256);
    const emb = await pointsSegmenter.embed(img);
    const box: Box = { x: 100, y: 100, w: 30, h: 100 }; // narrower than the disc: the clip must show
    const { mask } = await pointsSegmenter.segment(emb, { boxes: [box] });
    const r = POINT_RADIUS / 2;
    const disc = ellipseMask(512, 256, { x: 115 - r, y: 150 - r, w: 2 * r, h: 2 * r });
    expectCloseTo(mask, intersectMask(disc, boxMask(512, 256, box)), 1);
  });

  it('refuses prompts it cannot run, naming the problem', async () => {
    const emb = await segmenter.embed(image(64, 48));
    for (const prompt of [{}, { boxes: [{ x: 5, y: 5, w: 0, h: 10 }] }, { boxes: [{ x: 500, y: 500, w: 10, h: 10 }] }, { points: [{ x: 1, y: 1, positive: false }] }]) {
      const err = await rejection(segmenter.segment(emb, prompt));
      expect(isBrushtalkError(err) && err.code).toBe('vision.bad_prompt');
    }
    // Points alone on a decoder whose input_boxes is required.
    const err = await rejection(segmenter.segment(emb, { points: [{ x: 10, y: 10, positive: true }] }));
    expect(isBrushtalkError(err) && err.code).toBe('vision.bad_prompt');
    // An embedding from another model.
    const other = await rejection(pointsSegmenter.segment(emb, { points: [{ x: 10, y: 10, positive: true }] }));
    expect(isBrushtalkError(other) && other.code).toBe('vision.failed');
  });

  it('reports a missing or non-SAM model folder as a weights error', async () => {
    const missing = await rejection(loadSegmenter(weightsDir, 'nope/absent'));
    expect(isBrushtalkError(missing) && missing.code).toBe('weights.missing');
    const wrong = path.join(weightsDir, 'test', 'not-sam');
    fs.mkdirSync(wrong, { recursive: true });
    fs.writeFileSync(path.join(wrong, 'config.json'), JSON.stringify({ model_type: 'owlv2' }));
    const notSam = await rejection(loadSegmenter(weightsDir, 'test/not-sam'));
    expect(isBrushtalkError(notSam) && notSam.code).toBe('weights.corrupt');
  });

  it('produces an embedding that survives structuredClone and still segments identically', async () => {
    const emb = await segmenter.embed(image(300, 200));
    const clone: ImageEmbedding = structuredClone(emb);
    expect(clone.imageEmbeddings.data).toBeInstanceOf(Float32Array);
    expect(clone).toEqual(emb);
    const box: Box = { x: 20, y: 20, w: 100, h: 60 };
    const a = await segmenter.segment(emb, { boxes: [box] });
    const b = await segmenter.segment(clone, { boxes: [box] });
    expect(b.mask.data).toEqual(a.mask.data);
  });
});

describe('embedding cache', () => {
  function counting(img: RgbImage): { compute: () => Promise<ImageEmbedding>; calls: () => number } {
    let n = 0;
    return {
      compute: () => {
        n++;
        return timed('embed', () => segmenter.embed(img));
      },
      calls: () => n,
    };
  }

  it('computes once, then serves memory, then disk from a new instance on the same dir', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-embcache-'));
    const img = image(300, 200);
    const enc = counting(img);
    const key = embeddingKey('blob-1', MODEL);
    const cache = createEmbeddingCache({ dir, maxEntries: 4 });
    const first = await cache.getOrCompute(key, enc.compute);
    expect(first.source).toBe('computed');
    const second = await cache.getOrCompute(key, enc.compute);
    expect(second.source).toBe('memory');
    expect(enc.calls()).toBe(1);
    const files = fs.readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{64}\.bin$/);

    const fresh = createEmbeddingCache({ dir, maxEntries: 4 });
    const third = await fresh.getOrCompute(key, enc.compute);
    expect(third.source).toBe('disk');
    expect(enc.calls()).toBe(1);
    expect(third.embedding).toEqual(first.embedding);
    const box: Box = { x: 40, y: 30, w: 120, h: 90 };
    const fromDisk = await segmenter.segment(third.embedding, { boxes: [box] });
    const fromMemory = await segmenter.segment(first.embedding, { boxes: [box] });
    expect(fromDisk.mask.data).toEqual(fromMemory.mask.data);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('recomputes when the disk file is corrupted or truncated', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-embcache-'));
    const enc = counting(image(120, 90));
    const key = embeddingKey('blob-2', MODEL);
    const errors: string[] = [];
    await createEmbeddingCache({ dir, maxEntries: 2 }).getOrCompute(key, enc.compute);
    const file = path.join(dir, fs.readdirSync(dir)[0]);

    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 5] ^= 0xff; // flip bits in the float data: only the checksum notices
    fs.writeFileSync(file, bytes);
    const afterFlip = await createEmbeddingCache({ dir, maxEntries: 2, onError: (_e, c) => errors.push(c) }).getOrCompute(key, enc.compute);
    expect(afterFlip.source).toBe('computed');
    expect(enc.calls()).toBe(2);

    fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
    const afterTruncate = await createEmbeddingCache({ dir, maxEntries: 2, onError: (_e, c) => errors.push(c) }).getOrCompute(key, enc.compute);
    expect(afterTruncate.source).toBe('computed');
    expect(enc.calls()).toBe(3);
    expect(errors.filter((c) => c.startsWith('ignoring corrupt'))).toHaveLength(2);

    fs.writeFileSync(file, 'not a cache file');
    expect((await createEmbeddingCache({ dir, maxEntries: 2 }).getOrCompute(key, enc.compute)).source).toBe('computed');
    // The rewritten file is good again, and no temp files are left behind.
    expect((await createEmbeddingCache({ dir, maxEntries: 2 }).getOrCompute(key, enc.compute)).source).toBe('disk');
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('computes once for concurrent calls on one key, separately per key, and evicts LRU from memory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-embcache-'));
    const enc = counting(image(200, 100));
    const cache = createEmbeddingCache({ dir, maxEntries: 1 });
    const keyA = embeddingKey('blob-a', MODEL);
    const keyB = embeddingKey('blob-b', MODEL);
    const results = await Promise.all(Array.from({ length: 5 }, () => cache.getOrCompute(keyA, enc.compute)));
    expect(enc.calls()).toBe(1);
    expect(new Set(results.map((r) => r.embedding)).size).toBe(1);
    await cache.getOrCompute(keyB, enc.compute);
    expect(enc.calls()).toBe(2);
    // maxEntries 1: A was evicted from memory but is still on disk.
    expect((await cache.getOrCompute(keyA, enc.compute)).source).toBe('disk');
    expect(enc.calls()).toBe(2);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shares a failed computation with all waiters and does not cache it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-embcache-'));
    const cache = createEmbeddingCache({ dir, maxEntries: 2 });
    let n = 0;
    const failing = async (): Promise<ImageEmbedding> => {
      n++;
      throw new Error('encoder down');
    };
    const key = embeddingKey('blob-x', MODEL);
    const settled = await Promise.allSettled([cache.getOrCompute(key, failing), cache.getOrCompute(key, failing)]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(n).toBe(1);
    const enc = counting(image(50, 50));
    expect((await cache.getOrCompute(key, enc.compute)).source).toBe('computed');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
