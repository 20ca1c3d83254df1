/**
 * The one module that touches sharp: untrusted bytes in, plain RgbImage/Mask out, PNG bytes back.
 * Everything a chat user can upload passes through decodeImage/decodeMask, so the order of checks is the
 * defence: byte size, then our own magic-byte sniff (SVG and unknown formats never reach sharp), then the
 * header via metadata() under a pixel cap, and only then the pixel decode.
 */
import type SharpFactory from 'sharp';
import type { Metadata, Sharp, SharpOptions } from 'sharp';
import { BrushtalkError } from '../errors.ts';
import type { Box } from '../contracts.ts';
import type { PixelBudget } from './budget.ts';
import { checkMask, checkRgb, checkSize, classify, heicError, megabytes, messageOf, pixelError, unsupported, wrapInternal } from './codec-errors.ts';
import { holeLevel, type Mask, type RgbImage } from './raster.ts';
import { sniffFormat } from './sniff.ts';

export interface DecodeLimits {
  maxBytes: number;
  maxPixels: number;
  /** Pixels of pictures worked on at once in this process (images/budget.ts); absent: no bound. */
  budget?: PixelBudget;
}

export const defaultDecodeLimits: DecodeLimits = { maxBytes: 25 * 1024 * 1024, maxPixels: 40_000_000 };

/**
 * Limits for our own stored PNGs (an upload that passed the checks, a result, a mask): bounded by pixels, not by
 * the upload's byte limit — a 24-megapixel photo taken in as a 10 MB JPEG is stored as a ~45 MB PNG.
 */
export const storedPictureLimits = (limits: DecodeLimits): DecodeLimits => ({ ...limits, maxBytes: Number.MAX_SAFE_INTEGER });

const allowedFormats = ['png', 'jpeg', 'webp', 'gif', 'avif', 'tiff'] as const;
type AllowedFormat = (typeof allowedFormats)[number];


let sharpLoading: Promise<typeof SharpFactory> | undefined;
/**
 * sharp brings libvips (≈ 100 ms of start-up): it loads when a picture is first touched, so commands that touch
 * none (`history`, `undo`, `help`) never pay for it.
 */
function loadSharp(): Promise<typeof SharpFactory> {
  return (sharpLoading ??= import('sharp').then((module) => module.default));
}

export async function decodeImage(bytes: Uint8Array, limits: DecodeLimits): Promise<RgbImage & { format: string }> {
  const { format, raw } = await decodeToRgb(bytes, limits, '#ffffff');
  return { ...raw, format };
}

/**
 * BrushNet's rule, after flattening transparency onto black: a pixel is hole when the mean of its three channels
 * is ≥ 127.5 (its pipeline normalises the mask to [-1,1] and keeps pixels whose channel sum is < 0). On grey masks
 * that is "≥ 50 % grey"; on coloured ones it differs from luma: magenta (255,0,255) has luma 106 but mean 170,
 * so it is hole, as BrushNet reads it.
 */
export async function decodeMask(bytes: Uint8Array, width: number, height: number, limits: DecodeLimits): Promise<Mask> {
  checkSize(width, height, 'mask target');
  const decoded = await decodeGreyMask(bytes, limits);
  let grey = decoded.grey;
  if (decoded.width !== width || decoded.height !== height) grey = await resizeGrey(grey, decoded.width, decoded.height, width, height);
  const mask = binarise(grey, width, height);
  if (!mask.data.some((v) => v === 1)) {
    throw new BrushtalkError('mask.empty', 'That mask is empty: paint the area to change in white.');
  }
  return mask;
}

/**
 * The hole level of every pixel. Our own masks are 8-bit grey PNGs (encodeMaskPng), whose level is their grey
 * (the mean of three equal channels): read as one band, a 40-megapixel mask costs 40 MB instead of a 120 MB RGB
 * copy and a 40 MB level plane left for the garbage collector.
 */
