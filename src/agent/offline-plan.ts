import { defaultParams } from '../session/params.ts';
import { helpText } from '../turn/commands.ts';
import type { Selector } from '../vision/detections.ts';
import type { AdjustableParam, ChatTopic, InstructorResult, Turn } from './instruction.ts';
import type { SessionSummary } from './summary.ts';

/** A tool call the offline instructor will make, in order. */
export interface PlannedCall {
  name: string;
  args: Record<string, unknown>;
}

export interface Plan {
  calls: PlannedCall[];
  /** Said instead of (or before) calling tools: help, or a question back. */
  reply?: string;
}

/** What the engine can do, as the system prompt says (absent: assume it generates and varies with the seed). */
export interface EngineHints {
  generative: boolean;
  deterministic: boolean;
}

export function selectorWords(selector: Selector): string {
  return typeof selector === 'object' ? String(selector.nth) : selector;
}

const pronouns = /^(it|that|this|them|those|these|one)$/i;
const people = /\b(him|her|he|she|them|they|me|us|person|man|woman|boy|girl|guy|lady|kid|child)\b/i;

/**
 * Below this confidence the offline reading is a coin toss (measured on the tuning part of
 * test/fixtures/instructions: 2 of 4 right below 0.5, 25 of 27 between 0.5 and 0.7, 677 of 679 from 0.7; the
 * eval prints this table for any file), so the bot asks one short question instead of guessing.
 */
export const askBelow = 0.5;

/** One short question between the reading and its likeliest other reading. */
export function clarifyingQuestion(edit: InstructorResult): string {
  const thing = edit.object ? `the ${edit.object}` : null;
  switch (edit.type) {
    case 'removal':
      return `Clean the whole picture, or remove ${thing ?? 'an object'} ("remove the lamp")?`;
    case 'addition':
      return `Add ${edit.object ? `a new ${edit.object}` : 'something new'} ("add a red kite"), or change something that is there ("make the kite red")?`;
    case 'local':
      return `Change ${thing ?? 'one thing'} ("make the car red"), or the whole picture ("make it look vintage")?`;
    case 'global':
      return 'Change the whole picture ("make it winter"), or only the setting ("put her on a beach")?';
    case 'background':
      return 'Put the subject somewhere new ("put her on a beach"), or change the whole picture ("make it winter")?';
  }
}

function editPlan(edit: InstructorResult, instruction: string, summary: SessionSummary): Plan {
  const object = edit.object && !pronouns.test(edit.object) ? edit.object : summary.object;
  const choose = edit.selector ? selectorWords(edit.selector) : undefined;
  const caption = edit.targetCaption ? [{ name: 'set_caption', args: { caption: edit.targetCaption } }] : [];
  const run = { name: 'run_edit', args: { instruction, edit_type: edit.type } };
  const classify = { name: 'classify_edit', args: { instruction } };
  // A mask the user drew for this edit wins over finding one (BrushEdit's manual mask).
  if (summary.maskDrawn) return { calls: [classify, ...caption, run] };
  if (edit.confidence < askBelow) return { calls: [], reply: clarifyingQuestion(edit) };
  switch (edit.type) {
    case 'removal':
    case 'local':
      if (!object) return { calls: [], reply: `Which part of the picture should change? Name it ("${edit.type === 'removal' ? 'remove the lamp' : 'make the car red'}") or draw a box: \`mask box x,y,w,h\`.` };
      return { calls: [classify, { name: 'find_object', args: { object, ...(choose ? { choose } : {}) } }, ...caption, run] };
    case 'addition':
      return { calls: [classify, { name: 'place_object', args: { object: edit.object ?? 'object' } }, ...(caption.length ? caption : [{ name: 'set_caption', args: { caption: edit.object ?? instruction } }]), run] };
    case 'global':
      return { calls: [classify, { name: 'edit_mask', args: { action: 'all' } }, ...caption, run] };
    case 'background': {
      // BrushEdit: the complement of the main subject; a "background" query when no subject is known.
      const subject = summary.object ?? (people.test(instruction) ? 'person' : null);
      const mask = subject
        ? [{ name: 'find_object', args: { object: subject } }, { name: 'edit_mask', args: { action: 'invert' } }]
        : [{ name: 'find_object', args: { object: 'background' } }];
      return { calls: [classify, ...mask, ...caption, run] };
    }
  }
}

