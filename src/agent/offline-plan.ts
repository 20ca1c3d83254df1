import { helpText } from '../turn/commands.ts';
import type { Selector } from '../vision/detections.ts';
import type { InstructorResult, Turn } from './instruction.ts';
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

export function selectorWords(selector: Selector): string {
  return typeof selector === 'object' ? String(selector.nth) : selector;
}

const pronouns = /^(it|that|this|them|those|these|one)$/i;
const people = /\b(him|her|he|she|them|they|me|us|person|man|woman|boy|girl|guy|lady|kid|child)\b/i;

function editPlan(edit: InstructorResult, instruction: string, summary: SessionSummary): Plan {
  const object = edit.object && !pronouns.test(edit.object) ? edit.object : summary.object;
  const choose = edit.selector ? selectorWords(edit.selector) : undefined;
  const caption = edit.targetCaption ? [{ name: 'set_caption', args: { caption: edit.targetCaption } }] : [];
  const run = { name: 'run_edit', args: { instruction, edit_type: edit.type } };
  const classify = { name: 'classify_edit', args: { instruction } };
  // A mask the user drew for this edit wins over finding one (BrushEdit's manual mask).
  if (summary.maskDrawn) return { calls: [classify, ...caption, run] };
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

/** What the offline instructor does for one user turn, as tool calls. Pure. */
export function planTurn(turn: Turn, text: string, summary: SessionSummary): Plan {
  const again = summary.lastInstruction ?? summary.caption ?? text;
  const rerun = { name: 'run_edit', args: { instruction: again } };
  switch (turn.kind) {
    case 'edit':
      return editPlan(turn.edit, text, summary);
    case 'mask':
      return { calls: [{ name: 'edit_mask', args: { action: turn.op, amount: turn.px } }, rerun] };
    case 'mask-add':
    case 'mask-subtract':
      return { calls: [{ name: 'find_object', args: { object: turn.object, combine: turn.kind === 'mask-add' ? 'add' : 'subtract' } }, rerun] };
    case 'select':
      if (!summary.detections) return { calls: [], reply: 'There is nothing to choose from yet: say what to find first ("remove the dog").' };
      return { calls: [{ name: 'find_object', args: { choose: selectorWords(turn.selector) } }, rerun] };
    case 'reseed':
      return { calls: [{ name: 'set_params', args: { new_seed: true } }, rerun] };
    case 'undo':
      return { calls: [{ name: 'undo', args: {} }] };
    case 'redo':
      return { calls: [{ name: 'redo', args: {} }] };
    case 'version':
      return { calls: [{ name: 'checkout', args: { version: turn.number } }] };
    case 'caption':
      return { calls: [{ name: 'set_caption', args: { caption: turn.text } }, rerun] };
    case 'params':
      return { calls: [{ name: 'set_params', args: turn.update }, rerun] };
    case 'help':
      return {
        calls: [],
        reply:
          turn.reason === 'empty' || turn.reason === 'nonsense'
            ? `I edit pictures by instruction — "remove the bird", "make the car red", "put her on a beach", "add a hat", "make it winter" — and refine them: "bigger", "the other one", "another seed", "undo".\n${helpText}`
            : helpText,
      };
  }
}