async function decodeGreyMask(bytes: Uint8Array, limits: DecodeLimits): Promise<{ grey: Uint8Array; width: number; height: number }> {
  const probed = await probe(bytes, limits);
  const { meta } = probed;
  if (probed.format === 'png' && meta.channels === 1 && meta.depth === 'uchar' && !meta.hasAlpha && !meta.hasProfile) {
    const sharp = await loadSharp();
    try {
      const out = await sharp(probed.input, probed.options).raw().toBuffer({ resolveWithObject: true });
      if (out.info.channels === 1) return { grey: takeChannels(out.data, 1, 1, out.info.width * out.info.height), width: out.info.width, height: out.info.height };
    } catch (error) {
      throw classify(error);
    }
  }
  const { raw } = await decodeToRgb(bytes, limits, '#000000');
  return { grey: holeLevel(raw.data, raw.width * raw.height), width: raw.width, height: raw.height };
}

export async function encodePng(image: RgbImage): Promise<Buffer> {
  return encodeComposedPng(image, []);
}

/** Pixels to paste on a picture, their top-left corner at (x, y). */
export interface Placed {
  image: RgbImage;
  x: number;
  y: number;
}

/**
 * PNG of `base`, widened on the right by `extend.right` px of grey `extend.grey` when asked, with `layers` pasted
 * over it in order.
 * An edit's result and previews are its picture with a box or two changed: libvips pastes them while it writes
 * the PNG, so no full-size copy of a 40-megapixel picture (or of a strip twice its width) is ever made here.
 */
export async function encodeComposedPng(base: RgbImage, layers: Placed[], extend?: { right: number; grey: number }): Promise<Buffer> {
  checkRgb(base);
  for (const layer of layers) checkRgb(layer.image);
  const sharp = await loadSharp();
  const raw = (image: RgbImage) => ({ width: image.width, height: image.height, channels: 3 as const });
  const bytes = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return wrapInternal('encode a PNG', () => {
    let image = sharp(base.data, { raw: raw(base) });
    if (extend && extend.right > 0) image = image.extend({ right: extend.right, background: { r: extend.grey, g: extend.grey, b: extend.grey } });
    // Opaque layers composite to their own bytes exactly; the alpha band composite adds is dropped again.
    if (layers.length > 0) image = image.composite(layers.map((l) => ({ input: bytes(l.image.data), raw: raw(l.image), left: l.x, top: l.y }))).removeAlpha();
    return image.png().toBuffer();
  });
}

/** Greyscale PNG, hole = white, so people (and decodeMask) read it the way they paint it. */
export async function encodeMaskPng(mask: Mask): Promise<Buffer> {
  checkMask(mask);
  const sharp = await loadSharp();
  const grey = new Uint8Array(mask.data.length);
  for (let i = 0; i < grey.length; i++) grey[i] = mask.data[i] ? 255 : 0;
  return wrapInternal('encode a mask PNG', () =>
    // Without toColourspace('b-w') sharp writes one-band raw input as a 3-channel PNG.
    sharp(grey, { raw: { width: mask.width, height: mask.height, channels: 1 } }).toColourspace('b-w').png().toBuffer(),
  );
}

/**
 * Exact output size; the caller (engineSize) has already chosen sizes that keep the aspect ratio. With `region`,
 * only that box of the resized picture: libvips computes what is asked for, so an edit scaling its engine's
 * output back to 40 megapixels holds the pixels near the hole, the same bytes a full resize has there.
 */
export async function resizeRgb(image: RgbImage, width: number, height: number, region?: Box): Promise<RgbImage> {
  checkRgb(image);
  checkSize(width, height, 'resize target');
  const box = region ?? { x: 0, y: 0, w: width, h: height };
  checkSize(box.w, box.h, 'resize region');
  if (box.x < 0 || box.y < 0 || box.x + box.w > width || box.y + box.h > height) throw new Error(`resize region ${JSON.stringify(box)} is outside ${width}x${height}`);
  if (image.width === width && image.height === height) {
    const data = new Uint8Array(box.w * box.h * 3);
    for (let y = 0; y < box.h; y++) data.set(image.data.subarray(((box.y + y) * width + box.x) * 3, ((box.y + y) * width + box.x + box.w) * 3), y * box.w * 3);
    return { width: box.w, height: box.h, data };
  }
  const sharp = await loadSharp();
  const data = await wrapInternal('resize an image', async () => {
    let resized = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).resize(width, height, { fit: 'fill', kernel: 'lanczos3' });
    if (region) resized = resized.extract({ left: box.x, top: box.y, width: box.w, height: box.h });
    const out = await resized.raw().toBuffer({ resolveWithObject: true });
    return takeChannels(out.data, out.info.channels, 3, box.w * box.h);
  });
  return { width: box.w, height: box.h, data };
}

