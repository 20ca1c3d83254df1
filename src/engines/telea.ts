/**
 * Alexandru Telea's fast-marching inpainting ("An Image Inpainting Technique Based on the Fast Marching
 * Method", 2004), shaped like OpenCV's INPAINT_TELEA: the hole is filled from its edge inwards in order of
 * distance T, and each pixel becomes a weighted average of the known pixels within `radius`, each one
 * extrapolated along its own gradient (the paper's I(q) + ∇I(q)·(p − q)), weighted by dir · dst · lev.
 *
 * Two deliberate departures from OpenCV, both for picture quality: filled values are kept in float until the
 * end (see `work`), and differences steeper than EDGE_SLOPE are not extrapolated (see `extrapolate`). OpenCV
 * instead squashes the whole gradient term to about ±1 grey level, which cannot continue a smooth ramp.
 *
 * Pure and synchronous: the classical engine runs it inside a worker thread. Everything is flat typed arrays
 * and an array-backed heap so a 512² image does not allocate per pixel (≈ 60–90 ms for 512² with a 15 % hole).
 *
 * Edge cases: an empty hole returns a copy; a hole covering every pixel has nothing to propagate from, so the
 * result is mid-grey (128) rather than an error — the caller's blend still decides what the user sees.
 */
import type { Mask, RgbImage } from '../images/raster.ts';
import { createHeap, heapPop, heapPush, type Heap } from './min-heap.ts';

export interface TeleaOptions {
  /** Neighbourhood radius ε in pixels (OpenCV's inpaintRadius). Default 5. */
  radius?: number;
  /** Called with the filled fraction, non-decreasing, and exactly once with 1 at the end. */
  onProgress?: (fraction: number) => void;
  /** Smallest fraction step between two onProgress calls. Default 0.01. */
  progressEvery?: number;
  /** Polled every few hundred pixels; returning true throws an Error named 'AbortError'. */
  shouldStop?: () => boolean;
}

// Pixel states. Ordering matters: `state <= BAND` means "has a value usable by its neighbours".
const KNOWN = 0;
const BAND = 1;
const INSIDE = 2;
/** Only used by the outward pass: hole pixels it must not walk into. */
const BLOCKED = 3;

/** T of pixels not reached yet. Large but finite so 1 + FAR stays comparable. */
const FAR = 1e6;
const STOP_CHECK_EVERY = 512;
/** Grey levels per pixel above which a local difference is treated as an edge rather than a ramp. */
const EDGE_SLOPE = 12;

export function inpaintTelea(image: RgbImage, hole: Mask, options: TeleaOptions = {}): RgbImage {
  const { width: w, height: h } = image;
  checkInputs(image, hole);
  const radius = Math.round(options.radius ?? 5);
  if (!(radius >= 1)) throw new Error(`inpaintTelea: radius must be >= 1, got ${options.radius}`);
  const step = options.progressEvery ?? 0.01;
  if (!(step > 0)) throw new Error(`inpaintTelea: progressEvery must be > 0, got ${step}`);
  const { onProgress, shouldStop } = options;

  const n = w * h;
  const out = new Uint8Array(image.data);
  const flags = new Uint8Array(n);
  const t = new Float32Array(n);
  let holeCount = 0;
  for (let i = 0; i < n; i++) {
    if (hole.data[i] !== 0) {
      flags[i] = INSIDE;
      t[i] = FAR;
      holeCount++;
    }
  }
  if (holeCount === 0 || holeCount === n) {
    if (holeCount === n) out.fill(128);
    onProgress?.(1);
    return { width: w, height: h, data: out };
  }
  if (shouldStop?.()) throw stopped();

  // The starting band: known pixels touching the hole, at T = 0.
  const heap = createHeap(n);
  for (let i = 0; i < n; i++) {
    if (flags[i] === KNOWN && touchesHole(i, w, h, flags)) {
      flags[i] = BAND;
      heapPush(heap, i, 0);
    }
  }
  // Known pixels get T = -(distance to the band) so the level-set weight also favours pixels near the edge.
  distanceOutside(flags, t, w, h, heap, 2 * radius + 2);

  // Working colours in float: rounding every filled pixel to a byte would feed quantisation steps back into
  // the gradient estimates of the next ring and bend smooth ramps.
  const work = Float32Array.from(image.data);
  const fill = { work, flags, t, w, h, radius };
  const stepCount = Math.max(1, Math.ceil(holeCount * step));
  let nextReport = stepCount;
  let filled = 0;
  while (heap.size > 0) {
    const p = heapPop(heap);
    flags[p] = KNOWN;
    for (let k = 0; k < 4; k++) {
      const q = neighbour(p, k, w, h);
      if (q < 0 || flags[q] !== INSIDE) continue;
      t[q] = solveT(q, w, h, flags, t);
      fillPixel(fill, q);
      flags[q] = BAND;
      heapPush(heap, q, t[q]);
      filled++;
      if (filled % STOP_CHECK_EVERY === 0 && shouldStop?.()) throw stopped();
      if (filled >= nextReport && filled < holeCount) {
        onProgress?.(filled / holeCount);
        nextReport = filled + stepCount;
      }
    }
  }
  // Only hole pixels change; work is already clamped to 0..255.
  for (let c = 0; c < n * 3; c++) if (hole.data[(c / 3) | 0] !== 0) out[c] = Math.round(work[c]);
  onProgress?.(1);
  return { width: w, height: h, data: out };
}

