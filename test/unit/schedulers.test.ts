import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rng } from '../helpers/random.ts';
import type { ScheduleConfig, Scheduler, SchedulerName } from '../../src/engines/brushnet/scheduler.ts';
import { sd15Schedule } from '../../src/engines/brushnet/scheduler.ts';
import type { FinalSigma } from '../../src/engines/brushnet/schedulers/index.ts';
import {
  alphasCumprod,
  createScheduler,
  DPMPP_2M_DEFAULT_FINAL_SIGMA,
  inferenceTimesteps,
  roundHalfEven,
  sigmasFromAlphas,
  UNIPC_DEFAULT_FINAL_SIGMA,
} from '../../src/engines/brushnet/schedulers/index.ts';
import { linspace } from '../../src/engines/brushnet/schedulers/schedule.ts';

/** Written by test/fixtures/scheduler-reference.py (independent NumPy, from the papers). */
interface Reference {
  abar: Record<string, number>;
  sigma: Record<string, number>;
  timesteps: Record<'ddim' | 'multistep', Record<ScheduleConfig['spacing'], Record<string, number[]>>>;
  sample: number[];
  outputs10: number[][];
  outputs20: number[][];
  outputs50: number[][];
  ddim: { step50: number[][]; step50_v: number[][]; run10: number[][]; run10_leading: number[][]; run10_trailing: number[][] };
  unipc: { first2_50: number[][]; run10_min: number[][]; run10_zero: number[][] };
  dpmpp2m: { run10_zero: number[][]; run10_min: number[][]; run20_min: number[][]; run20_zero: number[][] };
}
const ref = JSON.parse(
  readFileSync(new URL('../fixtures/scheduler-reference.json', import.meta.url), 'utf8'),
) as Reference;

const spacings = ['linspace', 'leading', 'trailing'] as const;
/** SD1.5's schedule with one spacing for every scheduler (a base config that names it). */
const every = (spacing: ScheduleConfig['spacing']): ScheduleConfig => ({ ...sd15Schedule, spacing, spacings: undefined });
const names: SchedulerName[] = ['ddim', 'dpmpp-2m', 'unipc'];

function expectRel(got: Float32Array, want: number[], rel = 1e-5): void {
  expect(got.length).toBe(want.length);
  for (let j = 0; j < want.length; j++) {
    // Relative, with a tiny absolute floor for values near zero (float32 samples).
    expect(Math.abs(got[j] - want[j])).toBeLessThanOrEqual(rel * Math.abs(want[j]) + 1e-7);
  }
}

/** Drives `steps` of a scheduler with fixed outputs; returns every step's sample. */
function run(s: Scheduler, outputs: number[][], start: number[] = ref.sample): Float32Array[] {
  let x: Float32Array = Float32Array.from(start);
  const out: Float32Array[] = [];
  outputs.forEach((o, i) => {
    x = s.step(Float32Array.from(o), i, x);
    out.push(x);
  });
  return out;
}

describe('schedule (design §3.3 constants)', () => {
  const abar = alphasCumprod(sd15Schedule);
  const sig = sigmasFromAlphas(abar);

  it('matches the design constants to the stated digits', () => {
    expect(Math.abs(abar[0] - 0.99915)).toBeLessThan(5e-6);
    expect(Math.abs(abar[999] - 0.0046601)).toBeLessThan(5e-8);
    expect(Math.abs(sig[0] - 0.029167)).toBeLessThan(5e-7);
    expect(Math.abs(sig[999] - 14.6146)).toBeLessThan(5e-5);
  });

  it('matches the NumPy reference at t = 0, 1, 500, 999', () => {
    for (const [t, v] of Object.entries(ref.abar)) expect(abar[Number(t)]).toBeCloseTo(v, 12);
    for (const [t, v] of Object.entries(ref.sigma)) expect(sig[Number(t)] / v).toBeCloseTo(1, 12);
  });
});

