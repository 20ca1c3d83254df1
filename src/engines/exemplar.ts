/**
 * Exemplar-based hole filling: copies texture from the picture itself (the content-aware fill of photo
 * editors), after Wexler, Shechtman & Irani, "Space-Time Completion of Video" (2007), with Barnes et al.'s
 * PatchMatch (2009) as the nearest-neighbour search.
 *
 * Coarse to fine over an image pyramid: at the coarsest level the hole is a few pixels deep and a smooth
 * fill is a fine start; at each level, every patch overlapping the hole finds its most similar fully-known
 * patch (PatchMatch: propagation + random search), then each hole pixel becomes the similarity-weighted
 * vote of the patches covering it (EM). The nearest-neighbour field is upsampled to seed the next level.
 * Deterministic for a given seed; synchronous (the classical engine runs it in a worker thread).
 */
import type { Mask, RgbImage } from '../images/raster.ts';
import { boxSums } from './hole-parts.ts';
import { buildPyramid, peelFill, type Level } from './pyramid.ts';
import { removeSeams } from './seams.ts';
import { mulberry32 } from './seeded.ts';

export interface ExemplarOptions {
  /** Pixels outside the hole that must not be copied from (other holes, not filled yet). */
  avoid?: Mask;
  /** Called with the fraction of the work done, non-decreasing. */
  onProgress?: (fraction: number) => void;
}

/** Patch half-size: patches are 7×7. */
const PATCH_RADIUS = 3;

/** Levels with more target patches than this are rebuilt from the coarser match without a new search. */
const SEARCH_BUDGET = 100_000;
/** A sweep reports progress every this many patches (a progress bar, not a flood of messages). */
const PROGRESS_EVERY_TARGETS = 1024;

/**
 * Fills the hole (1 = fill) from the rest of the picture. Returns null when no patch lies fully outside the
 * hole and `avoid` (nothing to copy from): the caller falls back to a diffusion fill.
 */
export function inpaintExemplar(image: RgbImage, hole: Mask, options: ExemplarOptions = {}): RgbImage | null {
  const r = PATCH_RADIUS;
  // Seeded, so the same picture and hole always give the same fill (the classical engine is deterministic).
  const random = mulberry32(1);
  const levels = buildPyramid(image, hole, options.avoid, r);
  const coarsest = levels[levels.length - 1];
  peelFill(coarsest);

  const plans = levels.map((level, i) => ({ level, em: Math.min(2 + i, 6), targets: targetPixels(level, r) }));
  const totalWork = plans.reduce((sum, p) => sum + p.targets.length * p.em, 0);
  let done = 0;
  let map: Int32Array | null = null;
  let below: Level | null = null;
  // The finest level's last vote also predicts the kept pixels around the hole: how far off the patches are
  // there is the seam, removed below.
  let predicted: ReturnType<typeof vote> | null = null;
  for (let i = plans.length - 1; i >= 0; i--) {
    const { level, em, targets } = plans[i];
    const sources = validSources(level, r);
    if (sources.list.length === 0) return null;
    const field = createField(level, targets, sources, random, map, below);
    // Above the budget, a level is rebuilt from the coarser level's matches (one vote) without searching.
    const search = targets.length <= SEARCH_BUDGET || below === null;
    const last = (iteration: number) => i === 0 && (!search || iteration === em - 1);
    if (below) predicted = vote(level, field, r, last(-1));
    for (let iteration = 0; search && iteration < em; iteration++) {
      rescore(level, field, r);
      const before = done;
      improve(level, field, sources, r, random, iteration % 2 === 0, (k) => options.onProgress?.(Math.min(1, (before + k) / totalWork)));
      predicted = vote(level, field, r, last(iteration));
      done += targets.length;
      options.onProgress?.(Math.min(1, done / totalWork));
    }
    if (!search) done += targets.length * em;
    map = field.map;
    below = level;
  }
  const finest = levels[0];
  if (predicted) removeSeams(finest, predicted.acc, predicted.weights);
  const out = new Uint8Array(image.data);
  for (let i = 0; i < finest.w * finest.h; i++) {
    if (!finest.hole[i]) continue;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(Math.min(255, Math.max(0, finest.rgb[i * 3 + c])));
  }
  return { width: image.width, height: image.height, data: out };
}

