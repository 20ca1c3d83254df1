import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import {
  decodeImage,
  decodeMask,
  defaultDecodeLimits,
  encodeMaskPng,
  encodePng,
  resizeMask,
  resizeRgb,
} from '../../src/images/codec.ts';
import { BrushtalkError } from '../../src/errors.ts';
import type { RgbImage } from '../../src/images/raster.ts';

// Note: sharp's TIFF output defaults to JPEG compression (lossy), hence lzw below.
// Fixtures are built here with sharp and written to a temp dir (read back from disk, like an upload would be).
let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});
function fixture(name: string, bytes: Uint8Array | string): Buffer {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return fs.readFileSync(file);
}

const limits = defaultDecodeLimits;
const solid = (width: number, height: number, background: string) =>
  sharp({ create: { width, height, channels: 3, background } });
function rawRgb(width: number, height: number, paint: (x: number, y: number) => [number, number, number]) {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(paint(x, y), (y * width + x) * 3);
  return data;
}
const pixel = (img: RgbImage, x: number, y: number) => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
const near = (actual: number[], expected: number[], tol: number) => actual.every((v, i) => Math.abs(v - expected[i]) <= tol);

async function expectCode(promise: Promise<unknown>, code: string): Promise<BrushtalkError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BrushtalkError);
  expect((error as BrushtalkError).code).toBe(code);
  return error as BrushtalkError;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([length, body, crc]);
}

function noise(width: number, height: number) {
  return rawRgb(width, height, (x, y) => {
    const v = Math.imul(x * 73856093 ^ y * 19349663, 2654435761) >>> 0;
    return [v & 255, (v >>> 8) & 255, (v >>> 16) & 255];
  });
}