describe('inference timesteps', () => {
  for (const family of ['ddim', 'multistep'] as const) {
    for (const spacing of spacings) {
      for (const n of [25, 50]) {
        it(`${family} ${spacing} ${n} steps equal NumPy's integers`, () => {
          const ts = inferenceTimesteps({ ...sd15Schedule, spacing }, n, family);
          expect(ts).toEqual(ref.timesteps[family][spacing][String(n)]);
          expect(ts.every(Number.isInteger)).toBe(true);
        });
      }
    }
  }

  it('rounds half to even like NumPy, where Math.round differs', () => {
    expect([0.5, 1.5, 2.5, 3.5, -1.5, -2.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 4, -2, -2, 2, 3]);
    // DDIM linspace at 25 steps: the grid holds 166.5 and 832.5 exactly.
    const grid = linspace(0, 999, 25);
    expect(grid[4]).toBe(166.5);
    expect(grid[20]).toBe(832.5);
    expect(Math.round(166.5)).toBe(167);
    const ts = inferenceTimesteps(sd15Schedule, 25, 'ddim');
    expect(ts).toContain(166);
    expect(ts).toContain(832);
    expect(ts).not.toContain(167);
    expect(ts).not.toContain(833);
  });

  it('DDIM and the multistep solvers space linspace differently', () => {
    expect(inferenceTimesteps(sd15Schedule, 50, 'ddim').at(-1)).toBe(0);
    expect(inferenceTimesteps(sd15Schedule, 50, 'multistep').at(-1)).toBe(20);
    expect(createScheduler('unipc', 50).timesteps).toEqual(ref.timesteps.multistep.linspace['50']);
    expect(createScheduler('dpmpp-2m', 50).timesteps).toEqual(ref.timesteps.multistep.linspace['50']);
    expect(createScheduler('ddim', 50, every('linspace')).timesteps).toEqual(ref.timesteps.ddim.linspace['50']);
    // SD1.5's own config names no spacing: DDIM gets its class default, leading (test/unit/scheduler-spacing.test.ts).
    expect(createScheduler('ddim', 50).timesteps).toEqual(ref.timesteps.ddim.leading['50']);
  });

  it('trailing keeps exactly N steps where NumPy arange overshoots (N = 61)', () => {
    const ts = inferenceTimesteps({ ...sd15Schedule, spacing: 'trailing' }, 61);
    expect(ts).toHaveLength(61);
    expect(ts[0]).toBe(999);
    expect(Math.min(...ts)).toBeGreaterThanOrEqual(0);
  });
});

describe('steps against the NumPy reference (1e-5 relative)', () => {
  it('DDIM: one step at 50, ε and v prediction, and a 10-step run', () => {
    expectRel(run(createScheduler('ddim', 50, every('linspace')), ref.outputs50.slice(0, 1))[0], ref.ddim.step50[0]);
    const v = createScheduler('ddim', 50, { ...every('linspace'), predictionType: 'v_prediction' });
    expectRel(run(v, ref.outputs50.slice(0, 1))[0], ref.ddim.step50_v[0]);
    run(createScheduler('ddim', 10, every('linspace')), ref.outputs10).forEach((x, i) => expectRel(x, ref.ddim.run10[i]));
    run(createScheduler('ddim', 10), ref.outputs10).forEach((x, i) => expectRel(x, ref.ddim.run10_leading[i]));
    run(createScheduler('ddim', 10, every('trailing')), ref.outputs10).forEach((x, i) => expectRel(x, ref.ddim.run10_trailing[i]));
  });

  it('UniPC: the first two steps at 50 (predictor, then corrector + predictor)', () => {
    const got = run(createScheduler('unipc', 50), ref.outputs50);
    got.forEach((x, i) => expectRel(x, ref.unipc.first2_50[i]));
  });

  for (const fs of ['min', 'zero'] as const) {
    it(`UniPC: a 10-step run ending at σ ${fs}`, () => {
      const got = run(createScheduler('unipc', 10, sd15Schedule, { finalSigma: fs }), ref.outputs10);
      got.forEach((x, i) => expectRel(x, ref.unipc[`run10_${fs}`][i]));
    });
    for (const n of [10, 20] as const) {
      it(`DPM++ 2M: a ${n}-step run ending at σ ${fs}`, () => {
        const outputs = n === 10 ? ref.outputs10 : ref.outputs20;
        const got = run(createScheduler('dpmpp-2m', n, sd15Schedule, { finalSigma: fs }), outputs);
        got.forEach((x, i) => expectRel(x, ref.dpmpp2m[`run${n}_${fs}`][i]));
      });
    }
  }

  it('defaults: UniPC ends at σ_min (BrushNet parity), DPM++ 2M at zero', () => {
    expect(UNIPC_DEFAULT_FINAL_SIGMA).toBe('min');
    expect(DPMPP_2M_DEFAULT_FINAL_SIGMA).toBe('zero');
    const u = createScheduler('unipc', 10) as Scheduler & { sigmas: Float64Array; finalSigma: FinalSigma };
    expect(u.finalSigma).toBe('min');
    expect(u.sigmas).toHaveLength(11);
    expect(u.sigmas[10]).toBeCloseTo(ref.sigma['0'], 6);
  });
});