function checkInputs(image: RgbImage, hole: Mask): void {
  const { width: w, height: h } = image;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w <= 0 || h <= 0) {
    throw new Error(`inpaintTelea: bad image size ${w}x${h}`);
  }
  if (image.data.length !== w * h * 3) throw new Error(`inpaintTelea: image data has ${image.data.length} bytes, expected ${w * h * 3}`);
  if (hole.width !== w || hole.height !== h) throw new Error(`inpaintTelea: hole is ${hole.width}x${hole.height}, image is ${w}x${h}`);
  if (hole.data.length !== w * h) throw new Error(`inpaintTelea: hole data has ${hole.data.length} bytes, expected ${w * h}`);
}

function stopped(): Error {
  const error = new Error('inpaintTelea stopped by shouldStop');
  error.name = 'AbortError';
  return error;
}

/** 4-neighbour k (0 up, 1 left, 2 down, 3 right) of pixel p, or -1 outside the image. */
function neighbour(p: number, k: number, w: number, h: number): number {
  if (k === 0) return p >= w ? p - w : -1;
  if (k === 2) return p < (h - 1) * w ? p + w : -1;
  const x = p % w;
  if (k === 1) return x > 0 ? p - 1 : -1;
  return x < w - 1 ? p + 1 : -1;
}

function touchesHole(p: number, w: number, h: number, flags: Uint8Array): boolean {
  for (let k = 0; k < 4; k++) {
    const q = neighbour(p, k, w, h);
    if (q >= 0 && flags[q] === INSIDE) return true;
  }
  return false;
}

/**
 * Fast march outwards from the band over known pixels, up to `limit`, writing T = -distance. Beyond the limit
 * the value is clamped: such pixels are further than any radius-window needs to tell apart.
 * Leaves the heap as it found it (the band), since the inward march starts from the same pixels.
 */
function distanceOutside(flags: Uint8Array, t: Float32Array, w: number, h: number, heap: Heap, limit: number): void {
  const n = w * h;
  const state = new Uint8Array(n);
  const dist = new Float32Array(n);
  const outward = createHeap(n);
  for (let i = 0; i < n; i++) {
    if (flags[i] === INSIDE) state[i] = BLOCKED;
    else if (flags[i] === BAND) state[i] = BAND;
    else state[i] = INSIDE;
    dist[i] = state[i] === BAND ? 0 : FAR;
  }
  for (let k = 0; k < heap.size; k++) heapPush(outward, heap.items[k], 0);
  while (outward.size > 0) {
    const p = heapPop(outward);
    state[p] = KNOWN;
    for (let k = 0; k < 4; k++) {
      const q = neighbour(p, k, w, h);
      if (q < 0 || state[q] !== INSIDE) continue;
      const d = solveT(q, w, h, state, dist);
      dist[q] = d;
      if (d > limit) continue;
      state[q] = BAND;
      heapPush(outward, q, d);
    }
  }
  for (let i = 0; i < n; i++) if (flags[i] === KNOWN) t[i] = -Math.min(dist[i], limit);
}

/** Eikonal |∇T| = 1 from the 4-neighbours: the best of the four quadrant solutions (OpenCV's min4). */
function solveT(i: number, w: number, h: number, flags: Uint8Array, t: Float32Array): number {
  const up = neighbour(i, 0, w, h);
  const left = neighbour(i, 1, w, h);
  const down = neighbour(i, 2, w, h);
  const right = neighbour(i, 3, w, h);
  return Math.min(solvePair(up, left, flags, t), solvePair(down, left, flags, t), solvePair(up, right, flags, t), solvePair(down, right, flags, t));
}

function solvePair(a: number, b: number, flags: Uint8Array, t: Float32Array): number {
  const knownA = a >= 0 && flags[a] <= BAND;
  const knownB = b >= 0 && flags[b] <= BAND;
  if (knownA && knownB) {
    const ta = t[a];
    const tb = t[b];
    const d = ta - tb;
    // Upwind: when the two arrivals differ by a pixel or more, only the earlier one informs this pixel.
    return Math.abs(d) >= 1 ? 1 + Math.min(ta, tb) : (ta + tb + Math.sqrt(2 - d * d)) * 0.5;
  }
  if (knownA) return 1 + t[a];
  if (knownB) return 1 + t[b];
  return 1 + FAR;
}

