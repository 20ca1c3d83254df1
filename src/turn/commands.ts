import { maxInstructionChars, type Box } from '../contracts.ts';
import { BrushtalkError } from '../errors.ts';
import type { EditParams } from '../session/params.ts';

/**
 * The explicit command vocabulary. It is the fallback the agent keeps: anything that is not a command is
 * an edit instruction. Parsing is pure; bad arguments explain the syntax.
 */

export type MaskOp =
  | { op: 'grow' | 'shrink'; px: number }
  | { op: 'shape'; shape: 'box' | 'ellipse'; mode: 'replace' | 'add' | 'cut'; box: Box }
  | { op: 'invert' | 'clear' | 'all' }
  | { op: 'move'; dx: number; dy: number };

export type Command =
  | { type: 'mask'; mask: MaskOp; text: string }
  | { type: 'caption'; text: string }
  | { type: 'find'; text: string }
  | { type: 'select'; text: string }
  | { type: 'params'; update: Partial<EditParams> }
  | { type: 'reseed' }
  /** Your own defaults for new pictures, on every conversation of this platform. */
  | { type: 'defaults'; update: Partial<EditParams> | 'show' | 'clear' }
  /** Who may press result buttons in this server / workspace (its admins decide). */
  | { type: 'buttons'; everyone: boolean | 'show' }
  | { type: 'undo' | 'redo' | 'history' | 'help' | 'cancel' }
  | { type: 'version'; number: number }
  | { type: 'edit'; instruction: string };

export const helpText = [
  'Send a picture with an instruction, then refine:',
  '`find the dog` · `find both cats` · `find the left car` → mask from the object finder; `select other|both|left|2` to choose again',
  '`mask box x,y,w,h` · `mask ellipse x,y,w,h` · `mask add box …` · `mask cut ellipse …`',
  '`mask grow N` · `mask shrink N` · `mask move dx,dy` · `mask invert` · `mask all` · `mask clear`',
  '`caption <text>` · `seed N` (or `seed` for a new one) · `steps N` · `guidance X` · `strength X` · `samples N` · `blend on|off`',
  'After an edit, changing its mask (`mask grow`, `mask add …`, "bigger"), its caption or a setting redoes that edit at once from the picture it started from (a new version next to it); on a picture no edit made yet, the change is kept for your next instruction. A new area (`mask box …`, `mask ellipse …`, `mask all`) waits for its instruction.',
  '`defaults strength 0.8 samples 2` → your settings for every new picture (`defaults` shows them, `defaults clear` forgets them)',
  '`undo` · `redo` · `history` · `version N` (versions are the pictures: v1 is the one you sent) · `cancel` · `help`',
  'Plain words do the same as the commands: "undo that", "go back to the original" (or `reset`), "show the versions", "stop" (= `cancel`), "use seed 42", "caption: a red car", "bigger" (`mask grow`), "try again" (a new seed), "stronger"/"weaker" (strength ±0.2), "more steps"/"fewer steps" (steps ×1.5 / ÷1.5), "follow the caption more"/"less guidance" (guidance ×1.5 / ÷1.5).',
  'Anything else is an instruction: a new edit of the current picture, on the current mask.',
  `A message is at most ${maxInstructionChars} characters.`,
].join('\n');

/** Characters as people count them (code points, not UTF-16 units); stops counting far past the limit. */
function characters(text: string): number {
  let count = 0;
  for (const _ of text) if (++count > maxInstructionChars * 1000) return text.length;
  return count;
}

/**
 * The one length limit, checked before anything reads the words (commands, the agent, its tools): refused in
 * words, with the length, and never echoed back.
 */
export function checkMessageLength(text: string): void {
  if (text.length <= maxInstructionChars) return;
  const length = characters(text.trim());
  if (length <= maxInstructionChars) return;
  throw new BrushtalkError('instruction.too_long', `That message is ${length.toLocaleString('en-US')} characters; keep instructions to ${maxInstructionChars} or fewer.`);
}

const maskSyntax =
  'Mask commands: `mask box x,y,w,h`, `mask ellipse x,y,w,h`, `mask add|cut box|ellipse x,y,w,h`, `mask grow N`, `mask shrink N`, `mask move dx,dy`, `mask invert`, `mask all`, `mask clear`.';

function bad(message: string): never {
  throw new BrushtalkError('command.bad_arguments', message);
}

