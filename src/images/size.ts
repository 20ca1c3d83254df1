/**
 * The size an engine works at. Diffusion inpainting models are trained around 512–640 px on the short side
 * and need sides divisible by 8 (the VAE downsamples by 8); the long-side cap keeps memory and time bounded.
 * Pure arithmetic: no sharp here.
 */

export interface SizePolicy {
  minShort: number;
  maxShort: number;
  maxLong: number;
  multiple: number;
}

export interface EngineSize {
  width: number;
  height: number;
  /** Long side out / long side in: the factor applied (x and y differ only by the rounding to `multiple`). */
  scale: number;
}

export const defaultSizePolicy: SizePolicy = { minShort: 512, maxShort: 640, maxLong: 1024, multiple: 8 };

/** Rounding a short side of ~170 px to a multiple of 8 can cost > 1 % of aspect; past this we look for a better pair. */
const aspectTolerance = 0.01;
/** How many smaller multiples of the long side we try when looking for a better-fitting pair. */
const searchSteps = 16;

export function engineSize(width: number, height: number, policy: SizePolicy = defaultSizePolicy): EngineSize {
  checkPositiveInteger('width', width);
  checkPositiveInteger('height', height);
  checkPolicy(policy);
  const { minShort, maxShort, maxLong, multiple } = policy;
  const short = Math.min(width, height);
  const long = Math.max(width, height);

  let scale = 1;
  if (short > maxShort) scale = maxShort / short;
  else if (short < minShort) scale = minShort / short;
  // The long-side cap wins over minShort: a panorama gets a short side below minShort rather than a huge long side.
  if (long * scale > maxLong) scale = maxLong / long;

  // Largest multiple not above maxLong, so rounding up can never break the cap.
  const longCap = Math.max(multiple, Math.floor(maxLong / multiple) * multiple);
  const roundTo = (v: number) => Math.max(multiple, Math.round(v / multiple) * multiple);
  const pairFor = (longOut: number) => ({ longOut, shortOut: roundTo((longOut * short) / long) });
  const aspectError = (p: { longOut: number; shortOut: number }) => Math.abs(p.longOut / p.shortOut / (long / short) - 1);

  let best = pairFor(Math.min(longCap, roundTo(long * scale)));
  if (aspectError(best) > aspectTolerance) {
    // Elongated images: a slightly shorter long side often lands both sides on multiples (6000×1000 → 1008×168).
    // Take the largest candidate within tolerance; failing that, the most faithful one seen.
    // Never trade away the short-side floor the first pair already met.
    const start = best.longOut;
    const shortFloor = Math.min(best.shortOut, minShort);
    for (let step = 1; step <= searchSteps && aspectError(best) > aspectTolerance; step++) {
      const candidate = pairFor(start - step * multiple);
      if (candidate.longOut < multiple || candidate.shortOut < shortFloor) break;
      if (aspectError(candidate) < aspectError(best) - 1e-12) best = candidate;
    }
  }

  const landscape = width >= height;
  return {
    width: landscape ? best.longOut : best.shortOut,
    height: landscape ? best.shortOut : best.longOut,
    scale: best.longOut / long,
  };
}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${value}`);
}

function checkPolicy(policy: SizePolicy): void {
  for (const key of ['minShort', 'maxShort', 'maxLong', 'multiple'] as const) checkPositiveInteger(`policy.${key}`, policy[key]);
  if (policy.minShort > policy.maxShort) {
    throw new Error(`policy.minShort (${policy.minShort}) must not exceed policy.maxShort (${policy.maxShort})`);
  }
  if (policy.maxShort > policy.maxLong) {
    throw new Error(`policy.maxShort (${policy.maxShort}) must not exceed policy.maxLong (${policy.maxLong})`);
  }
}
