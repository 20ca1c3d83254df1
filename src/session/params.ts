import { BrushtalkError } from '../errors.ts';

/** Generation parameters carried by every version (design §3.3 defaults). */
export interface EditParams {
  seed: number;
  samples: number;
  steps: number;
  guidance: number;
  /** BrushNet conditioning scale (BrushEdit's slider runs 0–1.1). */
  strength: number;
  /** Pixel-space blend with the original (BrushNet's formula). BrushEdit turns it off for removal. */
  blend: boolean;
}

export const defaultParams: EditParams = { seed: 0, samples: 1, steps: 50, guidance: 7.5, strength: 1, blend: true };

interface Rule {
  min: number;
  max: number;
  integer: boolean;
  words: string;
}

const rules: Record<Exclude<keyof EditParams, 'blend'>, Rule> = {
  seed: { min: 0, max: 2 ** 32 - 1, integer: true, words: 'a whole number from 0 to 4294967295' },
  samples: { min: 1, max: 4, integer: true, words: 'a whole number from 1 to 4' },
  steps: { min: 1, max: 100, integer: true, words: 'a whole number from 1 to 100' },
  guidance: { min: 0, max: 30, integer: false, words: 'a number from 0 to 30' },
  strength: { min: 0, max: 1.1, integer: false, words: 'a number from 0 to 1.1' },
};

export const paramNames = [...Object.keys(rules), 'blend'] as (keyof EditParams)[];

/** Check a partial update; the error names the parameter, the bad value and what is allowed. */
export function validateParams(update: Partial<EditParams>): Partial<EditParams> {
  for (const [name, value] of Object.entries(update)) {
    if (name === 'blend') {
      if (typeof value !== 'boolean') throw new BrushtalkError('params.invalid', `blend must be on or off, not "${String(value)}".`);
      continue;
    }
    const rule = rules[name as keyof typeof rules];
    if (!rule) throw new BrushtalkError('params.invalid', `There is no parameter called "${name}". Known: ${paramNames.join(', ')}.`);
    const ok = typeof value === 'number' && Number.isFinite(value) && value >= rule.min && value <= rule.max && (!rule.integer || Number.isInteger(value));
    if (!ok) throw new BrushtalkError('params.invalid', `${name} must be ${rule.words}, not "${String(value)}".`);
  }
  return update;
}