interface Field {
  targets: Int32Array;
  /** Source pixel index per target. */
  match: Int32Array;
  cost: Float32Array;
  /** Per pixel of the level: its source when the pixel is a target, else -1 (to seed the next level). */
  map: Int32Array;
}

/** Centres of patches that overlap the hole. */
function targetPixels(level: Level, r: number): Int32Array {
  const { w, h, hole } = level;
  const count = boxSums(hole, w, h, r);
  let n = 0;
  for (let i = 0; i < w * h; i++) if (count[i] > 0) n++;
  const out = new Int32Array(n);
  for (let i = 0, k = 0; i < w * h; i++) if (count[i] > 0) out[k++] = i;
  return out;
}

interface Sources {
  /** Centres of patches that lie fully inside the picture and touch neither the hole nor `avoid`. */
  list: Int32Array;
  /** The same as a per-pixel flag, so a candidate is checked in one read. */
  valid: Uint8Array;
}

function validSources(level: Level, r: number): Sources {
  const { w, h, blocked } = level;
  const count = boxSums(blocked, w, h, r);
  const valid = new Uint8Array(w * h);
  let n = 0;
  for (let y = r; y < h - r; y++) {
    for (let x = r; x < w - r; x++) {
      if (count[y * w + x] !== 0) continue;
      valid[y * w + x] = 1;
      n++;
    }
  }
  const list = new Int32Array(n);
  for (let i = 0, k = 0; i < w * h; i++) if (valid[i]) list[k++] = i;
  return { list, valid };
}

function isSource(sources: Sources, w: number, h: number, sx: number, sy: number): boolean {
  return sx >= 0 && sy >= 0 && sx < w && sy < h && sources.valid[sy * w + sx] === 1;
}

/** Initial matches: the coarser level's, scaled up, where still valid; random sources elsewhere. */
function createField(
  level: Level, targets: Int32Array, sources: Sources, random: () => number,
  coarseMap: Int32Array | null, coarse: Level | null,
): Field {
  const { w, h } = level;
  const match = new Int32Array(targets.length);
  const map = new Int32Array(w * h).fill(-1);
  for (let t = 0; t < targets.length; t++) {
    const p = targets[t];
    let s = -1;
    if (coarseMap && coarse) {
      const x = p % w;
      const y = (p - x) / w;
      const cs = coarseMap[Math.min(coarse.h - 1, y >> 1) * coarse.w + Math.min(coarse.w - 1, x >> 1)];
      if (cs >= 0) {
        const sx = 2 * (cs % coarse.w) + (x & 1);
        const sy = 2 * Math.floor(cs / coarse.w) + (y & 1);
        if (isSource(sources, w, h, sx, sy)) s = sy * w + sx;
      }
    }
    if (s < 0) s = sources.list[Math.floor(random() * sources.list.length)];
    match[t] = s;
    map[p] = s;
  }
  return { targets, match, cost: new Float32Array(targets.length), map };
}

/** Sum of squared RGB differences between the patch at p and the one at s, stopping once above `limit`. */
function patchCost(level: Level, r: number, p: number, s: number, limit: number): number {
  const { w, h, rgb } = level;
  const x = p % w;
  const y = (p - x) / w;
  const shift = (s - p) * 3;
  let sum = 0;
  for (let dy = -r; dy <= r; dy++) {
    const py = y + dy;
    if (py < 0 || py >= h) continue;
    const x0 = Math.max(0, x - r);
    const x1 = Math.min(w - 1, x + r);
    let a = (py * w + x0) * 3;
    const end = (py * w + x1) * 3;
    for (; a <= end; a += 3) {
      const d0 = rgb[a] - rgb[a + shift];
      const d1 = rgb[a + 1] - rgb[a + 1 + shift];
      const d2 = rgb[a + 2] - rgb[a + 2 + shift];
      sum += d0 * d0 + d1 * d1 + d2 * d2;
    }
    if (sum > limit) return sum;
  }
  return sum;
}

/** Costs change whenever the hole's estimate changes: recompute them before searching again. */
function rescore(level: Level, field: Field, r: number): void {
  for (let t = 0; t < field.targets.length; t++) field.cost[t] = patchCost(level, r, field.targets[t], field.match[t], Infinity);
}

