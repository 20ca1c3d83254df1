/**
 * Pixel containers shared by the image module, the pure mask/blend maths and the engines.
 * Plain objects over typed arrays so they cross worker_threads boundaries without copies of logic.
 */

/** 8-bit RGB, interleaved, row-major: data.length === width * height * 3. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Binary edit mask, one byte per pixel, row-major: data.length === width * height.
 * Polarity inside brushtalk: 1 = the hole (pixels to change), 0 = keep. (BrushNet's branch wants the
 * opposite — 1 on kept pixels — and its engine converts; nothing else should.)
 */
export interface Mask {
  width: number;
  height: number;
  data: Uint8Array;
}

export function createMask(width: number, height: number): Mask {
  return { width, height, data: new Uint8Array(width * height) };
}

export function createRgb(width: number, height: number): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3) };
}

/** Fraction of the image covered by the hole, 0..1. */
export function maskCoverage(mask: Mask): number {
  let count = 0;
  for (let i = 0; i < mask.data.length; i++) count += mask.data[i] ? 1 : 0;
  return mask.data.length === 0 ? 0 : count / mask.data.length;
}

export function sameSize(a: { width: number; height: number }, b: { width: number; height: number }): boolean {
  return a.width === b.width && a.height === b.height;
}
