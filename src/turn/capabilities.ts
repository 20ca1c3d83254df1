import { classifyInstruction, type InstructorResult } from '../agent/offline-instructor.ts';
import type { EngineFacts } from '../engines/engine.ts';
import { BrushtalkError } from '../errors.ts';
import type { EditParams } from '../session/params.ts';
import type { EditType, Version } from '../session/session.ts';

/**
 * What the engine can honestly do, decided before anything is queued (issue 12, "honest engines"). A fill-only
 * engine (not generative) takes pixels from around the hole, so it can remove things and fill a painted area, but
 * it cannot restyle the picture, paint a new background, add an object or change one: those edits are refused in
 * words instead of returning a grey or smeared picture. A deterministic engine gives the same picture for every
 * seed, so a re-roll or more samples would only repeat it.
 */

/** A fill-only engine refuses a mask that covers this share of the picture or more: nothing is left to fill from. */
export const maxFillCoverage = 0.98;

/** Words below this confidence are not enough to refuse an edit (the offline rules' fallback is 0.2). */
const minWordConfidence = 0.5;

const brushnetHint = 'weights/convert/README.md says how to get its weights';

/** How replies name the engine: "classical-telea" → "classical". */
export function engineLabel(engine: Pick<EngineFacts, 'name'>): string {
  return engine.name.split('-')[0] || engine.name;
}

const needsGeneration: Record<Exclude<EditType, 'removal'>, string> = {
  global: 'restyle the whole picture (seasons, weather, painting styles)',
  background: 'paint a new background',
  addition: 'draw something that is not in the picture',
  local: 'change how something looks or turn it into something else',
};

/** What judging an edit looks at on the version it starts from. */
export type EditStart = Pick<Version, 'editType' | 'maskId' | 'detections' | 'kind'>;

/** The user marked the area themselves (a box, a painted mask, mask commands), not the object finder. */
function userMarked(head: EditStart): boolean {
  return Boolean(head.maskId && !head.detections && head.kind !== 'result');
}

/**
 * The edit type to judge an edit by: the one its caller decided (the instructor's), else the one the head
 * carries (a re-run of the last edit), else what the words clearly say; null when nothing says (a fill). On an
 * area the user marked, words that say nothing clearly ("a wooden table") are a fill of that area, whatever
 * type was guessed from them.
 */
export function judgedType(
  instruction: string, given: EditType | null, head: EditStart | null, words: InstructorResult | null = readWords(instruction),
): EditType | null {
  const clear = clearType(words);
  if (head && userMarked(head) && clear === null) return null;
  return given ?? head?.editType ?? clear;
}

/** The offline rules' reading of an instruction (null for no words). */
export function readWords(instruction: string, sourceCaption?: string): InstructorResult | null {
  return instruction.trim() ? classifyInstruction(instruction, sourceCaption) : null;
}

/** The edit type the words say clearly, or null when they are not sure enough to act on. */
export function clearType(words: InstructorResult | null): EditType | null {
  return words !== null && words.confidence >= minWordConfidence ? words.type : null;
}

/** Throws the worded refusal when a fill-only engine is asked for an edit that needs generation. */
export function checkEditType(engine: EngineFacts, instruction: string, type: EditType | null): void {
  if (engine.generative || type === null || type === 'removal') return;
  const label = engineLabel(engine);
  const quoted = instruction.trim() ? `"${instruction.trim().slice(0, 80)}"` : 'that';
  throw new BrushtalkError(
    'engine.not_generative',
    `I can't do ${quoted} here: the ${label} engine only fills a marked area from the pixels around it, so it cannot ${needsGeneration[type]}. ` +
      `It can remove things ("remove the cup") or fill an area you paint from its surroundings. ` +
      `Adding, changing, restyling and new backgrounds need BrushNet: ${brushnetHint}.`,
  );
}

/** Throws the worded refusal when a fill-only engine is given a mask with (almost) nothing around it. */
export function checkFillCoverage(engine: EngineFacts, coverage: number): void {
  if (engine.generative || coverage < maxFillCoverage) return;
  const percent = Math.min(100, Math.floor(coverage * 100));
  throw new BrushtalkError(
    'mask.too_large',
    `The mask covers ${percent}% of the picture. The ${engineLabel(engine)} engine fills a marked area from the pixels around it, ` +
      `and with ${Math.round(maxFillCoverage * 100)}% or more marked there is nothing left to fill from. ` +
      `Mark a smaller area (\`mask shrink 20\`, or paint just the part to remove); a whole-picture change needs BrushNet: ${brushnetHint}.`,
  );
}

function sameEverySeed(engine: EngineFacts): string {
  return `The ${engineLabel(engine)} engine gives the same picture for every seed`;
}

/** Throws the worded answer to a re-roll ("another seed", `seed`, the re-roll button) on a deterministic engine. */
export function checkReroll(engine: EngineFacts): void {
  if (!engine.deterministic) return;
  throw new BrushtalkError(
    'engine.deterministic',
    `${sameEverySeed(engine)}, so another seed would only repeat this result. ` +
      'For a different result change the mask (`mask grow 10`, `mask shrink 10`, or paint it again); ' +
      `BrushNet gives a new variation for each seed: ${brushnetHint}.`,
  );
}

/**
 * Settings an engine ignores are kept out of the update and said in words: a deterministic engine ignores the
 * seed and extra samples; one that only fills from the surroundings has no steps, guidance or strength. Returns
 * what is left to set and the words; throws the words when nothing is left (so nothing re-runs for nothing).
 */
export function usefulParams(engine: EngineFacts, update: Partial<EditParams>): { update: Partial<EditParams>; said: string | null } {
  const { seed, samples, steps, guidance, strength, ...rest } = update;
  const kept: Partial<EditParams> = { ...rest };
  const words: string[] = [];
  if (engine.deterministic) {
    if (seed !== undefined) words.push(`${sameEverySeed(engine)}, so the seed stays as it is.`);
    if (samples !== undefined && samples > 1) {
      words.push(`The ${engineLabel(engine)} engine gives the same picture every time, so ${samples} samples would be ${samples} identical copies; it makes one.`);
    } else if (samples !== undefined) kept.samples = samples;
  } else Object.assign(kept, seed === undefined ? {} : { seed }, samples === undefined ? {} : { samples });
  const guided = { steps, guidance, strength };
  const named = Object.entries(guided).filter(([, v]) => v !== undefined);
  if (!engine.generative && named.length > 0) {
    const list = named.map(([k]) => k).join(' and ');
    words.push(
      `The ${engineLabel(engine)} engine fills from the surroundings without a diffusion model, so ${list} would change nothing here. ` +
        'For a different result change the mask (`mask grow 10`, `mask shrink 10`, or paint it again).',
    );
  } else for (const [k, v] of named) Object.assign(kept, { [k]: v });
  const said = words.length > 0 ? words.join(' ') : null;
  if (said !== null && Object.keys(kept).length === 0) throw new BrushtalkError('engine.deterministic', said);
  return { update: kept, said };
}

/** The refusals above: an edit or a setting this engine cannot honour, answered in words with nothing changed. */
export function isCapabilityRefusal(error: unknown): error is BrushtalkError {
  return error instanceof BrushtalkError && ['engine.not_generative', 'engine.deterministic', 'mask.too_large'].includes(error.code);
}