/** One PatchMatch sweep: propagate good matches from the previous neighbours, then search randomly. */
function improve(
  level: Level, field: Field, sources: Sources, r: number, random: () => number, forward: boolean,
  onSwept: (count: number) => void,
): void {
  const { w, h } = level;
  const { targets, match, cost, map } = field;
  const n = targets.length;
  const step = forward ? 1 : -1;
  const maxRadius = Math.max(w, h);
  const tryCandidate = (t: number, p: number, sx: number, sy: number): void => {
    if (!isSource(sources, w, h, sx, sy)) return;
    const s = sy * w + sx;
    if (s === match[t]) return;
    const c = patchCost(level, r, p, s, cost[t]);
    if (c < cost[t]) {
      cost[t] = c;
      match[t] = s;
      map[p] = s;
    }
  };
  for (let k = forward ? 0 : n - 1; k >= 0 && k < n; k += step) {
    const p = targets[k];
    const x = p % w;
    const y = (p - x) / w;
    // Propagation: the neighbour before p (in sweep order) matched well; shifted by one, so may p.
    for (const q of [p - step, p - step * w]) {
      if (q < 0 || q >= w * h) continue;
      const qs = map[q];
      if (qs < 0) continue;
      const qx = qs % w;
      tryCandidate(k, p, qx + (x - (q % w)), (qs - qx) / w + (y - Math.floor(q / w)));
    }
    // Random search in shrinking windows around the current match; one fully random jump keeps it exploring.
    const sx = match[k] % w;
    const sy = (match[k] - sx) / w;
    for (let radius = maxRadius; radius >= 1; radius >>= 1) {
      tryCandidate(k, p, sx + Math.round((random() * 2 - 1) * radius), sy + Math.round((random() * 2 - 1) * radius));
    }
    const jump = sources.list[Math.floor(random() * sources.list.length)];
    tryCandidate(k, p, jump % w, Math.floor(jump / w));
    const swept = forward ? k + 1 : n - k;
    if (swept % PROGRESS_EVERY_TARGETS === 0) onSwept(swept);
  }
}

/**
 * Each hole pixel becomes the weighted mean of what the patches covering it propose (Wexler's voting).
 * With `ring`, kept pixels under those patches are predicted too (and left unchanged): the prediction is
 * returned, with its weights, so seams can be measured where the fill meets the picture.
 */
function vote(level: Level, field: Field, r: number, ring = false): { acc: Float32Array; weights: Float32Array } {
  const { w, h, rgb, hole } = level;
  const { targets, match } = field;
  const n = targets.length;
  const area = (2 * r + 1) ** 2;
  // Similarity weights: a patch that matched well has more say. Scale from the field's own costs.
  const costs = Float32Array.from(field.cost).sort();
  const scale = Math.max(1, costs[Math.floor(n * 0.75)] / area);
  const acc = new Float32Array(w * h * 3);
  const weights = new Float32Array(w * h);
  for (let t = 0; t < n; t++) {
    const p = targets[t];
    const x = p % w;
    const y = (p - x) / w;
    const shift = match[t] - p;
    const weight = Math.exp(-field.cost[t] / area / (2 * scale));
    for (let dy = -r; dy <= r; dy++) {
      const py = y + dy;
      if (py < 0 || py >= h) continue;
      for (let dx = -r; dx <= r; dx++) {
        const px = x + dx;
        if (px < 0 || px >= w) continue;
        const q = py * w + px;
        if (!hole[q] && !ring) continue;
        const src = (q + shift) * 3;
        acc[q * 3] += weight * rgb[src];
        acc[q * 3 + 1] += weight * rgb[src + 1];
        acc[q * 3 + 2] += weight * rgb[src + 2];
        weights[q] += weight;
      }
    }
  }
  for (let q = 0; q < w * h; q++) {
    if (weights[q] === 0) continue;
    const inv = 1 / weights[q];
    for (let c = 0; c < 3; c++) acc[q * 3 + c] *= inv;
    if (!hole[q]) continue;
    rgb[q * 3] = acc[q * 3];
    rgb[q * 3 + 1] = acc[q * 3 + 1];
    rgb[q * 3 + 2] = acc[q * 3 + 2];
  }
  return { acc, weights };
}
