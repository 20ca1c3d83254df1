import { describe, expect, it } from 'vitest';
import type { EngineFacts } from '../../src/engines/engine.ts';
import { BrushtalkError } from '../../src/errors.ts';
import { checkEditType, checkFillCoverage, checkReroll, engineLabel, isCapabilityRefusal, judgedType, maxFillCoverage, usefulParams, type EditStart } from '../../src/turn/capabilities.ts';

const classical: EngineFacts = { name: 'classical-telea', generative: false, deterministic: true };
const brushnet: EngineFacts = { name: 'brushnet', generative: true, deterministic: false };

function refusal(work: () => unknown): BrushtalkError | null {
  try {
    work();
    return null;
  } catch (error) {
    if (!(error instanceof BrushtalkError)) throw error;
    return error;
  }
}

describe('what an engine can honestly do', () => {
  it('names engines the way people say them', () => {
    expect(engineLabel(classical)).toBe('classical');
    expect(engineLabel(brushnet)).toBe('brushnet');
  });

  const source: EditStart = { kind: 'source', maskId: null, detections: null, editType: null };
  const drawn: EditStart = { kind: 'mask', maskId: 'm', detections: null, editType: null };
  const found: EditStart = { ...drawn, detections: { phrase: 'cup', threshold: 0.3, boxes: [], selected: [] } };
  const afterRemoval: EditStart = { kind: 'result', maskId: 'm', detections: null, editType: 'removal' };
  it.each([
    ['make it winter', null, source, 'global'],
    ['make it look like a painting', null, source, 'global'],
    ['put her on a beach', null, source, 'background'],
    ['add a hat', null, source, 'addition'],
    ['make the car red', null, drawn, 'local'],
    ['turn the cat into a dog', null, null, 'local'],
    ['remove the cup', null, source, 'removal'],
    ['asdf qwerty', null, source, null], // words that say nothing clearly: a fill
    ['a wooden table', 'addition', drawn, null], // a vague description of an area the user marked: a fill
    ['a wooden table', 'addition', found, 'addition'],
    ['make it winter', 'removal', source, 'removal'], // the instructor's type wins
    ['a quiet street', null, afterRemoval, 'removal'], // a re-run keeps the head's type, whatever the caption says
  ] as const)('judges "%s" given %s on %j', (instruction, given, head, expected) => {
    expect(judgedType(instruction, given, head)).toBe(expected);
  });

  it('a fill-only engine refuses every edit type that needs generation, and only those', () => {
    for (const type of ['global', 'background', 'addition', 'local'] as const) {
      const error = refusal(() => checkEditType(classical, 'do it', type));
      expect(error?.code).toBe('engine.not_generative');
      expect(error?.userMessage).toMatch(/^I can't do "do it" here: the classical engine only fills a marked area from the pixels around it, so it cannot /);
      expect(error?.userMessage).toMatch(/weights\/convert\/README\.md/);
      expect(isCapabilityRefusal(error)).toBe(true);
      expect(refusal(() => checkEditType(brushnet, 'do it', type))).toBeNull();
    }
    expect(refusal(() => checkEditType(classical, 'remove the cup', 'removal'))).toBeNull();
    expect(refusal(() => checkEditType(classical, 'fill this', null))).toBeNull();
  });

  it(`a fill-only engine refuses a mask over ${maxFillCoverage * 100}% of the picture`, () => {
    expect(refusal(() => checkFillCoverage(classical, 0.979))).toBeNull();
    const error = refusal(() => checkFillCoverage(classical, 0.985));
    expect(error?.code).toBe('mask.too_large');
    expect(error?.userMessage).toMatch(/^The mask covers 98% of the picture\. .*with 98% or more marked there is nothing left to fill from/);
    expect(refusal(() => checkFillCoverage(classical, 1))?.userMessage).toMatch(/covers 100%/);
    expect(refusal(() => checkFillCoverage(brushnet, 1))).toBeNull();
  });

  it('a deterministic engine refuses re-rolls and keeps seeds and extra samples out of settings, in words', () => {
    expect(refusal(() => checkReroll(classical))).toMatchObject({ code: 'engine.deterministic', userMessage: expect.stringMatching(/^The classical engine gives the same picture for every seed, so another seed/) });
    expect(refusal(() => checkReroll(brushnet))).toBeNull();
    expect(refusal(() => usefulParams(classical, { seed: 4 }))?.userMessage).toBe('The classical engine gives the same picture for every seed, so the seed stays as it is.');
    expect(refusal(() => usefulParams(classical, { samples: 3 }))?.userMessage).toBe('The classical engine gives the same picture every time, so 3 samples would be 3 identical copies; it makes one.');
    expect(usefulParams(classical, { seed: 4, blend: false })).toEqual({ update: { blend: false }, said: 'The classical engine gives the same picture for every seed, so the seed stays as it is.' });
    // A fill without a diffusion model has no steps, guidance or strength: said, not set (nothing re-runs for nothing).
    expect(refusal(() => usefulParams(classical, { steps: 30 }))?.userMessage).toMatch(/^The classical engine fills from the surroundings without a diffusion model, so steps would change nothing here\. For a different result change the mask/);
    expect(refusal(() => usefulParams(classical, { guidance: 9, strength: 0.6 }))?.userMessage).toMatch(/so guidance and strength would change nothing here/);
    expect(usefulParams(brushnet, { steps: 30, guidance: 9, strength: 0.6 })).toEqual({ update: { steps: 30, guidance: 9, strength: 0.6 }, said: null });
    expect(usefulParams(classical, { samples: 1 })).toEqual({ update: { samples: 1 }, said: null });
    expect(usefulParams(brushnet, { seed: 4, samples: 3 })).toEqual({ update: { seed: 4, samples: 3 }, said: null });
  });
});
