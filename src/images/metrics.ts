/**
 * Background-preservation metrics: how much did an edit disturb the pixels it was told to keep
 * (hole == 0)? Used by the bench and stored per edit, so the numbers must depend on the kept region only.
 */
import type { Box } from '../contracts.ts';
import type { Mask, RgbImage } from './raster.ts';
import { sameSize } from './raster.ts';
import { gaussianKernel } from './blend.ts';
import { growBox, maskBounds } from './mask-ops.ts';

export interface BackgroundMetrics {
  /** Mean squared error on 0..255 over R, G and B of the kept pixels. */
  mse: number;
  /** 10·log10(255² / mse); Infinity when mse = 0 (JSON callers store it as null). */
  psnr: number;
  /** Mean SSIM over kept pixels, on BT.601 luma. */
  ssim: number;
  /** Number of kept pixels the metrics cover. */
  pixels: number;
}

const SSIM_TAPS = 11;
const SSIM_SIGMA = 1.5;
const L = 255;
const C1 = (0.01 * L) ** 2;
const C2 = (0.03 * L) ** 2;
const SSIM_KERNEL = gaussianKernel(SSIM_TAPS, SSIM_SIGMA);

/**
 * MSE, PSNR and SSIM of `result` against `original` over the unmasked region.
 *
 * SSIM uses the standard constants (K1 0.01, K2 0.03, L 255) and an 11×11 Gaussian window (σ 1.5), but the
 * window statistics are masked: each local mean/variance/covariance is a Gaussian-weighted average over
 * kept pixels only (normalised convolution, clipped at the image border). Without that, windows next to the
 * hole would see the generated content and a change inside the hole would move the "background" score.
 * The SSIM map is then averaged over kept pixels.
 *
 * With no kept pixels (full mask) there is nothing to compare: returns pixels 0, mse 0, psnr Infinity,
 * ssim 1 — "nothing in the background was disturbed", and never NaN.
 */
export function backgroundMetrics(original: RgbImage, result: RgbImage, hole: Mask): BackgroundMetrics {
  if (
    original.width !== result.width || original.height !== result.height ||
    original.width !== hole.width || original.height !== hole.height
  ) {
    throw new Error(
      `metrics size mismatch: original ${original.width}x${original.height}, result ` +
        `${result.width}x${result.height}, hole ${hole.width}x${hole.height}`,
    );
  }
  const w = original.width;
  return measure(original, hole, { x: 0, y: 0, w, h: original.height }, (y) => result.data.subarray(y * w * 3, (y + 1) * w * 3));
}

/**
 * backgroundMetrics(original, result, hole) for a result that is `original` except inside `region`, whose pixels
 * are `patch` (that box's size, the whole hole inside it): the same numbers bit for bit, without a full-size
 * result. Only the region grown by two SSIM radii is measured: a kept pixel whose window sees no changed pixel
 * scores exactly 1 (the two windows are equal, so every term of the ratio is), so outside it each kept pixel
 * adds exactly 1, in the same order as the full computation adds it.
 */
export function patchMetrics(original: RgbImage, patch: RgbImage, region: Box, hole: Mask): BackgroundMetrics {
  const { width: w, height: h } = original;
  const bounds = maskBounds(hole);
  const within = (b: Box, outer: Box) => b.x >= outer.x && b.y >= outer.y && b.x + b.w <= outer.x + outer.w && b.y + b.h <= outer.y + outer.h;
  const fits = within(region, { x: 0, y: 0, w, h }) && (!bounds || within(bounds, region));
  if (!sameSize(original, hole) || patch.width !== region.w || patch.height !== region.h || !fits) {
    throw new Error(`metrics patch mismatch: ${patch.width}x${patch.height} for region ${JSON.stringify(region)} of ${w}x${h}, hole ${JSON.stringify(bounds)}`);
  }
  const win = growBox(region, SSIM_TAPS - 1, w, h);
  const row = new Uint8Array(win.w * 3);
  return measure(original, hole, win, (y) => {
    row.set(original.data.subarray((y * w + win.x) * 3, (y * w + win.x + win.w) * 3));
    if (y >= region.y && y < region.y + region.h) row.set(patch.data.subarray((y - region.y) * region.w * 3, (y - region.y + 1) * region.w * 3), (region.x - win.x) * 3);
    return row;
  });
}