describe('decodeImage: formats', () => {
  it('decodes a PNG exactly', async () => {
    const raw = rawRgb(4, 3, (x, y) => [x * 60, y * 100, 7]);
    const img = await decodeImage(fixture('a.png', await sharp(raw, { raw: { width: 4, height: 3, channels: 3 } }).png().toBuffer()), limits);
    expect(img).toMatchObject({ format: 'png', width: 4, height: 3 });
    expect(Buffer.from(img.data).equals(raw)).toBe(true);
  });

  it('applies EXIF orientation 6 (rotate 90° clockwise): size swapped, top-left corner moves to top-right', async () => {
    // Stored 64×32, red 16×16 block in the top-left corner, blue elsewhere.
    const raw = rawRgb(64, 32, (x, y) => (x < 16 && y < 16 ? [255, 0, 0] : [0, 0, 255]));
    const jpeg = await sharp(raw, { raw: { width: 64, height: 32, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    const img = await decodeImage(fixture('o6.jpg', jpeg), limits);
    expect(img).toMatchObject({ format: 'jpeg', width: 32, height: 64 });
    expect(near(pixel(img, 31 - 4, 4), [255, 0, 0], 40)).toBe(true); // the red corner is now top-right
    expect(near(pixel(img, 4, 4), [0, 0, 255], 40)).toBe(true);
    expect(near(pixel(img, 4, 60), [0, 0, 255], 40)).toBe(true);
  });

  it('decodes lossless WebP, TIFF and greyscale PNG to 3-channel RGB', async () => {
    const raw = rawRgb(5, 4, (x, y) => [x * 50, 255 - y * 60, 128]);
    const input = () => sharp(raw, { raw: { width: 5, height: 4, channels: 3 } });
    const webp = await decodeImage(fixture('a.webp', await input().webp({ lossless: true }).toBuffer()), limits);
    expect(webp.format).toBe('webp');
    expect(Buffer.from(webp.data).equals(raw)).toBe(true);
    const tiff = await decodeImage(fixture('a.tiff', await input().tiff({ compression: 'lzw' }).toBuffer()), limits);
    expect(tiff.format).toBe('tiff');
    expect(Buffer.from(tiff.data).equals(raw)).toBe(true);
    const grey = await decodeImage(fixture('g.png', await solid(3, 2, '#646464').toColourspace('b-w').png().toBuffer()), limits);
    expect(grey.data.length).toBe(3 * 2 * 3);
    expect([...grey.data].every((v) => v === 100)).toBe(true);
  });

  for (const kind of ['gif', 'webp'] as const) {
    it(`takes only the first frame of an animated ${kind}`, async () => {
      const frames = rawRgb(8, 16, (_x, y) => (y < 8 ? [255, 0, 0] : [0, 0, 255])); // frame 0 red, frame 1 blue
      const anim = sharp(frames, { raw: { width: 8, height: 16, channels: 3, pageHeight: 8 } });
      const bytes = kind === 'gif' ? await anim.gif().toBuffer() : await anim.webp({ lossless: true }).toBuffer();
      expect((await sharp(bytes).metadata()).pages).toBe(2);
      const img = await decodeImage(fixture(`anim.${kind}`, bytes), limits);
      expect(img).toMatchObject({ format: kind, width: 8, height: 8 });
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(near(pixel(img, x, y), [255, 0, 0], 8)).toBe(true);
    });
  }

  it('converts 16-bit PNG to 8-bit', async () => {
    const png16 = await solid(4, 4, '#ff8000').toColourspace('rgb16').png().toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const img = await decodeImage(fixture('16.png', png16), limits);
    expect(img.data.length).toBe(4 * 4 * 3);
    expect(near(pixel(img, 2, 2), [255, 128, 0], 1)).toBe(true);
  });

  it('converts CMYK JPEG to sRGB', async () => {
    const cmyk = await solid(16, 16, '#ff0000').toColourspace('cmyk').jpeg().toBuffer();
    const meta = await sharp(cmyk).metadata();
    expect([meta.space, meta.channels]).toEqual(['cmyk', 4]);
    const img = await decodeImage(fixture('cmyk.jpg', cmyk), limits);
    expect(img.data.length).toBe(16 * 16 * 3);
    const [r, g, b] = pixel(img, 8, 8);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(60);
    expect(b).toBeLessThan(60);
  });

  it('flattens transparency onto white, hiding colours under alpha 0', async () => {
    const rgba = Buffer.from([255, 0, 0, 0, 0, 0, 0, 128, 0, 255, 0, 255]); // hidden red, half black, opaque green
    const png = await sharp(rgba, { raw: { width: 3, height: 1, channels: 4 } }).png().toBuffer();
    const img = await decodeImage(fixture('rgba.png', png), limits);
    expect(pixel(img, 0, 0)).toEqual([255, 255, 255]);
    expect(near(pixel(img, 1, 0), [127, 127, 127], 2)).toBe(true);
    expect(pixel(img, 2, 0)).toEqual([0, 255, 0]);
  });

  it('decodes AVIF (when this sharp can encode it)', async () => {
    let avif: Buffer;
    try {
      avif = await solid(16, 16, '#0000ff').avif().toBuffer();
    } catch {
      return; // no AV1 encoder in this build: nothing to decode
    }
    const img = await decodeImage(fixture('a.avif', avif), limits);
    expect(img).toMatchObject({ format: 'avif', width: 16, height: 16 });
    expect(near(pixel(img, 8, 8), [0, 0, 255], 30)).toBe(true);
  });

  it('round-trips encodePng → decodeImage losslessly', async () => {
    const source: RgbImage = { width: 37, height: 23, data: new Uint8Array(noise(37, 23)) };
    const png = await encodePng(source);
    const back = await decodeImage(png, limits);
    expect(back).toMatchObject({ width: 37, height: 23, format: 'png' });
    expect(Buffer.from(back.data).equals(Buffer.from(source.data))).toBe(true);
  });
});

describe('decodeImage: hostile input', () => {
  for (const kind of ['png', 'jpeg'] as const) {
    it(`refuses a truncated ${kind} as image.corrupt`, async () => {
      const input = sharp(noise(256, 256), { raw: { width: 256, height: 256, channels: 3 } });
      const whole = kind === 'png' ? await input.png().toBuffer() : await input.jpeg().toBuffer();
      const error = await expectCode(decodeImage(fixture(`trunc.${kind}`, whole.subarray(0, whole.length >> 1)), limits), 'image.corrupt');
      expect(error.cause).toBeInstanceOf(Error);
    });
  }

  it('refuses a PNG whose header claims 30000×30000, quickly and without decoding', async () => {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(30000, 0);
    ihdr.writeUInt32BE(30000, 4);
    ihdr[8] = 8; // bit depth
    ihdr[9] = 2; // truecolour
    const bomb = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      pngChunk('IHDR', ihdr),
      pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(1024))),
      pngChunk('IEND', Buffer.alloc(0)),
    ]);
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const error = await expectCode(decodeImage(fixture('bomb.png', bomb), limits), 'image.too_many_pixels');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
    expect(error.userMessage).toContain('30000×30000');
    expect(error.userMessage).toContain('40 megapixels');
  });

  it('refuses by the pixel cap in the limits, not only sharp’s default', async () => {
    const png = await solid(300, 200, '#123456').png().toBuffer();
    const error = await expectCode(decodeImage(png, { maxBytes: limits.maxBytes, maxPixels: 50_000 }), 'image.too_many_pixels');
    expect(error.userMessage).toContain('300×200');
  });

  it('refuses zero bytes as image.empty', async () => {
    await expectCode(decodeImage(new Uint8Array(0), limits), 'image.empty');
  });

  it('refuses more than maxBytes as image.too_large', async () => {
    const png = await solid(64, 64, '#123456').png().toBuffer();
    const error = await expectCode(decodeImage(png, { maxBytes: 100, maxPixels: limits.maxPixels }), 'image.too_large');
    expect(error.userMessage).toMatch(/limit/);
  });

  it('refuses SVG by content, even named .png, and names it', async () => {
    const svg = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>';
    const error = await expectCode(decodeImage(fixture('drawing.png', svg), limits), 'image.unsupported_format');
    expect(error.userMessage).toMatch(/SVG/);
  });

  it('refuses a text file named .png and random bytes with unsupported_format', async () => {
    const text = await expectCode(decodeImage(fixture('notes.png', 'hello, this is not an image\n'), limits), 'image.unsupported_format');
    expect(text.userMessage).toMatch(/text file/);
    const random = Buffer.alloc(4096);
    for (let i = 0; i < random.length; i++) random[i] = (Math.imul(i + 1, 2654435761) >>> 24) & 255;
    await expectCode(decodeImage(fixture('random.png', random), limits), 'image.unsupported_format');
  });

  it('refuses HEIC with a message about exporting as JPEG/PNG', async () => {
    // A real HEIC cannot be encoded here; an AVIF relabelled as HEVC/HEIC is what this sharp sees in one.
    let avif: Buffer;
    try {
      avif = await solid(16, 16, '#0000ff').avif().toBuffer();
    } catch {
      return;
    }
    const relabel = (bytes: Buffer, pairs: [string, string][]) => {
      const out = Buffer.from(bytes);
      const text = out.toString('latin1');
      for (const [from, to] of pairs) for (let i = text.indexOf(from); i >= 0; i = text.indexOf(from, i + 1)) out.write(to, i, 'latin1');
      return out;
    };
    const heic = relabel(avif, [['avif', 'heic'], ['av01', 'hvc1'], ['av1C', 'hvcC']]);
    const error = await expectCode(decodeImage(fixture('photo.heic', heic), limits), 'image.heic_unsupported');
    expect(error.userMessage).toMatch(/JPEG or PNG/);
    // Brand still says AVIF but the payload is HEVC-shaped: sharp's "bad seek" maps to the same answer.
    const sneaky = relabel(avif, [['av01', 'hvc1'], ['av1C', 'hvcC']]);
    await expectCode(decodeImage(fixture('sneaky.avif', sneaky), limits), 'image.heic_unsupported');
  });
});

