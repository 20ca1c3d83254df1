/**
 * An edit renders on the hole's box, not on full-size copies: the picture is the only full-size raster it holds
 * (a 40-megapixel edit must stay under 1 GiB), and what it produces is exactly what blending, measuring and
 * drawing the previews at full size gives.
 */
import { describe, expect, it, vi } from 'vitest';
import type { InpaintEngine } from '../../src/engines/engine.ts';
import { renderEdit, keepBytes, type RenderedPng } from '../../src/edit/run-edit.ts';
import { blendImages, featherRegion } from '../../src/images/blend.ts';
import * as codec from '../../src/images/codec.ts';
import { boxMask, ellipseMask } from '../../src/images/mask-ops.ts';
import { backgroundMetrics } from '../../src/images/metrics.ts';
import { beforeAfter, maskOverlay } from '../../src/images/preview.ts';
import type { Mask, RgbImage } from '../../src/images/raster.ts';
import { defaultSizePolicy } from '../../src/images/size.ts';
import type { EditJobSpec } from '../../src/session/session.ts';
import { readRgb, testPicture } from '../helpers/images.ts';

vi.mock('../../src/images/codec.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/images/codec.ts')>();
  return { ...actual, resizeRgb: vi.fn(actual.resizeRgb), encodeComposedPng: vi.fn(actual.encodeComposedPng), encodePng: vi.fn(actual.encodePng) };
});

/** A deterministic "generative" engine that changes every pixel, so any leak outside the blend would show. */
const scramble: InpaintEngine = {
  name: 'scramble',
  generative: true,
  deterministic: true,
  sizePolicy: defaultSizePolicy,
  async inpaint(request) {
    return { image: { ...request.image, data: request.image.data.map((v, i) => (v * 7 + i) & 255) }, info: {} };
  },
  async close() {},
};

const spec = (blend: boolean) => ({ caption: 'x', params: { seed: 1, steps: 1, guidance: 1, strength: 1, blend } }) as unknown as EditJobSpec;
const limits = { maxBytes: 25 * 2 ** 20, maxPixels: 40_000_000 };

async function render(picture: RgbImage, hole: Mask, blend: boolean) {
  const input = { image: await codec.encodePng(picture), mask: await codec.encodeMaskPng(hole), spec: spec(blend) };
  return renderEdit({ engine: scramble, limits }, input, new AbortController().signal, () => {}, keepBytes);
}

/** The same edit the plain way: everything at full size. */
async function fullSize(picture: RgbImage, hole: Mask, blend: boolean) {
  const size = defaultSizePolicy;
  const { engineSize } = await import('../../src/images/size.ts');
  const small = engineSize(picture.width, picture.height, size);
  const smallPicture = await codec.resizeRgb(picture, small.width, small.height);
  const generated = (await scramble.inpaint({ image: smallPicture, hole, caption: '', seed: 1, steps: 1, guidance: 1, strength: 1 }, new AbortController().signal, () => {})).image;
  const full = await codec.resizeRgb(generated, picture.width, picture.height);
  const output = blend ? blendImages(picture, full, hole) : full;
  return { result: output, compare: beforeAfter(picture, output), overlay: maskOverlay(picture, hole), metrics: backgroundMetrics(picture, output, hole) };
}

async function pixels(file: RenderedPng): Promise<RgbImage> {
  const image = await readRgb(Buffer.from(file.png));
  expect([image.width, image.height]).toEqual([file.width, file.height]);
  return image;
}

describe('rendering an edit on the hole’s box', () => {
  const picture = testPicture(1500, 1000);
  const holes: [string, Mask][] = [
    ['a box inside', boxMask(1500, 1000, { x: 600, y: 400, w: 90, h: 60 })],
    ['an ellipse on the corner', ellipseMask(1500, 1000, { x: 1400, y: 930, w: 200, h: 150 })],
  ];

  for (const [name, hole] of holes) {
    for (const blend of [true, false]) {
      it(`gives exactly the full-size result, strip, overlay and metrics (${name}, blend ${blend})`, async () => {
        const got = await render(picture, hole, blend);
        const want = await fullSize(picture, hole, blend);
        for (const key of ['result', 'compare', 'overlay'] as const) expect(Buffer.from((await pixels(got[key])).data).equals(Buffer.from(want[key].data)), key).toBe(true);
        expect(got.metrics.mse).toBe(want.metrics.mse);
        expect(got.metrics.ssim).toBe(want.metrics.ssim);
      });
    }
  }

  it('scales the engine’s output back only around the hole and encodes no full-size copy but the picture', async () => {
    const big = testPicture(4000, 3000);
    const hole = boxMask(4000, 3000, { x: 2000, y: 1500, w: 40, h: 30 });
    const input = { image: await codec.encodePng(big), mask: await codec.encodeMaskPng(hole), spec: spec(true) };
    const resize = vi.mocked(codec.resizeRgb);
    const encode = vi.mocked(codec.encodeComposedPng);
    const encodePlain = vi.mocked(codec.encodePng);
    for (const mock of [resize, encode, encodePlain]) mock.mockClear();
    const kept: string[] = [];
    await renderEdit({ engine: scramble, limits }, input, new AbortController().signal, () => {}, async (name, file) => {
      // Each PNG is handed over before the next one is encoded.
      kept.push(`${name}@${encode.mock.calls.length + encodePlain.mock.calls.length}`);
      return file;
    });
    expect(kept).toEqual(['compare@1', 'result@2', 'overlay@3']);
    expect(input.image.length).toBe(0); // the stored PNG was let go once decoded
    const region = featherRegion(hole)!;
    expect(region).toEqual({ x: 1990, y: 1490, w: 60, h: 50 });
    // Down to engine size (whole), then back up: only the hole's box grown by the feather.
    expect(resize.mock.calls.map((call) => call[3])).toEqual([undefined, region]);
    const upscaled = await resize.mock.results[1].value;
    expect([upscaled.width, upscaled.height]).toEqual([60, 50]);
    // Every layer pasted while encoding is the picture itself or that small box.
    // The overlay is painted on the picture itself, its last use.
    expect(encodePlain.mock.calls.map(([image]) => [image.width, image.height])).toEqual([[4000, 3000]]);
    for (const [base, layers] of encode.mock.calls) {
      expect([base.width, base.height]).toEqual([4000, 3000]);
      for (const layer of layers) expect(layer.image === base || layer.image.width * layer.image.height <= 60 * 50).toBe(true);
    }
  });
});