/**
 * The metrics over `win` (every pixel outside it kept and unchanged); resultRow(y) gives the result's row y over
 * win's columns (it may reuse one array).
 */
function measure(original: RgbImage, hole: Mask, win: Box, resultRow: (y: number) => Uint8Array): BackgroundMetrics {
  const { width: w, height: h } = original;
  const rows: Rows = {
    a: (y) => original.data.subarray((y * w + win.x) * 3, (y * w + win.x + win.w) * 3),
    b: resultRow,
    md: (y) => hole.data.subarray(y * w + win.x, y * w + win.x + win.w),
  };
  let pixels = w * h - win.w * win.h;
  let sq = 0;
  for (let y = win.y; y < win.y + win.h; y++) {
    const a = rows.a(y);
    const b = rows.b(y);
    const md = rows.md(y);
    for (let p = 0, i = 0; p < win.w; p++, i += 3) {
      if (md[p] !== 0) continue;
      pixels++;
      const d0 = a[i] - b[i];
      const d1 = a[i + 1] - b[i + 1];
      const d2 = a[i + 2] - b[i + 2];
      sq += d0 * d0 + d1 * d1 + d2 * d2;
    }
  }
  if (pixels === 0) return { mse: 0, psnr: Infinity, ssim: 1, pixels: 0 };
  const mse = sq / (pixels * 3);
  const psnr = mse === 0 ? Infinity : 10 * Math.log10((L * L) / mse);
  return { mse, psnr, ssim: maskedSsim(rows, w, h, win, pixels), pixels };
}

/** Rows of the original, the result and the hole over the measured window's columns, by picture row. */
interface Rows {
  a(y: number): Uint8Array;
  b(y: number): Uint8Array;
  md(y: number): Uint8Array;
}

