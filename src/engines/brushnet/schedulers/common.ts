/**
 * Pieces the schedulers share: VP coefficients from σ, the data (x₀) prediction, the final-sigma option
 * and the step-order guard that keeps a stateful scheduler from being driven out of order.
 */
import type { ScheduleConfig } from '../scheduler.ts';
import { alphasCumprod, sigmasFromAlphas } from './schedule.ts';

/**
 * Where a multistep solver's last step lands. 'min' is σ at t = 0 (0.029167 for SD1.5), as the diffusers
 * version vendored by BrushNet always does; 'zero' is upstream diffusers' `final_sigmas_type="zero"`,
 * whose last step returns the model's x₀ prediction with no residual noise.
 */
export type FinalSigma = 'min' | 'zero';

export interface MultistepOptions {
  finalSigma?: FinalSigma;
}

/** VP form of the EDM σ: α = 1/√(1+σ²), σ_t = σ·α, λ = log(α/σ_t) = −log σ (∞ at σ = 0). */
export function vp(sigma: number): { alpha: number; sigmaT: number; lambda: number } {
  if (sigma === 0) return { alpha: 1, sigmaT: 0, lambda: Infinity };
  const alpha = 1 / Math.sqrt(1 + sigma * sigma);
  return { alpha, sigmaT: sigma * alpha, lambda: -Math.log(sigma) };
}

/**
 * σ at each inference timestep plus the final one (N + 1 values). Timesteps are integers, so diffusers'
 * `np.interp` over the training sigmas is a plain lookup here.
 */
export function multistepSigmas(config: ScheduleConfig, timesteps: readonly number[], finalSigma: FinalSigma): Float64Array {
  const all = sigmasFromAlphas(alphasCumprod(config));
  const out = new Float64Array(timesteps.length + 1);
  timesteps.forEach((t, i) => (out[i] = all[t]));
  out[timesteps.length] = finalSigma === 'min' ? all[0] : 0;
  return out;
}

/**
 * A multistep solver divides by λ differences: two equal timesteps (linspace with N near T rounds
 * neighbours together) would give h = 0 and NaNs, so refuse such a schedule up front.
 */
export function assertStrictlyDecreasing(timesteps: readonly number[], steps: number): void {
  for (let i = 1; i < timesteps.length; i++) {
    if (!(timesteps[i] < timesteps[i - 1])) {
      throw new RangeError(`scheduler steps ${steps} repeat timestep ${timesteps[i]}; use fewer steps`);
    }
  }
}

export function finalSigmaOption(value: unknown, fallback: FinalSigma): FinalSigma {
  if (value === undefined) return fallback;
  if (value === 'min' || value === 'zero') return value;
  throw new RangeError(`finalSigma must be 'min' or 'zero', got ${String(value)}`);
}

/** x₀ from the model output at (α, σ_t): ε-prediction or v-prediction (v = α·ε − σ_t·x₀). */
export function dataPrediction(
  modelOutput: Float32Array,
  sample: Float32Array,
  alpha: number,
  sigmaT: number,
  predictionType: ScheduleConfig['predictionType'],
): Float32Array {
  const x0 = new Float32Array(sample.length);
  if (predictionType === 'epsilon') {
    for (let j = 0; j < x0.length; j++) x0[j] = (sample[j] - sigmaT * modelOutput[j]) / alpha;
  } else {
    for (let j = 0; j < x0.length; j++) x0[j] = alpha * sample[j] - sigmaT * modelOutput[j];
  }
  return x0;
}

/**
 * Guards `step(…, stepIndex, …)`: the first call may start at any index (img2img starts late, as
 * diffusers' begin_index), every later one must be the next index — multistep history is only valid
 * for consecutive steps, and reusing one instance for a second image is a bug we want loud.
 */
export function stepGuard(steps: number): (stepIndex: number, modelOutput: Float32Array, sample: Float32Array) => boolean {
  let next = -1;
  return (stepIndex, modelOutput, sample) => {
    if (!Number.isInteger(stepIndex) || stepIndex < 0 || stepIndex >= steps) {
      throw new RangeError(`stepIndex must be an integer from 0 to ${steps - 1}, got ${String(stepIndex)}`);
    }
    if (next !== -1 && stepIndex !== next) {
      throw new Error(`scheduler steps must be consecutive: expected stepIndex ${next}, got ${stepIndex}`);
    }
    if (modelOutput.length !== sample.length) {
      throw new RangeError(`model output has ${modelOutput.length} values but the sample has ${sample.length}`);
    }
    const first = next === -1;
    next = stepIndex + 1;
    return first;
  };
}