/**
 * How "stronger", "more steps", "less guidance" move a setting: strength ±0.2, steps and guidance ×1.5 or ÷1.5
 * (by at least one step, rounded to whole steps and to halves of guidance), always inside the valid range.
 */
const moves: Record<AdjustableParam, { min: number; max: number; step: (value: number, up: boolean) => number; name: string }> = {
  strength: { min: 0, max: 1.1, name: 'Strength', step: (v, up) => Math.round((up ? v + 0.2 : v - 0.2) * 100) / 100 },
  steps: { min: 1, max: 100, name: 'Steps', step: (v, up) => (up ? Math.max(Math.round(v * 1.5), v + 1) : Math.min(Math.round(v / 1.5), v - 1)) },
  guidance: { min: 0, max: 30, name: 'Guidance', step: (v, up) => (up ? Math.max(Math.round(v * 3) / 2, v + 0.5) : Math.min(Math.round((v / 1.5) * 2) / 2, v - 0.5)) },
};

export function adjusted(param: AdjustableParam, direction: 'up' | 'down', current: number): number {
  const move = moves[param];
  return Math.min(move.max, Math.max(move.min, move.step(current, direction === 'up')));
}

const hasPicture = (summary: SessionSummary) => summary.version !== null;
/** Something has been done to the picture, so `undo` means something. */
const changed = (summary: SessionSummary) => summary.version !== null && summary.version > 1;
const hasResult = (summary: SessionSummary) => summary.lastInstruction !== null;

function example(engine: EngineHints): string {
  return engine.generative ? '"remove the bird", "make it winter" or "add a hat"' : '"remove the bird", or mark an area with `mask box x,y,w,h`';
}

/** The end of a one-line answer: what to do next, from where the conversation is. */
function whatNext(summary: SessionSummary, engine: EngineHints): string {
  if (!hasPicture(summary)) return 'send a picture and say what to change, e.g. "remove the bird".';
  if (changed(summary)) return 'say what to change next, or `undo`.';
  return `say what to change, e.g. ${example(engine)}.`;
}

function chatReply(topic: ChatTopic, summary: SessionSummary, engine: EngineHints): string {
  const next = whatNext(summary, engine);
  switch (topic) {
    case 'thanks':
      return `You're welcome — ${next}`;
    case 'praise':
      return `Glad you like it — ${next}`;
    case 'done':
      return hasPicture(summary) ? `Kept as it is (v${summary.version}). Say what to change whenever you like.` : `OK — ${next}`;
    case 'greeting':
      return `Hi! ${next[0].toUpperCase()}${next.slice(1)}`;
    case 'laugh':
      return `😄 ${next[0].toUpperCase()}${next.slice(1)}`;
    case 'bye':
      return 'Bye! Every version stays here; pick up where you left off any time.';
    case 'ack':
      return `OK — ${next}`;
  }
}

/** One short question with two or three things to try, drawn from where the conversation is. */
function question(summary: SessionSummary, engine: EngineHints): string {
  if (!hasPicture(summary)) return 'I edit pictures by instruction: send one and say what to change, e.g. "remove the bird" or "make it winter".';
  if (summary.kind === 'result' || (hasResult(summary) && !summary.maskDrawn)) {
    // Only what can change the picture on this engine: a fill-only engine ignores seeds and captions.
    if (!engine.generative && engine.deterministic) return 'Do you want to undo it, or change the mask (`mask grow 10`, `mask shrink 10`, or paint it again)?';
    const again = engine.deterministic ? 'change the caption (`caption …`)' : 'try another seed';
    return `Do you want to undo it, ${again}, or change the mask (\`mask grow 10\`)?`;
  }
  if (summary.detections) {
    const other = summary.detections.count > 1 ? 'pick another match (`select other`), ' : '';
    return `Should I edit what I found ("remove it", "make it red"), ${other}or find something else (\`find the cat\`)?`;
  }
  if (summary.maskPercent !== null) return 'What should the marked area become — "remove it", "a wooden table" — or should the mask change (`mask grow 10`)?';
  return `I edit pictures by instruction — ${example(engine)}: what should change in this one?`;
}

