/**
 * DPM-Solver++(2M) (Lu et al. 2022, arXiv 2211.01095, Algorithm 2): multistep, data prediction, the
 * "midpoint" second-order form x_t = (σ_t/σ_s)·x − α_t(e^{−h} − 1)·D with D = m₀ + (m₀ − m₁)/(2r).
 *
 * Where diffusers departs from the paper, we follow diffusers (these are what users tune against):
 * - `lower_order_final`: the last step is first order when N < 15 (the paper has no such rule; it keeps
 *   short schedules stable) and always when it lands on σ = 0, where λ = ∞ makes the 2M difference
 *   term 0·∞. The first step is first order in both (no history yet).
 * Final sigma: default 'zero' (upstream diffusers' default): no BrushNet reference uses DPM++, so there
 * is no parity to keep, and landing on 0 returns the model's x₀ with no residual σ_min noise.
 */
import type { ScheduleConfig } from '../scheduler.ts';
import { inferenceTimesteps } from './schedule.ts';
import type { FinalSigma, MultistepOptions } from './common.ts';
import { assertStrictlyDecreasing, dataPrediction, finalSigmaOption, multistepSigmas, stepGuard, vp } from './common.ts';
import type { MultistepScheduler } from './unipc.ts';

export const DPMPP_2M_DEFAULT_FINAL_SIGMA: FinalSigma = 'zero';

export function createDpmpp2m(steps: number, config: ScheduleConfig, options: MultistepOptions = {}): MultistepScheduler {
  const finalSigma = finalSigmaOption(options.finalSigma, DPMPP_2M_DEFAULT_FINAL_SIGMA);
  const timesteps = inferenceTimesteps(config, steps, 'multistep');
  assertStrictlyDecreasing(timesteps, steps);
  const sigmas = multistepSigmas(config, timesteps, finalSigma);
  const guard = stepGuard(steps);
  // Per-instance history: the previous data prediction (m₁) for the 2M difference.
  let previous: Float32Array | null = null;

  function step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    guard(stepIndex, modelOutput, sample);
    const s = vp(sigmas[stepIndex]);
    const t = vp(sigmas[stepIndex + 1]);
    const m0 = dataPrediction(modelOutput, sample, s.alpha, s.sigmaT, config.predictionType);
    const m1 = previous;
    previous = m0;
    // Landing on σ = 0: the first-order update's limit is exactly m₀ (σ_t/σ_s → 0, e^{−h} → 0).
    if (t.sigmaT === 0) return m0.slice();

    const lowerOrderFinal = stepIndex === steps - 1 && (steps < 15 || finalSigma === 'zero');
    const h = t.lambda - s.lambda;
    const ratio = t.sigmaT / s.sigmaT;
    const c = -t.alpha * Math.expm1(-h); // −α_t(e^{−h} − 1) > 0
    const out = new Float32Array(sample.length);
    if (m1 === null || lowerOrderFinal) {
      for (let j = 0; j < out.length; j++) out[j] = ratio * sample[j] + c * m0[j];
      return out;
    }
    // r = h_{i−1}/h_i, with h_{i−1} the λ step that produced the current sample.
    const r = (s.lambda - vp(sigmas[stepIndex - 1]).lambda) / h;
    const k = 1 / (2 * r);
    for (let j = 0; j < out.length; j++) out[j] = ratio * sample[j] + c * ((1 + k) * m0[j] - k * m1[j]);
    return out;
  }

  return { name: 'dpmpp-2m', timesteps, initNoiseSigma: 1, sigmas, finalSigma, step };
}
