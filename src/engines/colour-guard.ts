/**
 * The exemplar fill's colour guard. Copied patches can come from beyond the hole's immediate surroundings;
 * a pixel more saturated than anything around the hole reads as a stain (streaks of invented colour were
 * the old fill's defect, issue 12). Such pixels are pulled towards their own grey, keeping brightness and
 * hue, until their chroma (max − min of R, G, B) is within what the ring of kept pixels around the hole has.
 */
import type { RgbImage } from '../images/raster.ts';
import { distanceToKept } from './hole-parts.ts';

/** Width of the ring of kept pixels whose colours bound the fill's. */
const RING_PX = 8;
/** Allowed above the ring's 99th-percentile chroma. */
const CHROMA_SLACK = 4;

/**
 * The highest chroma a fill of `hole` may use: the 99th percentile over kept pixels within RING_PX of it
 * (excluding `exclude`, e.g. other holes), plus a little. Null when there is no such pixel.
 */
export function ringChromaLimit(image: RgbImage, hole: Uint8Array, exclude?: Uint8Array): number | null {
  const { width: w, height: h, data } = image;
  const inverted = new Uint8Array(hole.length);
  for (let i = 0; i < hole.length; i++) inverted[i] = hole[i] ? 0 : 1;
  const toHole = distanceToKept({ width: w, height: h, data: inverted });
  const histogram = new Uint32Array(256);
  let ringPixels = 0;
  for (let i = 0; i < w * h; i++) {
    if (hole[i] || exclude?.[i] || toHole[i] > RING_PX) continue;
    histogram[chroma(data, i)]++;
    ringPixels++;
  }
  if (ringPixels === 0) return null;
  let p99 = 0;
  for (let seen = histogram[0]; seen < 0.99 * ringPixels; seen += histogram[++p99]);
  return p99 + CHROMA_SLACK;
}

/** Desaturates hole pixels whose chroma is above `limit` down to it (in place). */
export function limitChroma(image: RgbImage, hole: Uint8Array, limit: number): void {
  const { data } = image;
  for (let i = 0; i < hole.length; i++) {
    if (!hole[i]) continue;
    const c = chroma(data, i);
    if (c <= limit) continue;
    const o = i * 3;
    const mean = (data[o] + data[o + 1] + data[o + 2]) / 3;
    const k = limit / c;
    for (let j = 0; j < 3; j++) data[o + j] = Math.round(mean + (data[o + j] - mean) * k);
  }
}

function chroma(data: Uint8Array, i: number): number {
  const r = data[i * 3];
  const g = data[i * 3 + 1];
  const b = data[i * 3 + 2];
  return Math.max(r, g, b) - Math.min(r, g, b);
}