export async function resizeMask(mask: Mask, width: number, height: number): Promise<Mask> {
  checkMask(mask);
  checkSize(width, height, 'resize target');
  if (mask.width === width && mask.height === height) return { width, height, data: mask.data.slice() };
  const grey = new Uint8Array(mask.data.length);
  for (let i = 0; i < grey.length; i++) grey[i] = mask.data[i] ? 255 : 0;
  return binarise(await resizeGrey(grey, mask.width, mask.height, width, height), width, height);
}

// ---------------------------------------------------------------------------------------------------

interface Decoded {
  format: AllowedFormat;
  raw: RgbImage;
}

/** A checked header: the file is one of the formats we read and its pixels are within the limit. */
interface Probed {
  format: AllowedFormat;
  width: number;
  height: number;
  input: Buffer;
  options: SharpOptions;
  meta: Metadata;
}

async function probe(bytes: Uint8Array, limits: DecodeLimits): Promise<Probed> {
  if (bytes.length === 0) throw new BrushtalkError('image.empty', 'That file is empty (0 bytes). Try uploading it again.');
  if (bytes.length > limits.maxBytes) {
    throw new BrushtalkError(
      'image.too_large',
      `That file is ${megabytes(bytes.length)}; the limit is ${megabytes(limits.maxBytes)}. Try a smaller version.`,
    );
  }
  const sniffed = sniffFormat(bytes);
  if (sniffed === 'heic') throw heicError();
  if (!isAllowed(sniffed)) throw unsupported(sniffed);
  const sharp = await loadSharp();

  // pages/page: the first frame of an animation only; limitInputPixels: refuse bombs from the header.
  const options: SharpOptions = { failOn: 'warning', limitInputPixels: limits.maxPixels, pages: 1, page: 0 };
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let meta: Metadata;
  try {
    meta = await sharp(input, options).metadata();
  } catch (error) {
    if (/pixel limit/i.test(messageOf(error))) throw await tooManyPixels(input, limits, error);
    throw classify(error);
  }
  if (meta.width * meta.height > limits.maxPixels) throw pixelError(meta.width, meta.height, limits, undefined);
  const detected = meta.format === 'heif' ? (meta.compression === 'av1' ? 'avif' : 'heic') : meta.format;
  if (detected === 'heic') throw heicError();
  // Our sniff and libvips' loader must agree; a mismatch means a polyglot file, which we do not want to guess at.
  if (detected !== sniffed) throw unsupported(String(detected));
  return { format: sniffed, width: meta.width, height: meta.height, input, options, meta };
}

/**
 * The pixels a picture will take once decoded, from its header alone (every check decodeImage makes before
 * decoding, with the same worded refusals): what a caller asks the pixel budget for.
 */
export async function imagePixels(bytes: Uint8Array, limits: DecodeLimits): Promise<number> {
  const { width, height } = await probe(bytes, limits);
  return width * height;
}

async function decodeToRgb(bytes: Uint8Array, limits: DecodeLimits, background: string): Promise<Decoded> {
  const { format, input, options } = await probe(bytes, limits);
  const sharp = await loadSharp();
  try {
    const out = await pipeline(sharp(input, { ...options, autoOrient: true }), background)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const { width, height, channels } = out.info;
    return { format, raw: { width, height, data: takeChannels(out.data, channels, 3, width * height) } };
  } catch (error) {
    throw classify(error);
  }
}

/** Transparency is flattened explicitly (hidden colours under alpha 0 would show through), then 8-bit sRGB. */
function pipeline(image: Sharp, background: string): Sharp {
  return image.flatten({ background }).toColourspace('srgb').removeAlpha();
}

