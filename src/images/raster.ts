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

/**
 * One byte per pixel that is ≥ 128 exactly when the channel mean r+g+b over 3 is ≥ 127.5: the sum is an integer,
 * so that is sum ≥ 383, and ⌊(sum + 1)/3⌋ ≥ 128 ⇔ sum ≥ 383. Grey v maps to v, so resizing this plane (the mask
 * of another size) behaves like resizing a grey mask.
 */
export function holeLevel(rgb: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  for (let i = 0, j = 0; i < pixels; i++, j += 3) out[i] = Math.floor((rgb[j] + rgb[j + 1] + rgb[j + 2] + 1) / 3);
  return out;
}
