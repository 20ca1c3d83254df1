/**
 * DDIM with η = 0 (Song et al. 2020, eq. 12): deterministic and memoryless, so it is exact for a model
 * that predicts the true noise — the test oracle for the multistep solvers.
 *
 * As diffusers' DDIMScheduler computes it (parity with the reference matters more than the paper's τ):
 * - The previous timestep is `t − T//N`, not the next entry of `timesteps`. They agree for 'leading' spacing
 *   (what SD1.5's config gives DDIM: 981, 961, …, 1 at 50 steps) and differ for 'linspace'/'trailing'
 *   (e.g. linspace at 10 steps: 999 → 899, while the next timestep is 888).
 * - A previous timestep below 0 lands on ᾱ₀ (SD's `set_alpha_to_one: false`, i.e. σ_min), or on 1 with
 *   `setAlphaToOne`.
 */
import type { ScheduleConfig, Scheduler } from '../scheduler.ts';
import { alphasCumprod, inferenceTimesteps } from './schedule.ts';
import { stepGuard } from './common.ts';

/** diffusers' DDIM previous timestep: t − T//N (negative after the last step). */
export function ddimPreviousTimestep(t: number, steps: number, config: ScheduleConfig): number {
  return t - Math.floor(config.numTrainTimesteps / steps);
}

export function createDdim(steps: number, config: ScheduleConfig): Scheduler {
  const timesteps = inferenceTimesteps(config, steps, 'ddim');
  const abar = alphasCumprod(config);
  const finalAlphaCumprod = config.setAlphaToOne ? 1 : abar[0];
  const guard = stepGuard(steps);

  function step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    guard(stepIndex, modelOutput, sample);
    const aT = abar[timesteps[stepIndex]];
    const prev = ddimPreviousTimestep(timesteps[stepIndex], steps, config);
    const aPrev = prev >= 0 ? abar[prev] : finalAlphaCumprod;
    const sqA = Math.sqrt(aT);
    const sqB = Math.sqrt(1 - aT);
    const sqAPrev = Math.sqrt(aPrev);
    const sqBPrev = Math.sqrt(1 - aPrev);
    const out = new Float32Array(sample.length);
    const v = config.predictionType === 'v_prediction';
    for (let j = 0; j < out.length; j++) {
      const x = sample[j];
      const m = modelOutput[j];
      // x₀ and ε from the model output; v = √ᾱ·ε − √(1−ᾱ)·x₀ (Salimans & Ho 2022) for v-prediction.
      const x0 = v ? sqA * x - sqB * m : (x - sqB * m) / sqA;
      const eps = v ? sqA * m + sqB * x : m;
      out[j] = sqAPrev * x0 + sqBPrev * eps;
    }
    return out;
  }

  return { name: 'ddim', timesteps, initNoiseSigma: 1, step };
}