async function resizeGrey(grey: Uint8Array, w: number, h: number, width: number, height: number): Promise<Uint8Array> {
  const sharp = await loadSharp();
  return wrapInternal('resize a mask', async () => {
    // 'linear' rather than lanczos: no ringing, so the 50 % crossing stays where the edge geometrically is.
    const out = await sharp(grey, { raw: { width: w, height: h, channels: 1 } })
      .resize(width, height, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return takeChannels(out.data, out.info.channels, 1, width * height);
  });
}

/** Thresholds `grey` in place (every caller hands over a plane of its own) and wraps it as the mask. */
function binarise(grey: Uint8Array, width: number, height: number): Mask {
  for (let i = 0; i < grey.length; i++) grey[i] = grey[i] >= 128 ? 1 : 0;
  return { width, height, data: grey };
}

/** Copy out the first `want` channels; sharp may hand back more bands than asked for (e.g. grey kept as grey). */
function takeChannels(data: Buffer, have: number, want: number, pixels: number): Uint8Array {
  // sharp's output is its own allocation, never a pooled slab: a view of it saves a full-size copy.
  if (have === want) return new Uint8Array(data.buffer, data.byteOffset, pixels * want);
  const out = new Uint8Array(pixels * want);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < want; c++) out[p * want + c] = data[p * have + Math.min(c, have - 1)];
  }
  return out;
}

function isAllowed(format: string): format is AllowedFormat {
  return (allowedFormats as readonly string[]).includes(format);
}

/** sharp refuses over-cap headers without saying the size; a second header-only read (no pixels) finds it for the message. */
async function tooManyPixels(input: Buffer, limits: DecodeLimits, cause: unknown): Promise<BrushtalkError> {
  const sharp = await loadSharp();
  try {
    const meta = await sharp(input, { failOn: 'warning', limitInputPixels: false, pages: 1 }).metadata();
    return pixelError(meta.width, meta.height, limits, cause);
  } catch {
    return pixelError(undefined, undefined, limits, cause);
  }
}

/** A small JPEG of a stored picture for a model that can see (long side at most maxSide, never enlarged). */
export async function previewJpeg(bytes: Uint8Array, maxSide = 768): Promise<Buffer> {
  const sharp = await loadSharp();
  try {
    return await sharp(bytes, { failOn: 'warning' }).resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 85 }).toBuffer();
  } catch (cause) {
    throw new BrushtalkError('image.corrupt', 'That picture could not be prepared for the assistant.', { cause });
  }
}

/**
 * A picture that fits a chat platform's upload limit: the PNG itself when it fits, else a JPEG at falling
 * quality and then falling size (chat uploads cap bytes per file; a softer picture beats no picture).
 */
export async function shrinkForUpload(png: Uint8Array, maxBytes: number): Promise<{ bytes: Uint8Array; format: 'png' | 'jpeg' }> {
  if (png.byteLength <= maxBytes) return { bytes: png, format: 'png' };
  const sharp = await loadSharp();
  const { width = 1, height = 1 } = await sharp(png).metadata();
  for (let scale = 1; scale >= 0.05; scale *= 0.7) {
    for (const quality of [85, 70, 50]) {
      const side = (n: number) => Math.max(1, Math.round(n * scale));
      const jpeg = await sharp(png).flatten({ background: '#ffffff' }).resize(side(width), side(height)).jpeg({ quality }).toBuffer();
      if (jpeg.byteLength <= maxBytes) return { bytes: jpeg, format: 'jpeg' };
    }
  }
  throw new BrushtalkError('image.too_large', `The result does not fit the upload limit of ${maxBytes} bytes even when shrunk.`);
}

/** Formats a result can be saved in (`--out result.jpg`). */
export type SavedFormat = 'png' | 'jpeg' | 'webp';

/** One of our PNGs in another format: JPEG (transparency onto white) or WebP, both at quality 92. */
export async function convertPng(png: Uint8Array, format: SavedFormat): Promise<Uint8Array> {
  if (format === 'png') return png;
  const sharp = await loadSharp();
  return wrapInternal(`encode a ${format.toUpperCase()}`, () =>
    format === 'jpeg' ? sharp(png).flatten({ background: '#ffffff' }).jpeg({ quality: 92 }).toBuffer() : sharp(png).webp({ quality: 92 }).toBuffer(),
  );
}