interface FillState {
  work: Float32Array;
  flags: Uint8Array;
  t: Float32Array;
  w: number;
  h: number;
  radius: number;
}

/**
 * The paper's first-order estimate of p's value seen from q, one channel: I(q) + ∇I(q)·(p − q), with ∇I from
 * central (or one-sided, at the front) differences. A difference steeper than EDGE_SLOPE is an edge, not a
 * ramp: extrapolating it several pixels paints bright/dark halos beside every edge crossing the hole, so such
 * a q contributes its plain value. (OpenCV avoids the same halos by shrinking the term to about ±1.)
 */
function extrapolate(
  v: Float32Array, c: number, stepX: number, stepY: number,
  hasPrevX: boolean, hasNextX: boolean, hasPrevY: boolean, hasNextY: boolean, dx: number, dy: number,
): number {
  const gx = diff(v, c, c - stepX, c + stepX, hasPrevX, hasNextX);
  const gy = diff(v, c, c - stepY, c + stepY, hasPrevY, hasNextY);
  if (Math.abs(gx) + Math.abs(gy) > EDGE_SLOPE) return v[c];
  return v[c] + dx * gx + dy * gy;
}

/** One-sided or central difference over usable neighbours; 0 when neither side has a value. */
function diff(v: Float32Array, at: number, prev: number, next: number, hasPrev: boolean, hasNext: boolean): number {
  if (hasNext) return hasPrev ? (v[next] - v[prev]) * 0.5 : v[next] - v[at];
  return hasPrev ? v[at] - v[prev] : 0;
}

function fillPixel(s: FillState, p: number): void {
  const { work, flags, t, w, h, radius } = s;
  const x = p % w;
  const y = (p - x) / w;
  const tp = t[p];

  // ∇T at p: the marching direction, i.e. the normal of the front.
  const hasL = x > 0 && flags[p - 1] <= BAND;
  const hasR = x < w - 1 && flags[p + 1] <= BAND;
  const hasU = y > 0 && flags[p - w] <= BAND;
  const hasD = y < h - 1 && flags[p + w] <= BAND;
  let gx = hasR ? (hasL ? (t[p + 1] - t[p - 1]) * 0.5 : t[p + 1] - tp) : hasL ? tp - t[p - 1] : 0;
  let gy = hasD ? (hasU ? (t[p + w] - t[p - w]) * 0.5 : t[p + w] - tp) : hasU ? tp - t[p - w] : 0;
  const gLen = Math.sqrt(gx * gx + gy * gy);
  if (gLen > 0) {
    gx /= gLen;
    gy /= gLen;
  }

  const r2 = radius * radius;
  const row = w * 3;
  let sumW = 0;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  const k0 = Math.max(0, y - radius);
  const k1 = Math.min(h - 1, y + radius);
  const l0 = Math.max(0, x - radius);
  const l1 = Math.min(w - 1, x + radius);
  for (let k = k0; k <= k1; k++) {
    const dy = y - k;
    for (let l = l0; l <= l1; l++) {
      const dx = x - l;
      const d2 = dx * dx + dy * dy;
      const q = k * w + l;
      if (d2 > r2 || flags[q] > BAND) continue;
      const len = Math.sqrt(d2);
      // dir: favour pixels along the front's normal; dst: nearer is better; lev: same level set is better.
      let dir = (dx * gx + dy * gy) / len;
      if (Math.abs(dir) <= 0.01) dir = 1e-6;
      const lev = 1 / (1 + Math.abs(t[q] - tp));
      const weight = Math.abs(dir) * lev / d2;

      const qc = q * 3;
      const hasPrevX = l > 0 && flags[q - 1] <= BAND;
      const hasNextX = l < w - 1 && flags[q + 1] <= BAND;
      const hasPrevY = k > 0 && flags[q - w] <= BAND;
      const hasNextY = k < h - 1 && flags[q + w] <= BAND;
      s0 += weight * extrapolate(work, qc, 3, row, hasPrevX, hasNextX, hasPrevY, hasNextY, dx, dy);
      s1 += weight * extrapolate(work, qc + 1, 3, row, hasPrevX, hasNextX, hasPrevY, hasNextY, dx, dy);
      s2 += weight * extrapolate(work, qc + 2, 3, row, hasPrevX, hasNextX, hasPrevY, hasNextY, dx, dy);
      sumW += weight;
    }
  }
  // sumW > 0: the pixel that reached p is a known 4-neighbour at distance 1.
  const pc = p * 3;
  work[pc] = Math.min(255, Math.max(0, s0 / sumW));
  work[pc + 1] = Math.min(255, Math.max(0, s1 / sumW));
  work[pc + 2] = Math.min(255, Math.max(0, s2 / sumW));
}
