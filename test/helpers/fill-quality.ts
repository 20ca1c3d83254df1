/**
 * How good is a hole fill on a real photo, judged against the photo itself (issue 12, design §3.4). Shared by
 * `npm run bench fill` and test/integration/fill-quality.test.ts. PSNR alone rewards smears (a blur beats
 * Telea on it), so texture and colour artifacts are measured next to it:
 *
 * - psnr: over R, G and B of the hole pixels, vs the original; Infinity when identical.
 * - ssim: the usual SSIM map on BT.601 luma (11×11 Gaussian window, σ 1.5, K1 0.01, K2 0.03, reflected
 *   borders), averaged over the hole pixels. Windows are not masked: near the hole's edge they see kept pixels
 *   too, which is what a viewer sees.
 * - texture: mean Sobel gradient magnitude (luma) over the hole in the result ÷ the same over the ring of
 *   known pixels within 8 px of the hole (square neighbourhood) in the original. A real photo ≈ 1, a smear
 *   (OpenCV Telea) ≈ 0.3.
 * - artifactFraction: share of hole pixels whose chroma max(R,G,B) − min(R,G,B) exceeds the ring's 99th
 *   percentile chroma + 8: colours more saturated than anything around the hole (Telea's rainbow streaks).
 * - keptChanged: pixels outside the hole whose value changed at all (an engine must leave them bit-exact).
 */
import { gaussianKernel, reflect101 } from '../../src/images/blend.ts';
import { growMask, subtractMask } from '../../src/images/mask-ops.ts';
import type { Mask, RgbImage } from '../../src/images/raster.ts';

export interface FillQuality {
  holePixels: number;
  psnr: number;
  ssim: number;
  texture: number;
  artifactFraction: number;
  /** The same as a count of hole pixels. */
  artifactPixels: number;
  keptChanged: number;
}

export const RING_PX = 8;
/** Chroma above the ring's 99th percentile by more than this counts as an invented colour. */
export const ARTIFACT_MARGIN = 8;
const SSIM_KERNEL = gaussianKernel(11, 1.5);
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

export function fillQuality(original: RgbImage, result: RgbImage, hole: Mask): FillQuality {
  const { width: w, height: h } = original;
  if (result.width !== w || result.height !== h || hole.width !== w || hole.height !== h) {
    throw new Error(`fillQuality size mismatch: ${w}×${h}, result ${result.width}×${result.height}, hole ${hole.width}×${hole.height}`);
  }
  const ring = subtractMask(growMask(hole, RING_PX), hole).data;
  const md = hole.data;
  const a = original.data;
  const b = result.data;
  let holePixels = 0;
  let sq = 0;
  let keptChanged = 0;
  for (let p = 0, i = 0; p < md.length; p++, i += 3) {
    const d0 = a[i] - b[i];
    const d1 = a[i + 1] - b[i + 1];
    const d2 = a[i + 2] - b[i + 2];
    if (md[p] !== 0) {
      holePixels++;
      sq += d0 * d0 + d1 * d1 + d2 * d2;
    } else if (d0 !== 0 || d1 !== 0 || d2 !== 0) keptChanged++;
  }
  if (holePixels === 0) throw new Error('fillQuality: the hole is empty');
  const mse = sq / (holePixels * 3);
  const lumaA = luma(original);
  const lumaB = luma(result);
  const artifacts = artifactFraction(original, result, md, ring);
  return {
    holePixels,
    psnr: mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse),
    ssim: meanOver(ssimMap(lumaA, lumaB, w, h), md),
    texture: meanOver(sobel(lumaB, w, h, md), md) / meanOver(sobel(lumaA, w, h, ring), ring),
    artifactFraction: artifacts,
    artifactPixels: Math.round(artifacts * holePixels),
    keptChanged,
  };
}