describe('a model that predicts the true noise recovers x0', () => {
  const x0 = Float32Array.from([0.5, -0.25, 0.8, -1, 0.1, 0.3, -0.6, 0.9]);
  const abar = alphasCumprod(sd15Schedule);
  const rand = rng(7);
  // Box–Muller Gaussian initial noise.
  const noise = Float32Array.from(x0, () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()));

  function denoise(name: SchedulerName, steps: number, finalSigma?: FinalSigma): Float32Array {
    const s = createScheduler(name, steps, sd15Schedule, finalSigma ? { finalSigma } : {});
    let x: Float32Array = Float32Array.from(noise, (v) => v * s.initNoiseSigma);
    s.timesteps.forEach((t, i) => {
      const a = abar[t];
      const eps = Float32Array.from(x, (v, j) => (v - Math.sqrt(a) * x0[j]) / Math.sqrt(1 - a));
      x = s.step(eps, i, x);
    });
    return x;
  }

  // With exact x₀ predictions every solver follows x_t = α_t·x₀ + σ_t·ε̂ with ε̂ fixed by the start
  // (t = 999 for linspace; DDIM's leading spacing starts at 981).
  const atMinFrom = (start: number) => {
    const a = abar[start];
    const epsHat = Float32Array.from(noise, (v, j) => (v - Math.sqrt(a) * x0[j]) / Math.sqrt(1 - a));
    return Float32Array.from(x0, (v, j) => Math.sqrt(abar[0]) * v + Math.sqrt(1 - abar[0]) * epsHat[j]);
  };

  for (const name of names) {
    it(`${name} (50 steps) lands on √ᾱ₀·x₀ + √(1−ᾱ₀)·ε̂, within 0.1 of x₀`, () => {
      const atMin = atMinFrom(createScheduler(name, 50).timesteps[0]);
      const x = denoise(name, 50, name === 'ddim' ? undefined : 'min');
      for (let j = 0; j < x.length; j++) {
        expect(x[j]).toBeCloseTo(atMin[j], 5);
        expect(Math.abs(x[j] - x0[j])).toBeLessThan(0.1);
      }
    });
  }
  for (const name of ['dpmpp-2m', 'unipc'] as const) {
    for (const steps of [10, 25]) {
      it(`${name} (${steps} steps) ending at zero returns x₀ itself`, () => {
        const x = denoise(name, steps, 'zero');
        for (let j = 0; j < x.length; j++) expect(x[j]).toBeCloseTo(x0[j], 5);
      });
    }
  }
});

