/**
 * DDIM with η = 0 (Song et al. 2020, eq. 12): deterministic and memoryless, so it is exact for a model
 * that predicts the true noise — the test oracle for the multistep solvers.
 *
 * Differences from diffusers, on purpose:
 * - The previous timestep is the next entry of `timesteps` (the paper's sub-sequence τ). diffusers uses
 *   `t − T//N`, which equals it for 'leading' spacing (SD's own DDIM config) but is off by one here and
 *   there for 'linspace'/'trailing' (e.g. 979 → 959 instead of 958 at 50 steps).
 * - After the last timestep the sample lands on ᾱ₀ (SD's `set_alpha_to_one: false`), i.e. σ_min, not 1.
 */
import type { ScheduleConfig, Scheduler } from '../scheduler.ts';
import { alphasCumprod, inferenceTimesteps } from './schedule.ts';
import { stepGuard } from './common.ts';

export function createDdim(steps: number, config: ScheduleConfig): Scheduler {
  const timesteps = inferenceTimesteps(config, steps, 'ddim');
  const abar = alphasCumprod(config);
  const finalAlphaCumprod = abar[0];
  const guard = stepGuard(steps);

  function step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    guard(stepIndex, modelOutput, sample);
    const aT = abar[timesteps[stepIndex]];
    const aPrev = stepIndex + 1 < steps ? abar[timesteps[stepIndex + 1]] : finalAlphaCumprod;
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