function parseIntArg(raw: string | undefined, name: string, usage: string, min: number, max: number): number {
  const value = Number(raw);
  if (raw === undefined || !/^[+-]?\d+$/.test(raw) || value < min || value > max) {
    bad(`${name} must be a whole number from ${min} to ${max}${raw === undefined ? '' : `, not "${raw}"`}. Usage: \`${usage}\`.`);
  }
  return value;
}

function numbers(rest: string): string[] {
  return rest.split(/[\s,]+/).filter(Boolean);
}

function parseBox(rest: string, usage: string): Box {
  const parts = numbers(rest);
  if (parts.length !== 4 || !parts.every((p) => /^\d+$/.test(p))) bad(`A box is four whole numbers x,y,w,h in pixels. Usage: \`${usage}\`.`);
  const [x, y, w, h] = parts.map(Number);
  if (w === 0 || h === 0) bad(`The box has no area (w=${w}, h=${h}). Usage: \`${usage}\`.`);
  return { x, y, w, h };
}

function parseMask(rest: string, text: string): Command {
  const [verb = '', ...tail] = rest.split(/\s+/).filter(Boolean);
  const args = tail.join(' ');
  switch (verb.toLowerCase()) {
    case 'grow':
    case 'shrink':
      return { type: 'mask', text, mask: { op: verb.toLowerCase() as 'grow' | 'shrink', px: parseIntArg(tail[0], 'The amount', `mask ${verb} 12`, 1, 512) } };
    case 'box':
    case 'ellipse':
      return { type: 'mask', text, mask: { op: 'shape', shape: verb.toLowerCase() as 'box' | 'ellipse', mode: 'replace', box: parseBox(args, `mask ${verb} 40,60,200,120`) } };
    case 'add':
    case 'cut': {
      const shape = (tail[0] ?? '').toLowerCase();
      if (shape !== 'box' && shape !== 'ellipse') bad(`Say which shape to ${verb}: \`mask ${verb} box x,y,w,h\` or \`mask ${verb} ellipse x,y,w,h\`.`);
      const usage = `mask ${verb} ${shape} 40,60,200,120`;
      return { type: 'mask', text, mask: { op: 'shape', shape, mode: verb.toLowerCase() as 'add' | 'cut', box: parseBox(tail.slice(1).join(' '), usage) } };
    }
    case 'move': {
      const parts = numbers(args);
      if (parts.length !== 2) bad('Usage: `mask move dx,dy` (pixels; negative moves left/up), e.g. `mask move -20,0`.');
      return {
        type: 'mask',
        text,
        mask: { op: 'move', dx: parseIntArg(parts[0], 'dx', 'mask move -20,0', -16384, 16384), dy: parseIntArg(parts[1], 'dy', 'mask move -20,0', -16384, 16384) },
      };
    }
    case 'invert':
    case 'clear':
    case 'all':
      if (tail.length > 0) bad(`\`mask ${verb}\` takes no arguments.`);
      return { type: 'mask', text, mask: { op: verb.toLowerCase() as 'invert' | 'clear' | 'all' } };
    default:
      return bad(verb ? `I don't know \`mask ${verb}\`. ${maskSyntax}` : maskSyntax);
  }
}

/** "strength up", "steps down": a setting moved from where it is, which the agent's plan knows; not a value to parse. */
const relative = /^(up|down|higher|lower|more|less|\+|-|\+\+|--)$/i;

function parseNumberParam(name: 'guidance' | 'strength', raw: string | undefined): Command {
  const value = Number(raw);
  if (raw === undefined || raw === '' || !Number.isFinite(value)) bad(`Usage: \`${name} ${name === 'guidance' ? '7.5' : '0.8'}\`.`);
  return { type: 'params', update: { [name]: value } };
}

const defaultsUsage = 'Usage: `defaults strength 0.8 samples 2` (any of seed, samples, steps, guidance, strength, blend), `defaults` to see them, `defaults clear` to forget them.';

/** `defaults name value name value …`: each pair must parse as the setting command of the same name. */
function parseDefaults(rest: string[]): Command {
  if (rest.length === 0) return { type: 'defaults', update: 'show' };
  if (rest.length === 1 && rest[0].toLowerCase() === 'clear') return { type: 'defaults', update: 'clear' };
  if (rest.length % 2 !== 0) bad(defaultsUsage);
  const update: Partial<EditParams> = {};
  for (let i = 0; i < rest.length; i += 2) {
    const parsed = parseCommand(`${rest[i]} ${rest[i + 1]}`);
    if (parsed.type !== 'params') bad(`"${rest[i]}" is not a setting. ${defaultsUsage}`);
    Object.assign(update, parsed.update);
  }
  return { type: 'defaults', update };
}