describe('decodeMask', () => {
  const greyPng = (values: number[], width: number, height: number) =>
    sharp(Buffer.from(values), { raw: { width, height, channels: 1 } }).png().toBuffer();

  it('thresholds at 50 % grey: 127 keeps, 128 is the hole', async () => {
    const mask = await decodeMask(await greyPng([127, 128, 0, 255], 4, 1), 4, 1, limits);
    expect([...mask.data]).toEqual([0, 1, 0, 1]);
    const rgb = await sharp(Buffer.from([127, 127, 127, 128, 128, 128]), { raw: { width: 2, height: 1, channels: 3 } }).png().toBuffer();
    expect([...(await decodeMask(rgb, 2, 1, limits)).data]).toEqual([0, 1]);
  });

  it('reads colours by BrushNet’s rule (channel mean ≥ 127.5), not by luma', async () => {
    // magenta (luma 106, mean 170): hole; pure green (luma 149, mean 85): kept; grey 127 kept, 128 hole.
    const colours = [255, 0, 255, 0, 255, 0, 127, 127, 127, 128, 128, 128, 127, 128, 128, 127, 127, 128];
    const png = await sharp(Buffer.from(colours), { raw: { width: 6, height: 1, channels: 3 } }).png().toBuffer();
    expect([...(await decodeMask(png, 6, 1, limits)).data]).toEqual([1, 0, 0, 1, 1, 0]);
    // Resized from another size, a magenta stroke stays hole and a green one stays kept.
    const stripes = await sharp(Buffer.from([255, 0, 255, 255, 0, 255, 0, 255, 0, 0, 255, 0]), { raw: { width: 4, height: 1, channels: 3 } }).png().toBuffer();
    const big = await decodeMask(stripes, 16, 4, limits);
    for (let y = 0; y < 4; y++) {
      expect(big.data[y * 16 + 1]).toBe(1);
      expect(big.data[y * 16 + 14]).toBe(0);
    }
  });

  it('resizes a mask of another size to the target and keeps it binary', async () => {
    const values = Array.from({ length: 100 }, (_, i) => (i % 10 < 5 ? 255 : 0)); // left half white
    const mask = await decodeMask(await greyPng(values, 10, 10), 40, 30, limits);
    expect([mask.width, mask.height, mask.data.length]).toEqual([40, 30, 1200]);
    expect(mask.data.every((v) => v === 0 || v === 1)).toBe(true);
    for (let y = 0; y < 30; y++) {
      expect(mask.data[y * 40 + 2]).toBe(1);
      expect(mask.data[y * 40 + 37]).toBe(0);
    }
  });

  it('refuses an all-black mask as mask.empty', async () => {
    const error = await expectCode(decodeMask(await solid(8, 8, '#000000').png().toBuffer(), 8, 8, limits), 'mask.empty');
    expect(error.userMessage).toMatch(/paint the area to change in white/);
  });

  it('reads an RGBA mask by flattening onto black (white under alpha 0 is not a hole)', async () => {
    const rgba = Buffer.from([255, 255, 255, 255, 255, 255, 255, 0, 255, 255, 255, 255, 0, 0, 0, 0]);
    const png = await sharp(rgba, { raw: { width: 4, height: 1, channels: 4 } }).png().toBuffer();
    expect([...(await decodeMask(png, 4, 1, limits)).data]).toEqual([1, 0, 1, 0]);
  });

  it('applies the same input checks as images', async () => {
    await expectCode(decodeMask(new Uint8Array(0), 8, 8, limits), 'image.empty');
    await expectCode(decodeMask(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 8, 8, limits), 'image.unsupported_format');
  });

  it('round-trips encodeMaskPng → decodeMask, as a greyscale PNG', async () => {
    const data = new Uint8Array(6 * 5);
    for (let i = 0; i < data.length; i++) data[i] = i % 3 === 0 ? 1 : 0;
    const png = await encodeMaskPng({ width: 6, height: 5, data });
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.channels, meta.width, meta.height]).toEqual(['png', 1, 6, 5]);
    expect([...(await decodeMask(png, 6, 5, limits)).data]).toEqual([...data]);
  });
});

