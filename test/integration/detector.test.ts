import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Box } from '../../src/contracts.ts';
import { BrushtalkError } from '../../src/errors.ts';
import type { RgbImage } from '../../src/images/raster.ts';
import { cascade, nms } from '../../src/vision/detections.ts';
import { groundingQuery, loadDetector, type Detector } from '../../src/vision/detector.ts';
import { tempDataDir } from '../helpers/env.ts';
import { decoys, tinyDetectorId, writeTinyDetector } from '../helpers/tiny-detector.ts';

/** A dark picture with a white rectangle: the tiny model's top query boxes the bright region. */
function squareOn(width: number, height: number, square: Box | null): RgbImage {
  const data = new Uint8Array(width * height * 3).fill(25);
  if (square) {
    for (let y = square.y; y < square.y + square.h; y++) data.fill(250, (y * width + square.x) * 3, (y * width + square.x + square.w) * 3);
  }
  return { width, height, data };
}

function expectNear(actual: Box, expected: Box, tolerance: number) {
  for (const key of ['x', 'y', 'w', 'h'] as const) {
    expect(Math.abs(actual[key] - expected[key]), `${key}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`).toBeLessThanOrEqual(tolerance);
  }
}

async function errorOf(promise: Promise<unknown>): Promise<BrushtalkError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BrushtalkError);
    return error as BrushtalkError;
  }
  throw new Error('expected an error');
}

const temp = tempDataDir();
let detector: Detector;
beforeAll(async () => {
  writeTinyDetector(temp.dir);
  detector = await loadDetector(temp.dir, tinyDetectorId);
});
afterAll(async () => {
  await detector?.dispose();
  temp.cleanup();
});

describe('loadDetector on a tiny Grounding DINO–contract model', () => {
  it('reads the family from config.json', () => {
    expect(detector).toMatchObject({ modelId: tinyDetectorId, family: 'grounding-dino' });
  });

  // Landscape 200×120 is resized to 107×64 and portrait 90×240 to 48×128 inside the processor: the boxes must
  // come back in the original picture's pixels, x with width and y with height.
  it.each([
    { width: 200, height: 120, square: { x: 50, y: 30, w: 40, h: 40 } },
    { width: 200, height: 120, square: { x: 130, y: 70, w: 50, h: 30 } },
    { width: 90, height: 240, square: { x: 20, y: 150, w: 40, h: 60 } },
    { width: 90, height: 240, square: { x: 5, y: 10, w: 30, h: 20 } },
  ])('boxes a white rectangle at $square.x,$square.y on a $width×$height picture', async ({ width, height, square }) => {
    const candidates = await detector.detect(squareOn(width, height, square), 'white square');
    expect(candidates[0].score).toBeGreaterThan(0.95);
    expectNear(candidates[0].box, square, 3);
    expect(candidates.map((c) => c.score)).toEqual([...candidates.map((c) => c.score)].sort((a, b) => b - a));
    for (const { box } of candidates) {
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.y).toBeGreaterThanOrEqual(0);
      expect(box.x + box.w).toBeLessThanOrEqual(width);
      expect(box.y + box.h).toBeLessThanOrEqual(height);
    }
  });

  it('moves the box when the square moves', async () => {
    const a = await detector.detect(squareOn(200, 120, { x: 10, y: 10, w: 30, h: 30 }), 'square');
    const b = await detector.detect(squareOn(200, 120, { x: 150, y: 80, w: 30, h: 30 }), 'square');
    expect(b[0].box.x - a[0].box.x).toBeGreaterThan(135);
    expect(b[0].box.y - a[0].box.y).toBeGreaterThan(65);
  });

  it('returns every candidate above the floor so the caller can run the cascade and NMS', async () => {
    const candidates = await detector.detect(squareOn(200, 120, { x: 50, y: 30, w: 40, h: 40 }), 'dog');
    expect(candidates.map((c) => c.score)).toEqual([expect.closeTo(0.982, 3), expect.closeTo(0.5, 3), expect.closeTo(0.2, 3), expect.closeTo(0.03, 3), expect.closeTo(0.03, 3)]);
    const found = cascade(nms(candidates));
    expect(found.threshold).toBe(0.3);
    expect(found.detections).toHaveLength(1); // the 0.5 duplicate of the best box is suppressed
    expect(nms(candidates)).toHaveLength(4);
  });

  it('with nothing bright, the cascade walks down to the medium decoy (0.2 → threshold 0.15)', async () => {
    const candidates = await detector.detect(squareOn(200, 120, null), 'dog');
    const found = cascade(nms(candidates));
    expect(found.threshold).toBe(0.15);
    expect(found.detections).toHaveLength(1);
    // cx,cy,w,h = 0.85,0.9,0.2,0.3 normalised: x 0.75–0.95 of 200, y 0.75–1.05 of 120, clipped at the bottom.
    expect(decoys.medium.box).toEqual([0.85, 0.9, 0.2, 0.3]);
    expect(found.detections[0].box).toEqual({ x: 150, y: 90, w: 40, h: 30 });
  });

  it('sends the phrase through the tokenizer: lower-cased words become the label, unknown words still match', async () => {
    const image = squareOn(120, 120, { x: 40, y: 40, w: 30, h: 30 });
    expect((await detector.detect(image, 'The WHITE Square'))[0]).toMatchObject({ label: 'the white square' });
    expect((await detector.detect(image, 'dog.'))[0]).toMatchObject({ label: 'dog' });
    const unknown = await detector.detect(image, 'zebra');
    expect(unknown[0].score).toBeGreaterThan(0.95); // [UNK] is still a word token to the graph
    expect(unknown[0].label).toBe('zebra');
    // Only punctuation: no word tokens reach the graph, so the bright box gets no score at all.
    const none = await detector.detect(image, '...');
    expect(none.every((c) => c.score < 0.25)).toBe(true);
  });

  it('builds the query as BrushEdit does and refuses an empty phrase', async () => {
    expect(groundingQuery('  The Dog ')).toBe('the dog.');
    expect(groundingQuery('cat.')).toBe('cat.');
    expect((await errorOf(detector.detect(squareOn(20, 20, null), '  '))).code).toBe('command.bad_arguments');
  });

  it('loads the same folder twice; disposing one leaves the other working', async () => {
    const second = await loadDetector(temp.dir, tinyDetectorId);
    const image = squareOn(100, 60, { x: 20, y: 20, w: 20, h: 20 });
    expect((await second.detect(image, 'dog'))[0].box).toEqual((await detector.detect(image, 'dog'))[0].box);
    await second.dispose();
    expect((await detector.detect(image, 'dog'))[0].score).toBeGreaterThan(0.95);
  });
});

