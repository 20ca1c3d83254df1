/**
 * The worded side of the codec: what a refused or unreadable picture tells the person, and the argument checks
 * of the pixel buffers. No sharp here (codec.ts owns it); these only name formats, sizes and causes.
 */
import { BrushtalkError, type ErrorCode } from '../errors.ts';
import type { DecodeLimits } from './codec.ts';
import type { Mask, RgbImage } from './raster.ts';

export const tryAgain = 'Try a PNG or JPEG.';

const formatNames: Record<string, string> = {
  svg: 'an SVG drawing', pdf: 'a PDF', bmp: 'a BMP', psd: 'a Photoshop file', jxl: 'a JPEG XL image', ico: 'an icon file',
  ppm: 'a PPM/PNM image', xml: 'an XML/HTML document', text: 'a text file', video: 'a video/MP4-style file',
};

export function unsupported(format: string): BrushtalkError {
  const what = formatNames[format] ?? (format === 'unknown' ? undefined : `a ${format.toUpperCase()} file`);
  const lead = what ? `That file is ${what}, which I can't edit.` : "I couldn't recognise that file as an image.";
  return new BrushtalkError('image.unsupported_format', `${lead} I read PNG, JPEG, WebP, GIF, AVIF and TIFF. ${tryAgain}`);
}

export function heicError(cause?: unknown): BrushtalkError {
  return new BrushtalkError(
    'image.heic_unsupported',
    "That looks like a HEIC/HEIF photo (the iPhone default), which I can't read. Export it as JPEG or PNG and send it again.",
    { cause },
  );
}

export function pixelError(width: number | undefined, height: number | undefined, limits: DecodeLimits, cause: unknown) {
  const size = width && height ? `That image is ${width}×${height} pixels` : 'That image has too many pixels';
  const limit = `${Math.round((limits.maxPixels / 1_000_000) * 10) / 10} megapixels`;
  return new BrushtalkError('image.too_many_pixels', `${size}; the limit is ${limit}. Try a smaller version.`, { cause });
}

export function classify(error: unknown): BrushtalkError {
  if (error instanceof BrushtalkError) return error;
  const message = messageOf(error);
  if (/bad seek/i.test(message)) return heicError(error);
  const rules: [RegExp, ErrorCode, string][] = [
    [/pixel limit/i, 'image.too_many_pixels', 'That image has too many pixels. Try a smaller version.'],
    [/buffer is empty/i, 'image.empty', 'That file is empty (0 bytes). Try uploading it again.'],
    [/unsupported image format/i, 'image.unsupported_format', `I couldn't recognise that file as an image. ${tryAgain}`],
  ];
  for (const [pattern, code, text] of rules) if (pattern.test(message)) return new BrushtalkError(code, text, { cause: error });
  return new BrushtalkError(
    'image.corrupt',
    `That image looks damaged or incomplete, so I can't read it. Try saving it again or sending another copy. ${tryAgain}`,
    { cause: error },
  );
}

export async function wrapInternal<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new BrushtalkError('internal', `Something went wrong while trying to ${what}.`, { cause: error });
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function megabytes(n: number): string {
  return `${Math.round((n / (1024 * 1024)) * 10) / 10} MB`;
}

// --- argument checks (programmer errors, named like diffusers does) --------------------------------

export function checkSize(width: number, height: number, what: string): void {
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${what} ${name} must be a positive integer, got ${v}`);
  }
}

export function checkRgb(image: RgbImage): void {
  checkSize(image.width, image.height, 'image');
  const want = image.width * image.height * 3;
  if (image.data.length !== want) throw new Error(`image data has ${image.data.length} bytes, expected ${want}`);
}

export function checkMask(mask: Mask): void {
  checkSize(mask.width, mask.height, 'mask');
  const want = mask.width * mask.height;
  if (mask.data.length !== want) throw new Error(`mask data has ${mask.data.length} bytes, expected ${want}`);
}
