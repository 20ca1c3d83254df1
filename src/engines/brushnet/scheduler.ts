/**
 * The scheduler contract the BrushNet pipeline uses (design §3.3). Schedulers are apart from models and
 * pipelines, as in diffusers: pure maths over Float32Arrays, with exact timesteps.
 */

export interface ScheduleConfig {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: 'scaled_linear' | 'linear';
  /** How inference timesteps are spread over the training ones (diffusers' timestep_spacing). */
  spacing: 'linspace' | 'leading' | 'trailing';
  stepsOffset: number;
  predictionType: 'epsilon' | 'v_prediction';
}

/** SD1.5's schedule: scaled_linear β from 0.00085 to 0.012 over 1000 steps. */
export const sd15Schedule: ScheduleConfig = {
  numTrainTimesteps: 1000,
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: 'scaled_linear',
  spacing: 'linspace',
  stepsOffset: 1,
  predictionType: 'epsilon',
};

export type SchedulerName = 'ddim' | 'dpmpp-2m' | 'unipc';

export interface Scheduler {
  readonly name: SchedulerName;
  /** Training timesteps to run at, in the order they are used (descending). */
  readonly timesteps: readonly number[];
  /** Multiply the initial Gaussian noise by this (1 for these schedulers in ε-space). */
  readonly initNoiseSigma: number;
  /**
   * One denoising step: the model's output at timesteps[stepIndex] for `sample` → the sample for the next step.
   * Stateful for multistep schedulers (DPM++ 2M, UniPC keep previous outputs): create one per image.
   */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array;
}
