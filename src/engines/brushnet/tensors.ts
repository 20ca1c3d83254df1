/**
 * Pixel ↔ tensor maths for the BrushNet pipeline: plain loops over typed arrays, no runtime, so every rule the
 * design fixes (mask polarity, black masked image, nearest downsampling, seeded noise) is testable alone.
 */
import { createHash } from 'node:crypto';
import type { Mask, RgbImage } from '../../images/raster.ts';

/**
 * The hole as booleans, binarised at 50 %: brushtalk masks hold 0/1, but a 0/255 mask (a decoded PNG that
 * skipped normalisation) must not turn every faint pixel into hole.
 */
export function holeFlags(hole: Mask): Uint8Array {
  let max = 0;
  for (let i = 0; i < hole.data.length; i++) if (hole.data[i] > max) max = hole.data[i];
  const threshold = max <= 1 ? 0.5 : 127.5;
  const flags = new Uint8Array(hole.data.length);
  for (let i = 0; i < flags.length; i++) flags[i] = hole.data[i] > threshold ? 1 : 0;
  return flags;
}

/**
 * The masked image as the VAE encoder wants it: CHW in [-1,1], and image × (1 − hole) taken in 0..255 as
 * BrushNet does, so hole pixels are black (−1), not mid-grey (0).
 */
export function maskedImagePixels(image: RgbImage, flags: Uint8Array): Float32Array {
  const plane = image.width * image.height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    const keep = flags[i] ? 0 : 1;
    for (let c = 0; c < 3; c++) out[c * plane + i] = keep ? image.data[i * 3 + c] / 127.5 - 1 : -1;
  }
  return out;
}

/**
 * BrushNet's mask channel at latent size: 1 on KEPT pixels, 0 in the hole (the opposite of brushtalk's Mask),
 * downsampled like torch's F.interpolate(mode='nearest'): latent (y, x) takes pixel (floor(y·H/h), floor(x·W/w)).
 */
export function keptMaskLatent(flags: Uint8Array, width: number, height: number, latentWidth: number, latentHeight: number): Float32Array {
  const out = new Float32Array(latentWidth * latentHeight);
  for (let y = 0; y < latentHeight; y++) {
    const sy = Math.floor((y * height) / latentHeight);
    for (let x = 0; x < latentWidth; x++) {
      const sx = Math.floor((x * width) / latentWidth);
      out[y * latentWidth + x] = flags[sy * width + sx] ? 0 : 1;
    }
  }
  return out;
}

/** Decoded [B,3,H,W] in [-1,1] → B RGB images (diffusers' (x/2 + 0.5).clamp(0,1)·255, rounded). */
export function pixelsToImages(data: Float32Array, batch: number, width: number, height: number): RgbImage[] {
  const plane = width * height;
  const images: RgbImage[] = [];
  for (let b = 0; b < batch; b++) {
    const rgb = new Uint8Array(plane * 3);
    const base = b * 3 * plane;
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) {
        const v = (data[base + c * plane + i] + 1) / 2;
        rgb[i * 3 + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
      }
    }
    images.push({ width, height, data: rgb });
  }
  return images;
}

/**
 * A seeded PRNG (sfc32, state from splitmix32 of the seed's low and high words): any safe-integer seed gives
 * its own stream, the same on every platform. JS cannot reproduce torch.randn; parity fixtures inject noise.
 */
function seededUniform(seed: number): () => number {
  let s = Math.floor(Math.abs(seed)) >>> 0;
  const high = Math.floor(Math.abs(seed) / 2 ** 32) >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s ^ high;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split() | (seed < 0 ? 1 : 0);
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}

/** Standard normal samples by Box–Muller (both outputs used), from the seed's stream. */
export function gaussianNoise(seed: number, count: number): Float32Array {
  const uniform = seededUniform(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = 1 - uniform(); // (0, 1]: log never sees 0
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/** A content key for an (image, mask) pair: the masked-image latent depends on nothing else. */
export function imageMaskKey(image: RgbImage, hole: Mask): string {
  return createHash('sha1').update(`${image.width}x${image.height}:`).update(image.data).update(hole.data).digest('hex');
}