function artifactFraction(original: RgbImage, result: RgbImage, md: Uint8Array, ring: Uint8Array): number {
  const histogram = new Uint32Array(256);
  let ringPixels = 0;
  for (let p = 0; p < ring.length; p++) {
    if (ring[p] === 0) continue;
    histogram[chroma(original.data, p * 3)]++;
    ringPixels++;
  }
  // The smallest chroma c with at least 99 % of the ring at or below it (the ring is never empty: the hole
  // never covers the whole picture in this corpus; an empty ring would make every hole pixel an artifact).
  let threshold = 255;
  for (let c = 0, seen = 0; c < 256; c++) {
    seen += histogram[c];
    if (seen >= 0.99 * ringPixels) {
      threshold = c;
      break;
    }
  }
  let holePixels = 0;
  let over = 0;
  for (let p = 0; p < md.length; p++) {
    if (md[p] === 0) continue;
    holePixels++;
    if (chroma(result.data, p * 3) > threshold + ARTIFACT_MARGIN) over++;
  }
  return over / holePixels;
}

function chroma(d: Uint8Array, i: number): number {
  return Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]);
}

function luma(image: RgbImage): Float32Array {
  const out = new Float32Array(image.width * image.height);
  const d = image.data;
  for (let p = 0, i = 0; p < out.length; p++, i += 3) out[p] = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
  return out;
}

function meanOver(values: Float32Array, where: Uint8Array): number {
  let sum = 0;
  let n = 0;
  for (let p = 0; p < where.length; p++) {
    if (where[p] === 0) continue;
    sum += values[p];
    n++;
  }
  return n === 0 ? NaN : sum / n;
}

/** Sobel gradient magnitude at the pixels where `where` is set (0 elsewhere), borders reflected. */
function sobel(l: Float32Array, w: number, h: number, where: Uint8Array): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const up = reflect101(y - 1, h) * w;
    const row = y * w;
    const down = reflect101(y + 1, h) * w;
    for (let x = 0; x < w; x++) {
      if (where[row + x] === 0) continue;
      const left = reflect101(x - 1, w);
      const right = reflect101(x + 1, w);
      const gx = l[up + right] + 2 * l[row + right] + l[down + right] - l[up + left] - 2 * l[row + left] - l[down + left];
      const gy = l[down + left] + 2 * l[down + x] + l[down + right] - l[up + left] - 2 * l[up + x] - l[up + right];
      out[row + x] = Math.sqrt(gx * gx + gy * gy);
    }
  }
  return out;
}

function ssimMap(x: Float32Array, y: Float32Array, w: number, h: number): Float32Array {
  const n = w * h;
  const xx = new Float32Array(n);
  const yy = new Float32Array(n);
  const xy = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    xx[p] = x[p] * x[p];
    yy[p] = y[p] * y[p];
    xy[p] = x[p] * y[p];
  }
  const [mx, my, exx, eyy, exy] = [x, y, xx, yy, xy].map((plane) => gaussianBlur(plane, w, h));
  const out = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const vx = exx[p] - mx[p] * mx[p];
    const vy = eyy[p] - my[p] * my[p];
    const cxy = exy[p] - mx[p] * my[p];
    out[p] = ((2 * mx[p] * my[p] + C1) * (2 * cxy + C2)) / ((mx[p] * mx[p] + my[p] * my[p] + C1) * (vx + vy + C2));
  }
  return out;
}

/** Separable 11-tap Gaussian, BORDER_REFLECT_101 like OpenCV; float64 sums over a float32 plane. */
function gaussianBlur(src: Float32Array, w: number, h: number): Float64Array {
  const k = SSIM_KERNEL;
  const r = (k.length - 1) / 2;
  const tmp = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let t = -r; t <= r; t++) sum += k[t + r] * src[row + reflect101(x + t, w)];
      tmp[row + x] = sum;
    }
  }
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let t = -r; t <= r; t++) sum += k[t + r] * tmp[reflect101(y + t, h) * w + x];
      out[y * w + x] = sum;
    }
  }
  return out;
}
