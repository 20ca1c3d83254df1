/**
 * The scheduler contract the BrushNet pipeline uses (design §3.3). Schedulers are apart from models and
 * pipelines, as in diffusers: pure maths over Float32Arrays, with exact timesteps.
 */

/** How inference timesteps are spread over the training ones (diffusers' timestep_spacing). */
export type TimestepSpacing = 'linspace' | 'leading' | 'trailing';

export type SchedulerName = 'ddim' | 'dpmpp-2m' | 'unipc';

export interface ScheduleConfig {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: 'scaled_linear' | 'linear';
  /** The spacing of every scheduler `spacings` does not name (UniPC's, the reference's, in exported folders). */
  spacing: TimestepSpacing;
  /**
   * Per scheduler, as diffusers' `XScheduler.from_config(base scheduler_config)` derives it: the file's
   * timestep_spacing when it names one, else each class's default (see diffusersSpacings).
   */
  spacings?: Partial<Record<SchedulerName, TimestepSpacing>>;
  stepsOffset: number;
  predictionType: 'epsilon' | 'v_prediction';
  /** DDIM's ᾱ after its last step: 1, or ᾱ₀ when false (SD's `set_alpha_to_one: false`, the default here). */
  setAlphaToOne?: boolean;
}

/** diffusers' default timestep_spacing per scheduler class (DDIMScheduler, DPMSolverMultistep, UniPCMultistep). */
export const diffusersDefaultSpacing: Readonly<Record<SchedulerName, TimestepSpacing>> = {
  ddim: 'leading',
  'dpmpp-2m': 'linspace',
  unipc: 'linspace',
};

/**
 * The spacing each scheduler gets from a base model's raw scheduler_config.json. diffusers' from_config keeps
 * only the keys the file set (`_use_default_values` drops the rest), so a file without timestep_spacing (SD1.5's
 * own) gives DDIM "leading" and the multistep solvers "linspace", and a file that names one gives it to all.
 */
export function diffusersSpacings(raw: Record<string, unknown>): Record<SchedulerName, TimestepSpacing> {
  const named = raw.timestep_spacing;
  const defaulted = Array.isArray(raw._use_default_values) && raw._use_default_values.includes('timestep_spacing');
  if (named === undefined || named === null || defaulted) return { ...diffusersDefaultSpacing };
  if (named !== 'linspace' && named !== 'leading' && named !== 'trailing') {
    throw new RangeError(`timestep_spacing ${JSON.stringify(named)} is not one of linspace, leading, trailing`);
  }
  return { ddim: named, 'dpmpp-2m': named, unipc: named };
}

/** The spacing `name` runs with under `config`. */
export function spacingFor(config: ScheduleConfig, name: SchedulerName): TimestepSpacing {
  return config.spacings?.[name] ?? config.spacing;
}

/** SD1.5's schedule (its scheduler_config.json names no spacing): scaled_linear β from 0.00085 to 0.012 over 1000 steps. */
export const sd15Schedule: ScheduleConfig = {
  numTrainTimesteps: 1000,
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: 'scaled_linear',
  spacing: 'linspace',
  spacings: { ...diffusersDefaultSpacing },
  stepsOffset: 1,
  predictionType: 'epsilon',
  setAlphaToOne: false,
};

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