function parseButtons(rest: string[]): Command {
  if (rest.length === 0) return { type: 'buttons', everyone: 'show' };
  const choice = rest.join(' ').toLowerCase();
  if (choice === 'everyone' || choice === 'owner') return { type: 'buttons', everyone: choice === 'everyone' };
  return bad('Usage: `buttons owner` (only whoever brought the picture presses its buttons) or `buttons everyone`.');
}

const bare = new Set(['undo', 'redo', 'history', 'help', 'cancel']);

/**
 * "stop", "cancel that", "please stop the edit", "abort!": the plain words for `cancel`, on every surface (the
 * agent has no tool that cancels). Only a whole message of them, so "stop sign" or "remove the stop sign" are edits.
 */
const plainCancel =
  /^(?:(?:no|nah|wait|ok|okay|hey|oh|ugh|oops|hmm|actually|please|pls|plz|just|stop|cancel|abort|halt|nvm|never ?mind)\s+)*(?:(?:can|could|would) (?:you|u) (?:please )?)?(?:stop|cancel|abort|halt|kill)(?:\s+(?:it|that|this|them|the (?:current )?(?:edit|edits|job|jobs|render|rendering|generation|run|one)|(?:the )?editing|rendering|generating|everything|all(?: of (?:it|them))?|all edits|now|right now|please|pls|plz|thanks|thank you|for now|asap|already|immediately|(?:that'?s |that is |it'?s )?enough|i'?m done|done))*$/;

export function parseCommand(input: string): Command {
  const text = input.trim();
  const [first = '', ...rest] = text.split(/\s+/);
  const word = first.toLowerCase().replace(/^\//, '');
  const args = rest.join(' ');
  if (bare.has(word) && rest.length === 0) return { type: word as 'undo' };
  if (/^(strength|steps|guidance)$/.test(word) && rest.length === 1 && relative.test(rest[0])) return { type: 'edit', instruction: text };
  if (plainCancel.test(text.toLowerCase().replace(/[.!?,;:\u2026]+/g, ' ').replace(/\s+/g, ' ').trim())) return { type: 'cancel' };
  switch (word) {
    case 'mask':
      return parseMask(args, text);
    case 'caption':
      return { type: 'caption', text: args };
    case 'find':
    case 'select':
      if (!args) bad(word === 'find' ? 'Usage: `find the dog` (or `find both cats`, `find the left car`).' : 'Usage: `select other`, `select both`, `select left`, `select 2`.');
      return { type: word, text: args };
    case 'version':
      return { type: 'version', number: parseIntArg(rest[0], 'The version', 'version 2', 1, 1_000_000) };
    case 'seed':
      // "seed please", "seed again": a new one, not a number that failed to parse.
      if (rest.length === 0 || /^(please|pls|plz|again|new|another|random|anew|pls thanks)$/i.test(args)) return { type: 'reseed' };
      return { type: 'params', update: { seed: parseIntArg(rest[0], 'The seed', 'seed 42', 0, 2 ** 32 - 1) } };
    case 'steps':
      return { type: 'params', update: { steps: parseIntArg(rest[0], 'steps', 'steps 30', 1, 100) } };
    case 'samples':
      return { type: 'params', update: { samples: parseIntArg(rest[0], 'samples', 'samples 2', 1, 4) } };
    case 'guidance':
    case 'strength':
      return parseNumberParam(word, rest[0]);
    case 'defaults':
      return parseDefaults(rest);
    case 'buttons':
      return parseButtons(rest);
    case 'blend':
      if (rest.length === 1 && /^(on|off)$/i.test(rest[0])) return { type: 'params', update: { blend: rest[0].toLowerCase() === 'on' } };
      return bad('Usage: `blend on` or `blend off`.');
  }
  if (first.startsWith('/')) throw new BrushtalkError('command.unknown', `I don't know the command \`${first}\`. Say \`help\` for the list.`);
  if (text.length === 0) return { type: 'help' };
  return { type: 'edit', instruction: text };
}