describe('resizing', () => {
  it('resizeRgb returns the exact size asked for', async () => {
    const source: RgbImage = { width: 40, height: 30, data: new Uint8Array(noise(40, 30)) };
    const out = await resizeRgb(source, 24, 16);
    expect([out.width, out.height, out.data.length]).toEqual([24, 16, 24 * 16 * 3]);
    const up = await resizeRgb({ width: 2, height: 2, data: new Uint8Array(12).fill(200) }, 9, 7);
    expect([...up.data].every((v) => Math.abs(v - 200) <= 1)).toBe(true);
  });

  it('resizeMask stays binary and keeps the hole where it was', async () => {
    const data = new Uint8Array(16 * 16);
    for (let y = 4; y < 12; y++) for (let x = 4; x < 12; x++) data[y * 16 + x] = 1;
    const out = await resizeMask({ width: 16, height: 16, data }, 64, 48);
    expect(out.data.every((v) => v === 0 || v === 1)).toBe(true);
    expect(out.data[24 * 64 + 32]).toBe(1);
    expect(out.data[2 * 64 + 2]).toBe(0);
    const coverage = out.data.reduce((a, v) => a + v, 0) / out.data.length;
    expect(coverage).toBeGreaterThan(0.2);
    expect(coverage).toBeLessThan(0.3);
  });

  it('rejects inconsistent buffers and bad sizes, naming the value', async () => {
    await expect(encodePng({ width: 2, height: 2, data: new Uint8Array(5) })).rejects.toThrow(/5 bytes/);
    await expect(resizeRgb({ width: 1, height: 1, data: new Uint8Array(3) }, 0, 4)).rejects.toThrow(/width.*0/);
  });
});
