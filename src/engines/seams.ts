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
  for (let p = 0; p < w * h; p++) {
    if (!hole[p]) continue;
    const x = p % w;
    const y = (p - x) / w;
    let sum = 0;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    for (let k = 0; k < count; k++) {
      const dx = xs[k] - x;
      const dy = ys[k] - y;
      const weight = 1 / (dx * dx + dy * dy);
      sum += weight;
      s0 += weight * offsets[k * 3];
      s1 += weight * offsets[k * 3 + 1];
      s2 += weight * offsets[k * 3 + 2];
    }
    rgb[p * 3] += s0 / sum;
    rgb[p * 3 + 1] += s1 / sum;
    rgb[p * 3 + 2] += s2 / sum;
  }
}