function maskedSsim(rows: Rows, width: number, height: number, win: Box, pixels: number): number {
  const r = (SSIM_TAPS - 1) / 2;
  const w = win.w;
  // Six planes per pixel: v, v·x, v·y, v·x², v·y², v·x·y with v = 1 on kept pixels. Luma is centred on 128
  // so the E[x²] − E[x]² cancellation loses less precision in float32 storage. Zero padding clips the window
  // at the border; dividing by the filtered v renormalises it, the same way it discounts hole pixels.
  const pw = w + 2 * r;
  const planes: Float64Array[] = [];
  for (let q = 0; q < 6; q++) planes.push(new Float64Array(pw));
  // Horizontally filtered rows live in a ring of 11 rows per plane: the vertical tap only ever needs the
  // 11 rows around the output row, so memory stays O(width) and cache-resident.
  const ring: Float32Array[] = [];
  for (let q = 0; q < 6; q++) ring.push(new Float32Array(SSIM_TAPS * w));

  const accs: Float64Array[] = [];
  for (let q = 0; q < 6; q++) accs.push(new Float64Array(w));
  const [av, ax, ay, axx, ayy, axy] = accs;
  const offsets = new Int32Array(SSIM_TAPS);
  // Window rows t (picture row win.y + t); rows outside the window contribute nothing.
  const filter = (t: number) => filterRow(t, t >= 0 && t < win.h ? win.y + t : -1, rows, w, planes, ring);
  for (let t = -r; t < r; t++) filter(t);
  let total = 0;
  // Kept pixels outside the window, each exactly 1, added one at a time where a full pass would add them.
  const unchanged = (n: number) => {
    for (let i = 0; i < n; i++) total += 1;
  };
  unchanged(win.y * width);
  for (let y = 0; y < win.h; y++) {
    filter(y + r);
    for (let k = 0; k < SSIM_TAPS; k++) offsets[k] = slot(y - r + k) * w;
    for (let q = 0; q < 6; q++) vconv(ring[q], offsets, w, accs[q]);
    const md = rows.md(win.y + y);
    unchanged(win.x);
    for (let x = 0; x < w; x++) {
      if (md[x] !== 0) continue;
      // A kept pixel always weights itself, so av[x] > 0.
      const inv = 1 / av[x];
      const mx = ax[x] * inv;
      const my = ay[x] * inv;
      const vx = axx[x] * inv - mx * mx;
      const vy = ayy[x] * inv - my * my;
      const cxy = axy[x] * inv - mx * my;
      const ux = mx + 128;
      const uy = my + 128;
      total += ((2 * ux * uy + C1) * (2 * cxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
    }
    unchanged(width - win.x - w);
  }
  unchanged((height - win.y - win.h) * width);
  return total / pixels;
}

function slot(t: number): number {
  return ((t % SSIM_TAPS) + SSIM_TAPS) % SSIM_TAPS;
}

/** Build the six weighted planes of picture row y (-1: none) and write their horizontal filtering into ring slot t. */
function filterRow(t: number, y: number, rows: Rows, w: number, planes: Float64Array[], ring: Float32Array[]): void {
  const r = (SSIM_TAPS - 1) / 2;
  const off = slot(t) * w;
  const rv = planes[0], rx = planes[1], ry = planes[2], rxx = planes[3], ryy = planes[4], rxy = planes[5];
  let any = false;
  if (y >= 0) {
    const a = rows.a(y);
    const b = rows.b(y);
    const md = rows.md(y);
    for (let x = 0; x < w; x++) {
      const j = x + r;
      if (md[x] !== 0) {
        rv[j] = 0;
        rx[j] = 0;
        ry[j] = 0;
        rxx[j] = 0;
        ryy[j] = 0;
        rxy[j] = 0;
        continue;
      }
      any = true;
      const i = x * 3;
      const xv = 0.299 * a[i] + 0.587 * a[i + 1] + 0.114 * a[i + 2] - 128;
      const yv = 0.299 * b[i] + 0.587 * b[i + 1] + 0.114 * b[i + 2] - 128;
      rv[j] = 1;
      rx[j] = xv;
      ry[j] = yv;
      rxx[j] = xv * xv;
      ryy[j] = yv * yv;
      rxy[j] = xv * yv;
    }
  }
  // Rows outside the window or entirely hole contribute nothing.
  for (let q = 0; q < 6; q++) {
    if (any) hconv(planes[q], ring[q], off, w);
    else ring[q].fill(0, off, off + w);
  }
}

// The 11 taps are symmetric, so pairs share a multiply; unrolled by hand because this is the hot loop.
const K0 = SSIM_KERNEL[0];
const K1 = SSIM_KERNEL[1];
const K2 = SSIM_KERNEL[2];
const K3 = SSIM_KERNEL[3];
const K4 = SSIM_KERNEL[4];
const K5 = SSIM_KERNEL[5];

/** dst[off + x] = Σ K[k]·src[x + k] over a row padded by 5 each side. */
function hconv(s: Float64Array, dst: Float32Array, off: number, w: number): void {
  for (let x = 0; x < w; x++) {
    dst[off + x] =
      K0 * (s[x] + s[x + 10]) + K1 * (s[x + 1] + s[x + 9]) + K2 * (s[x + 2] + s[x + 8]) +
      K3 * (s[x + 3] + s[x + 7]) + K4 * (s[x + 4] + s[x + 6]) + K5 * s[x + 5];
  }
}

/** out[x] = Σ K[k]·ring[o[k] + x]: the vertical tap over the 11 ring rows around the output row. */
function vconv(p: Float32Array, o: Int32Array, w: number, out: Float64Array): void {
  const o0 = o[0], o1 = o[1], o2 = o[2], o3 = o[3], o4 = o[4], o5 = o[5];
  const o6 = o[6], o7 = o[7], o8 = o[8], o9 = o[9], o10 = o[10];
  for (let x = 0; x < w; x++) {
    out[x] =
      K0 * (p[o0 + x] + p[o10 + x]) + K1 * (p[o1 + x] + p[o9 + x]) + K2 * (p[o2 + x] + p[o8 + x]) +
      K3 * (p[o3 + x] + p[o7 + x]) + K4 * (p[o4 + x] + p[o6 + x]) + K5 * p[o5 + x];
  }
}