describe('state and determinism', () => {
  const outs = ref.outputs20;

  it('is deterministic: fresh instances give bit-identical samples', () => {
    for (const name of names) {
      const a = run(createScheduler(name, 20), outs);
      const b = run(createScheduler(name, 20), outs);
      a.forEach((x, i) => expect(Array.from(x)).toEqual(Array.from(b[i])));
    }
  });

  it('keeps history per instance: interleaved instances equal separate runs', () => {
    for (const name of ['dpmpp-2m', 'unipc'] as const) {
      const alone = run(createScheduler(name, 20), outs);
      const a = createScheduler(name, 20);
      const b = createScheduler(name, 20);
      let xa: Float32Array = Float32Array.from(ref.sample);
      let xb: Float32Array = Float32Array.from(ref.sample, (v) => -v);
      outs.forEach((o, i) => {
        xa = a.step(Float32Array.from(o), i, xa);
        xb = b.step(Float32Array.from(o, (v) => v * 0.5), i, xb);
      });
      expect(Array.from(xa)).toEqual(Array.from(alone[19]));
    }
  });

  it('multistep outputs depend on history; DDIM does not', () => {
    const x = Float32Array.from(ref.sample);
    const o = Float32Array.from(outs[1]);
    for (const name of names) {
      const a = createScheduler(name, 20);
      const b = createScheduler(name, 20);
      a.step(Float32Array.from(outs[0]), 0, x);
      b.step(Float32Array.from(outs[0], (v) => -v), 0, x);
      const same = Array.from(a.step(o, 1, x)).join() === Array.from(b.step(o, 1, x)).join();
      expect(same).toBe(name === 'ddim');
    }
  });

  it('does not mutate its inputs and returns new arrays', () => {
    for (const name of names) {
      const s = createScheduler(name, 10);
      const x = Float32Array.from(ref.sample);
      const o = Float32Array.from(outs[0]);
      const y = s.step(o, 0, x);
      expect(y).not.toBe(x);
      expect(Array.from(x)).toEqual(Array.from(Float32Array.from(ref.sample)));
      expect(Array.from(o)).toEqual(Array.from(Float32Array.from(outs[0])));
    }
  });
});

describe('bad inputs throw naming the value', () => {
  for (const name of names) {
    it(`${name}: steps 0, 1001, 2.5, NaN`, () => {
      expect(() => createScheduler(name, 0)).toThrow(/got 0/);
      expect(() => createScheduler(name, 1001)).toThrow(/got 1001/);
      expect(() => createScheduler(name, 2.5)).toThrow(/got 2\.5/);
      expect(() => createScheduler(name, Number.NaN)).toThrow(/got NaN/);
      // 1000 steps is allowed; linspace then repeats timesteps for the multistep solvers (tested below).
      if (name === 'ddim') expect(createScheduler(name, 1000).timesteps).toHaveLength(1000);
      else expect(createScheduler(name, 1000, every('trailing')).timesteps).toHaveLength(1000);
    });
  }

  it('rejects out-of-order steps, bad indices, mismatched lengths', () => {
    const s = createScheduler('unipc', 10);
    const x = Float32Array.from(ref.sample);
    const o = Float32Array.from(ref.outputs10[0]);
    expect(() => s.step(o, 10, x)).toThrow(/got 10/);
    expect(() => s.step(o, -1, x)).toThrow(/got -1/);
    expect(() => s.step(new Float32Array(3), 0, x)).toThrow(/3 values/);
    s.step(o, 0, x);
    expect(() => s.step(o, 0, x)).toThrow(/expected stepIndex 1, got 0/);
    expect(() => s.step(o, 2, x)).toThrow(/expected stepIndex 1, got 2/);
  });

  it('rejects a multistep schedule with repeated timesteps, unknown names and final sigmas', () => {
    // linspace(0, 999, 1001) rounds 499.5 and 500.499 both to 500.
    expect(() => createScheduler('unipc', 1000)).toThrow(/steps 1000 repeat timestep 500/);
    expect(() => createScheduler('nope' as SchedulerName, 10)).toThrow(/unknown scheduler nope/);
    expect(() => createScheduler('unipc', 10, sd15Schedule, { finalSigma: 'max' as FinalSigma })).toThrow(/got max/);
  });
});
