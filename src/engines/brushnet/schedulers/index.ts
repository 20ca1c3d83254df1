/**
 * Scheduler factory (design §3.3). One instance per image: DPM++ 2M and UniPC keep history.
 */
import type { ScheduleConfig, Scheduler, SchedulerName } from '../scheduler.ts';
import { sd15Schedule, spacingFor } from '../scheduler.ts';
import type { MultistepOptions } from './common.ts';
import { createDdim } from './ddim.ts';
import { createDpmpp2m } from './dpmpp-2m.ts';
import { createUniPC } from './unipc.ts';
import { assertSteps } from './schedule.ts';

export type { FinalSigma, MultistepOptions } from './common.ts';
export type { MultistepScheduler } from './unipc.ts';
export { UNIPC_DEFAULT_FINAL_SIGMA, createUniPC } from './unipc.ts';
export { DPMPP_2M_DEFAULT_FINAL_SIGMA, createDpmpp2m } from './dpmpp-2m.ts';
export { createDdim, ddimPreviousTimestep } from './ddim.ts';
export {
  alphasCumprod,
  betas,
  inferenceTimesteps,
  roundHalfEven,
  sigmasFromAlphas,
} from './schedule.ts';
export type { TimestepFamily } from './schedule.ts';

export const schedulerNames: readonly SchedulerName[] = ['ddim', 'dpmpp-2m', 'unipc'];

/**
 * Each scheduler runs with its own spacing (`spacingFor`: SD1.5's config gives DDIM 'leading' and the multistep
 * solvers 'linspace', as diffusers does). `options.finalSigma` applies to the multistep solvers (DDIM ends at ᾱ₀,
 * or 1 with `config.setAlphaToOne`). Throws a RangeError naming the value for bad steps or names.
 */
export function createScheduler(
  name: SchedulerName,
  steps: number,
  base: ScheduleConfig = sd15Schedule,
  options: MultistepOptions = {},
): Scheduler {
  assertSteps(steps, base);
  const config: ScheduleConfig = { ...base, spacing: spacingFor(base, name) };
  switch (name) {
    case 'ddim':
      return createDdim(steps, config);
    case 'dpmpp-2m':
      return createDpmpp2m(steps, config, options);
    case 'unipc':
      return createUniPC(steps, config, options);
    default:
      throw new RangeError(`unknown scheduler ${String(name)}; expected one of ${schedulerNames.join(', ')}`);
  }
}
