/**
 * Seam removal for the exemplar fill. Copied patches carry the brightness and tint of wherever they came
 * from, so a fill can be a shade off from the picture around it, and that edge is what a person notices.
 * Where the fill's patches overlap kept pixels, the difference between the picture and what the patches
 * predicted there is the seam; it is spread smoothly over the hole (Shepard's inverse-distance weighting,
 * exact at the edge and fading to the mean offset inside) and added, which keeps the copied texture.
 */
import type { Level } from './pyramid.ts';

/** Enough edge samples for a smooth field; more only costs time (hole pixels × samples). */
const MAX_SAMPLES = 400;
/** About this many grid points carry the field over a large hole (exact per pixel on small ones). */
const GRID_POINTS = 16_000;

/**
 * `predicted` holds, for kept pixels under the fill's patches (weight > 0), what the patches say they should
 * be; hole pixels of `level.rgb` are shifted by the interpolated difference.
 */
export function removeSeams(level: Level, predicted: Float32Array, weights: Float32Array): void {
  const { w, h, rgb, hole } = level;
  const edge: number[] = [];
  for (let i = 0; i < w * h; i++) if (!hole[i] && weights[i] > 0) edge.push(i);
  if (edge.length === 0) return;
  const stride = Math.max(1, Math.ceil(edge.length / MAX_SAMPLES));
  const count = Math.ceil(edge.length / stride);
  const xs = new Float32Array(count);
  const ys = new Float32Array(count);
  const offsets = new Float32Array(count * 3);
  for (let k = 0; k < count; k++) {
    const i = edge[k * stride];
    xs[k] = i % w;
    ys[k] = Math.floor(i / w);
    for (let c = 0; c < 3; c++) offsets[k * 3 + c] = rgb[i * 3 + c] - predicted[i * 3 + c];
  }
  // The field is smooth: on large holes, evaluate it on a coarse grid and interpolate bilinearly.
  let holePixels = 0;
  let x0 = w;
  let y0 = h;
  let x1 = 0;
  let y1 = 0;
  for (let p = 0; p < w * h; p++) {
    if (!hole[p]) continue;
    holePixels++;
    const x = p % w;
    const y = (p - x) / w;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  if (holePixels === 0) return;
  const step = Math.max(1, Math.floor(Math.sqrt(holePixels / GRID_POINTS)));
  const gw = Math.floor((x1 - x0) / step) + 2;
  const gh = Math.floor((y1 - y0) / step) + 2;
  const grid = new Float32Array(gw * gh * 3);
  const at = new Float32Array(3);
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      shepard(x0 + gx * step, y0 + gy * step, xs, ys, offsets, at);
      grid.set(at, (gy * gw + gx) * 3);
    }
  }
  for (let p = 0; p < w * h; p++) {
    if (!hole[p]) continue;
    const x = p % w;
    const y = (p - x) / w;
    const fx = (x - x0) / step;
    const fy = (y - y0) / step;
    const gx = Math.floor(fx);
    const gy = Math.floor(fy);
    const tx = fx - gx;
    const ty = fy - gy;
    const a = (gy * gw + gx) * 3;
    const b = a + 3;
    const c = a + gw * 3;
    const d = c + 3;
    for (let k = 0; k < 3; k++) {
      const top = grid[a + k] + (grid[b + k] - grid[a + k]) * tx;
      const bottom = grid[c + k] + (grid[d + k] - grid[c + k]) * tx;
      rgb[p * 3 + k] += top + (bottom - top) * ty;
    }
  }
}

/** Shepard's inverse-square-distance mean of the edge offsets at (x, y), into `out`. */
function shepard(x: number, y: number, xs: Float32Array, ys: Float32Array, offsets: Float32Array, out: Float32Array): void {
  let sum = 0;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  for (let k = 0; k < xs.length; k++) {
    const dx = xs[k] - x;
    const dy = ys[k] - y;
    const d2 = dx * dx + dy * dy;
    if (d2 === 0) {
      out[0] = offsets[k * 3];
      out[1] = offsets[k * 3 + 1];
      out[2] = offsets[k * 3 + 2];
      return;
    }
    const weight = 1 / d2;
    sum += weight;
    s0 += weight * offsets[k * 3];
    s1 += weight * offsets[k * 3 + 1];
    s2 += weight * offsets[k * 3 + 2];
  }
  out[0] = s0 / sum;
  out[1] = s1 / sum;
  out[2] = s2 / sum;
}
