/**
 * UniPC (Zhao et al. 2023, arXiv 2302.04867) as BrushNet's reference pipeline runs it: B(h) = e^h − 1
 * ("bh2"), solver order 2, data prediction (predict_x0), linspace spacing.
 *
 * Each step i first runs the corrector UniC on the sample the previous predictor produced, using the fresh
 * model output at it (no extra model call), then the predictor UniP to σ_{i+1}. The corrector therefore
 * runs at every step but the first, and the last predictor's output is never corrected (diffusers'
 * `disable_corrector=[]`). Orders: 1 at the first step (no history), 2 after, and 1 at the last step
 * (diffusers' `lower_order_final`, applied at every N, unlike DPM-Solver++'s N < 15); the corrector uses
 * the order of the predictor it corrects.
 *
 * Paper vs implementations: the coefficients a solve R_p(h)·a = g(h)/B(h), but the theorem only needs that
 * to hold to O(h^p), so for UniP-2 and UniC-1 (one unknown) the authors' code and diffusers use a = 1/2,
 * the h → 0 limit, instead of solving. We follow them: parity with the reference matters more than a
 * difference of O(h) in a coefficient that is already within the order condition.
 *
 * Final sigma: default 'min'. BrushNet's published results and any parity fixture come from its vendored
 * diffusers (0.27.0.dev0), whose UniPC always ends at σ_min = σ(t=0); upstream later added
 * `final_sigmas_type="zero"` (its default now), which returns x₀ without the last 0.029·ε of noise —
 * pass `finalSigma: 'zero'` for that. With 50 steps the visual difference is a faint grain.
 */
import type { ScheduleConfig, Scheduler } from '../scheduler.ts';
import { inferenceTimesteps } from './schedule.ts';
import type { FinalSigma, MultistepOptions } from './common.ts';
import { assertStrictlyDecreasing, dataPrediction, finalSigmaOption, multistepSigmas, stepGuard, vp } from './common.ts';

export const UNIPC_DEFAULT_FINAL_SIGMA: FinalSigma = 'min';

/** A multistep scheduler also reports its σ schedule (N + 1 values) and where it ends. */
export interface MultistepScheduler extends Scheduler {
  readonly sigmas: Float64Array;
  readonly finalSigma: FinalSigma;
}

export function createUniPC(steps: number, config: ScheduleConfig, options: MultistepOptions = {}): MultistepScheduler {
  const finalSigma = finalSigmaOption(options.finalSigma, UNIPC_DEFAULT_FINAL_SIGMA);
  const timesteps = inferenceTimesteps(config, steps, 'multistep');
  assertStrictlyDecreasing(timesteps, steps);
  const sigmas = multistepSigmas(config, timesteps, finalSigma);
  const guard = stepGuard(steps);

  // Per-instance state: data predictions at σ_{i−1} (m0) and σ_{i−2} (m1), the sample the last predictor
  // started from, its order, and how many steps have run (the warm-up).
  let m0: Float32Array | null = null;
  let m1: Float32Array | null = null;
  let lastSample: Float32Array | null = null;
  let lastOrder = 0;
  let done = 0;

  /**
   * The shared B(h) update from σ_s = sigmas[from] to σ_t = sigmas[from + 1] around x, with base term
   * (σ_t/σ_s)·x − α_t(e^{−h} − 1)·m0 and the correction −α_t·B(h)·Σ, Σ given by `sum(j)`.
   */
  function update(from: number, x: Float32Array, mS: Float32Array, coeffs: (hh: number) => (j: number) => number): Float32Array {
    const s = vp(sigmas[from]);
    const t = vp(sigmas[from + 1]);
    const out = new Float32Array(x.length);
    if (t.sigmaT === 0) {
      // Only the final order-1 predictor lands on 0; the update's limit there is exactly x₀ = m0.
      out.set(mS);
      return out;
    }
    const hh = -(t.lambda - s.lambda); // data prediction integrates in −h
    const ratio = t.sigmaT / s.sigmaT;
    const hPhi1 = Math.expm1(hh);
    const bh = t.alpha * Math.expm1(hh); // α_t·B(h), B = e^{hh} − 1 for bh2
    const sum = coeffs(hh);
    for (let j = 0; j < out.length; j++) out[j] = ratio * x[j] - t.alpha * hPhi1 * mS[j] - bh * sum(j);
    return out;
  }

  /** (λ_{s1} − λ_{s0})/h: where the older point sits, in units of this step. */
  function rk(older: number, from: number): number {
    const h = vp(sigmas[from + 1]).lambda - vp(sigmas[from]).lambda;
    return (vp(sigmas[older]).lambda - vp(sigmas[from]).lambda) / h;
  }

  /** UniP: predictor from sigmas[i] with m0 = x₀ there and, at order 2, m1 from sigmas[i−1]. */
  function predictor(i: number, x: Float32Array, order: number, mS: Float32Array, mOld: Float32Array | null): Float32Array {
    if (order === 1 || mOld === null) return update(i, x, mS, () => () => 0);
    const r1 = rk(i - 1, i);
    return update(i, x, mS, () => (j) => (0.5 * (mOld[j] - mS[j])) / r1);
  }

  /** UniC: re-do the step sigmas[i−1] → sigmas[i] from `prev`, now also using m_t, the x₀ at sigmas[i]. */
  function corrector(i: number, prev: Float32Array, mT: Float32Array, order: number, mS: Float32Array, mOld: Float32Array | null): Float32Array {
    if (order === 1 || mOld === null) return update(i - 1, prev, mS, () => (j) => 0.5 * (mT[j] - mS[j]));
    const r1 = rk(i - 2, i - 1);
    return update(i - 1, prev, mS, (hh) => {
      // Solve [[1, 1], [r1, 1]]·(a1, a2) = (g1, g2), g_k = hh·φ_{k+1}(hh)·k!/B(h), φ by recurrence.
      const B = Math.expm1(hh);
      const hPhi2 = Math.expm1(hh) / hh - 1; // hh·φ₂
      const hPhi3 = hPhi2 / hh - 0.5; //       hh·φ₃
      const g1 = hPhi2 / B;
      const g2 = (2 * hPhi3) / B;
      const a1 = (g1 - g2) / (1 - r1);
      const a2 = g1 - a1;
      return (j) => (a1 * (mOld[j] - mS[j])) / r1 + a2 * (mT[j] - mS[j]);
    });
  }

  function step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    const first = guard(stepIndex, modelOutput, sample);
    const s = vp(sigmas[stepIndex]);
    const m = dataPrediction(modelOutput, sample, s.alpha, s.sigmaT, config.predictionType);
    let x = sample;
    if (!first && lastSample !== null && m0 !== null) x = corrector(stepIndex, lastSample, m, lastOrder, m0, m1);
    m1 = m0;
    m0 = m;
    const order = Math.min(2, steps - stepIndex, done + 1);
    lastSample = x;
    lastOrder = order;
    done++;
    return predictor(stepIndex, x, order, m0, m1);
  }

  return { name: 'unipc', timesteps, initNoiseSigma: 1, sigmas, finalSigma, step };
}