/** "what can you do?": the short version; `help` has every command. */
function capabilities(summary: SessionSummary, engine: EngineHints): string {
  const start = hasPicture(summary) ? '' : 'Send a picture, then say what to change. ';
  const what = engine.generative
    ? 'I edit the picture from plain words — "remove the bird", "make the car red", "put her on a beach", "add a hat", "make it winter" — and refine the result: "bigger", "another seed", "stronger", "undo".'
    : 'This server removes things ("remove the bird") and fills an area you mark from its surroundings; adding or changing things needs BrushNet weights. Refine with "bigger", "undo".';
  return `${start}${what} Mark an area yourself with \`mask box x,y,w,h\`; \`help\` lists every command.`;
}

function helpReply(reason: Extract<Turn, { kind: 'help' }>['reason'], summary: SessionSummary, engine: EngineHints): string {
  switch (reason) {
    case 'commands':
      return helpText;
    case 'question':
      return capabilities(summary, engine);
    case 'nonsense':
      return hasPicture(summary) ? `Sorry, I didn't catch that. ${question(summary, engine)}` : question(summary, engine);
    case 'empty':
    case 'unclear':
      return question(summary, engine);
  }
}

function adjustPlan(param: AdjustableParam, direction: 'up' | 'down', summary: SessionSummary, rerun: PlannedCall[]): Plan {
  const current = summary.params?.[param] ?? defaultParams[param];
  const next = adjusted(param, direction, current);
  if (next === current) {
    const { name, min, max } = moves[param];
    return { calls: [], reply: `${name} is already ${current}, as ${direction === 'up' ? 'high' : 'low'} as it goes (${min}–${max}).` };
  }
  return { calls: [{ name: 'set_params', args: { [param]: next } }, ...rerun] };
}

const anyEngine: EngineHints = { generative: true, deterministic: false };

/** What the offline instructor does for one user turn, as tool calls. Pure. */
export function planTurn(turn: Turn, text: string, summary: SessionSummary, engine: EngineHints = anyEngine): Plan {
  // One meaning per word (turn/refine.ts): a change re-runs the edit that made the current picture; on a picture
  // no edit made it only sets, as the commands do.
  const rerun = summary.lastInstruction === null ? [] : [{ name: 'run_edit', args: { instruction: summary.lastInstruction } }];
  switch (turn.kind) {
    case 'edit':
      return editPlan(turn.edit, text, summary);
    case 'mask':
      return { calls: [{ name: 'edit_mask', args: { action: turn.op, amount: turn.px } }, ...rerun] };
    case 'mask-add':
    case 'mask-subtract':
      return { calls: [{ name: 'find_object', args: { object: turn.object, combine: turn.kind === 'mask-add' ? 'add' : 'subtract' } }, ...rerun] };
    case 'select':
      if (!summary.detections) return { calls: [], reply: 'There is nothing to choose from yet: say what to find first ("remove the dog").' };
      return { calls: [{ name: 'find_object', args: { choose: selectorWords(turn.selector) } }, ...rerun] };
    case 'reseed':
      return { calls: [{ name: 'set_params', args: { new_seed: true } }, ...rerun] };
    case 'undo':
      return { calls: [{ name: 'undo', args: {} }] };
    case 'redo':
      return { calls: [{ name: 'redo', args: {} }] };
    case 'version':
      return { calls: [{ name: 'checkout', args: { version: turn.number } }] };
    case 'caption':
      return { calls: [{ name: 'set_caption', args: { caption: turn.text } }, ...rerun] };
    case 'params':
      return { calls: [{ name: 'set_params', args: turn.update }, ...rerun] };
    case 'adjust':
      return adjustPlan(turn.param, turn.direction, summary, rerun);
    case 'history':
      return { calls: [{ name: 'history', args: {} }] };
    case 'first-result':
      if (summary.firstResult === null) return { calls: [], reply: 'There is no result yet: say what to change first.' };
      return { calls: [{ name: 'checkout', args: { version: summary.firstResult } }] };
    case 'reset':
      return { calls: [{ name: 'checkout', args: { version: 1 } }], reply: 'Back to the original picture (v1); every version is kept — `history` lists them.' };
    case 'chat':
      return { calls: [], reply: chatReply(turn.topic, summary, engine) };
    case 'help':
      return { calls: [], reply: helpReply(turn.reason, summary, engine) };
  }
}
