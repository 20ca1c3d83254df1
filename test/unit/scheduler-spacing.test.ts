import { describe, expect, it } from 'vitest';
import type { ScheduleConfig } from '../../src/engines/brushnet/scheduler.ts';
import { diffusersSpacings, sd15Schedule, spacingFor } from '../../src/engines/brushnet/scheduler.ts';
import { alphasCumprod, createScheduler, ddimPreviousTimestep } from '../../src/engines/brushnet/schedulers/index.ts';

/** SD1.5's scheduler/scheduler_config.json as shipped: no timestep_spacing key. */
const sd15Raw = {
  _class_name: 'PNDMScheduler',
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
};

/**
 * diffusers' DDIMScheduler.set_timesteps for 'leading' (read in TencentARC/BrushNet's vendored
 * src/diffusers/schedulers/scheduling_ddim.py and upstream): step_ratio = T // N,
 * (arange(0, N) * step_ratio).round()[::-1] + steps_offset; step() then uses prev = t − T // N.
 */
function diffusersLeading(T: number, N: number, offset: number): number[] {
  const ratio = Math.floor(T / N);
  return Array.from({ length: N }, (_, i) => (N - 1 - i) * ratio + offset);
}

describe('per-scheduler spacing from the base model’s scheduler_config.json', () => {
  it('SD1.5’s file (no timestep_spacing): DDIM leading, DPM++ and UniPC linspace', () => {
    expect(diffusersSpacings(sd15Raw)).toEqual({ ddim: 'leading', 'dpmpp-2m': 'linspace', unipc: 'linspace' });
    expect(sd15Schedule.spacings).toEqual(diffusersSpacings(sd15Raw));
  });

  it('a file that names a spacing gives it to every scheduler; one diffusers filled in by default does not', () => {
    expect(diffusersSpacings({ ...sd15Raw, timestep_spacing: 'trailing' })).toEqual({ ddim: 'trailing', 'dpmpp-2m': 'trailing', unipc: 'trailing' });
    expect(diffusersSpacings({ ...sd15Raw, timestep_spacing: 'leading', _use_default_values: ['timestep_spacing'] }).unipc).toBe('linspace');
    expect(() => diffusersSpacings({ ...sd15Raw, timestep_spacing: 'karras' })).toThrow(/"karras"/);
  });

  it('spacingFor: the per-scheduler entry, else the config’s single spacing', () => {
    const single: ScheduleConfig = { ...sd15Schedule, spacing: 'trailing', spacings: undefined };
    expect(spacingFor(single, 'ddim')).toBe('trailing');
    expect(spacingFor({ ...single, spacings: { ddim: 'leading' } }, 'ddim')).toBe('leading');
    expect(spacingFor({ ...single, spacings: { ddim: 'leading' } }, 'unipc')).toBe('trailing');
  });
});

describe('DDIM from SD1.5’s config, as diffusers runs it', () => {
  const abar = alphasCumprod(sd15Schedule);

  it('50 steps: 981, 961, …, 1 (leading, steps_offset 1); the multistep solvers keep linspace', () => {
    const ddim = createScheduler('ddim', 50, sd15Schedule);
    expect(ddim.timesteps.slice(0, 3)).toEqual([981, 961, 941]);
    expect(ddim.timesteps.slice(-3)).toEqual([41, 21, 1]);
    expect(ddim.timesteps).toEqual(diffusersLeading(1000, 50, 1));
    expect(createScheduler('unipc', 50, sd15Schedule).timesteps[0]).toBe(999);
    for (const n of [1, 3, 7, 25, 333, 999, 1000]) expect(createScheduler('ddim', n).timesteps).toEqual(diffusersLeading(1000, n, 1));
  });

  it('previous timestep is t − T//N: the next entry for leading, and −19 after t = 1', () => {
    const ts = createScheduler('ddim', 50).timesteps;
    const prev = ts.map((t) => ddimPreviousTimestep(t, 50, sd15Schedule));
    expect(prev.slice(0, -1)).toEqual(ts.slice(1));
    expect(prev.at(-1)).toBe(-19);
  });

  /** One DDIM step fed the true noise: lands exactly on √ᾱ_prev·x₀ + √(1−ᾱ_prev)·ε. */
  function stepTo(config: ScheduleConfig, steps: number, index: number): { got: Float32Array; x0: number[]; eps: number[] } {
    const s = createScheduler('ddim', steps, config);
    const x0 = [0.4, -0.7, 0.2];
    const eps = [1.1, -0.3, 0.5];
    const a = abar[s.timesteps[index]];
    const x = Float32Array.from(x0, (v, j) => Math.sqrt(a) * v + Math.sqrt(1 - a) * eps[j]);
    for (let i = 0; i < index; i++) s.step(Float32Array.from(eps), i, x); // advance the guard; outputs unused
    return { got: s.step(Float32Array.from(eps), index, x), x0, eps };
  }
  const expectAt = (r: { got: Float32Array; x0: number[]; eps: number[] }, aPrev: number) =>
    r.x0.forEach((v, j) => expect(r.got[j]).toBeCloseTo(Math.sqrt(aPrev) * v + Math.sqrt(1 - aPrev) * r.eps[j], 5));

  it('a linspace DDIM step goes 999 → 899 (t − T//N), not to the next timestep 888', () => {
    const linspace: ScheduleConfig = { ...sd15Schedule, spacing: 'linspace', spacings: undefined };
    expect(createScheduler('ddim', 10, linspace).timesteps.slice(0, 2)).toEqual([999, 888]);
    expectAt(stepTo(linspace, 10, 0), abar[899]);
  });

  it('the last step lands on ᾱ₀ (set_alpha_to_one false), or on x₀ itself with setAlphaToOne', () => {
    expectAt(stepTo(sd15Schedule, 50, 49), abar[0]);
    expectAt(stepTo({ ...sd15Schedule, setAlphaToOne: true }, 50, 49), 1);
  });
});