describe('loadDetector on a tiny OWLv2-contract model', () => {
  it('loads without an Owlv2Processor class, pads to a square as OWLv2 expects, and boxes in original pixels', async () => {
    writeTinyDetector(temp.dir, 'tiny-owlv2', { family: 'owlv2' });
    const owl = await loadDetector(temp.dir, 'tiny-owlv2');
    try {
      expect(owl.family).toBe('owlv2');
      for (const [width, height, square] of [
        [200, 120, { x: 130, y: 70, w: 50, h: 30 }],
        [90, 240, { x: 20, y: 150, w: 40, h: 60 }],
      ] as const) {
        const candidates = await owl.detect(squareOn(width, height, square), 'White Square');
        expect(candidates[0]).toMatchObject({ label: 'White Square', score: expect.closeTo(0.982, 3) });
        expectNear(candidates[0].box, square, 4); // a 64×64 square frame: one input pixel is ~3–4 picture pixels
      }
    } finally {
      await owl.dispose();
    }
  });
});

describe('loadDetector failures', () => {
  it('a missing folder says which model and how to get it', async () => {
    const error = await errorOf(loadDetector(temp.dir, 'grounding-dino-tiny'));
    expect(error.code).toBe('weights.missing');
    expect(error.userMessage).toMatch(/"grounding-dino-tiny" is not installed/);
    expect(error.userMessage).toMatch(/weights pull grounding-dino-tiny/);
  });

  it('a folder without tokenizer_config.json is refused up front, not at the first detect', async () => {
    const dir = writeTinyDetector(temp.dir, 'no-tokenizer-config');
    fs.rmSync(path.join(dir, 'tokenizer_config.json'));
    const error = await errorOf(loadDetector(temp.dir, 'no-tokenizer-config'));
    expect(error.code).toBe('weights.missing');
    expect(error.userMessage).toMatch(/tokenizer_config\.json/);
  });

  it('a model that is not an open-vocabulary detector, or a broken graph, is a vision failure', async () => {
    const dir = writeTinyDetector(temp.dir, 'not-a-detector');
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'bert' }));
    expect(await errorOf(loadDetector(temp.dir, 'not-a-detector'))).toMatchObject({ code: 'vision.failed', userMessage: expect.stringMatching(/model_type "bert"/) });

    const broken = writeTinyDetector(temp.dir, 'broken-graph');
    fs.writeFileSync(path.join(broken, 'onnx', 'model.onnx'), 'not a model');
    expect(await errorOf(loadDetector(temp.dir, 'broken-graph'))).toMatchObject({ code: 'vision.failed', userMessage: expect.stringMatching(/could not be loaded/) });
  });
});
