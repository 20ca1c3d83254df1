/**
 * The noise schedule and inference timesteps shared by every scheduler (design §3.3).
 *
 * Timesteps must equal diffusers' integers exactly, and diffusers builds them with NumPy: float
 * `linspace`/`arange` followed by `round`, which rounds half to even. The helpers below reproduce those
 * NumPy operations bit for bit (same IEEE operations in the same order) rather than "equivalent" maths,
 * because a value like 166.5 (DDIM linspace, 25 steps) lands on a different integer otherwise.
 */
import type { ScheduleConfig } from '../scheduler.ts';

/** DDIM spaces its steps one way, the multistep solvers (DPM-Solver++, UniPC) another. */
export type TimestepFamily = 'ddim' | 'multistep';

/** NumPy's `round` (IEEE round-half-to-even). JS `Math.round` sends 166.5 to 167; NumPy to 166. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; on an exact tie with an odd result, step back to the even neighbour.
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `np.linspace(start, stop, num)`: `i * step + start`, with the last value forced to `stop`. */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start]; // NumPy returns just `start` (there is no step)
  const out: number[] = [];
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out.push(i * step + start);
  if (num > 1) out[num - 1] = stop;
  return out;
}

/**
 * `np.arange(start, stop, step)` over floats: length `ceil((stop - start) / step)`; NumPy fills
 * `start + i * d` with `d = (start + step) - start`, which may differ from `step` in the last bit.
 */
export function arange(start: number, stop: number, step: number): number[] {
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const out: number[] = [];
  if (n === 0) return out;
  out.push(start);
  if (n === 1) return out;
  const second = start + step;
  out.push(second);
  const d = second - start;
  for (let i = 2; i < n; i++) out.push(start + i * d);
  return out;
}

/** β_t for t = 0..T−1. scaled_linear (SD) is linear in √β. Float64: the schedule is a coefficient. */
export function betas(config: ScheduleConfig): Float64Array {
  const T = config.numTrainTimesteps;
  const out = new Float64Array(T);
  if (config.betaSchedule === 'scaled_linear') {
    const ls = linspace(Math.sqrt(config.betaStart), Math.sqrt(config.betaEnd), T);
    for (let t = 0; t < T; t++) out[t] = ls[t] * ls[t];
  } else {
    const ls = linspace(config.betaStart, config.betaEnd, T);
    for (let t = 0; t < T; t++) out[t] = ls[t];
  }
  return out;
}

/**
 * ᾱ_t = Π(1 − β). Float64; diffusers accumulates this product in float32 torch, which drifts by ~1e-6
 * relative at t = 999 — far below what the fp16 UNet can see, and the design's constants agree with either.
 */
export function alphasCumprod(config: ScheduleConfig): Float64Array {
  const b = betas(config);
  const out = new Float64Array(b.length);
  let p = 1;
  for (let t = 0; t < b.length; t++) {
    p *= 1 - b[t];
    out[t] = p;
  }
  return out;
}

/** The "EDM" σ = √((1 − ᾱ)/ᾱ): x_t/α_t = x₀ + σ·ε. SD1.5: σ₀ = 0.029167, σ₉₉₉ = 14.6146. */
export function sigmasFromAlphas(alphasCumprod: Float64Array): Float64Array {
  const out = new Float64Array(alphasCumprod.length);
  for (let t = 0; t < out.length; t++) out[t] = Math.sqrt((1 - alphasCumprod[t]) / alphasCumprod[t]);
  return out;
}

/** Throws unless `steps` is an integer in 1..numTrainTimesteps (diffusers allows no more). */
export function assertSteps(steps: number, config: ScheduleConfig): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > config.numTrainTimesteps) {
    throw new RangeError(
      `scheduler steps must be an integer from 1 to ${config.numTrainTimesteps}, got ${String(steps)}`,
    );
  }
}

/**
 * Training timesteps to run at, descending, as diffusers computes them for this spacing.
 *
 * DDIM: linspace(0, T−1, N) — both ends included, so it ends at t = 0; leading uses the ratio T//N.
 * Multistep (DPM-Solver++, UniPC): linspace(0, T−1, N+1) reversed without its last (0) entry, because
 * their final step goes to a separate final sigma; leading uses T//(N+1). Trailing is the same for both.
 * `stepsOffset` applies to 'leading' only, as in diffusers (SD's config sets it to 1 for that reason).
 */
export function inferenceTimesteps(
  config: ScheduleConfig,
  steps: number,
  family: TimestepFamily = 'multistep',
): number[] {
  assertSteps(steps, config);
  const T = config.numTrainTimesteps;
  let ts: number[];
  if (config.spacing === 'linspace') {
    const grid = linspace(0, T - 1, family === 'ddim' ? steps : steps + 1).map(roundHalfEven);
    ts = grid.reverse().slice(0, steps);
  } else if (config.spacing === 'leading') {
    // DDIM: i·(T//N) for i = N−1..0. Multistep: i·(T//(N+1)) for i = N..1 (the 0 entry is dropped).
    const ratio = Math.floor(T / (family === 'ddim' ? steps : steps + 1));
    const top = family === 'ddim' ? steps - 1 : steps;
    ts = [];
    for (let i = top; i > top - steps; i--) ts.push(i * ratio + config.stepsOffset);
  } else {
    // np.arange(T, 0, −T/N) has N+1 entries for some N (61, 103, …) whose extra last one becomes −1
    // in diffusers; the schedule is the first N.
    ts = arange(T, 0, -T / steps)
      .map((v) => roundHalfEven(v) - 1)
      .slice(0, steps);
  }
  return ts;
}
