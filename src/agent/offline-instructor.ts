/**
 * The offline instructor: BrushEdit's instructor job (classify, name the object, write the target caption) done by
 * deterministic rules, so brushtalk runs without an LLM key; plus reading follow-up turns in a conversation.
 * The rules live in ./offline/ by concern: text (normalising, typos), phrase (objects and selectors), classify and
 * change (the five edit types and their precedence), cues (style/season/tone words; WordNet for nouns no list has),
 * caption (target captions), follow-up (mask, history, seeds, selection), conversation (thanks and small talk,
 * "stronger", "show the versions", "reset", "I liked the previous one better", "hmm not quite").
 */
import type { InstructorResult, Turn, TurnContext } from './instruction.ts';
import { additionCaption, backgroundCaption, globalCaption, localCaption, removalCaption } from './offline/caption.ts';
import { classifyTokens, prepare } from './offline/classify.ts';
import { readConversation } from './offline/conversation.ts';
import type { Draft } from './offline/draft.ts';
import { readCaption, readHistory, readMask, readMaskChange, readParams, readReseed, readSelect } from './offline/follow-up.ts';
import { normalise, tokens } from './offline/text.ts';

export type { InstructorResult, Turn, TurnContext } from './instruction.ts';

/** The target caption for a draft: rewritten from the source caption when known, else from the words alone. */
function targetCaption(draft: Draft, source: string | null): string | null {
  const caption = source?.trim() || null;
  switch (draft.type) {
    case 'removal':
      return caption && draft.object ? removalCaption(caption, draft.object) : null;
    case 'local': {
      const expression = draft.object === 'face' || (draft.object === null && draft.attribute !== undefined && caption !== null);
      if (draft.object === null && !draft.replacement && !expression) return null;
      return localCaption(caption, draft.object, { attribute: draft.attribute, replacement: draft.replacement });
    }
    case 'addition':
      return draft.object ? additionCaption(caption, draft.object, draft.anchor ?? null, draft.location ?? null) : null;
    case 'global':
      return draft.cue ? globalCaption(caption, draft.cue) : caption;
    case 'background':
      return draft.setting ? backgroundCaption(caption, draft.setting, draft.sky) : null;
  }
}

function toResult(draft: Draft, source: string | null): InstructorResult {
  const keepsObject = draft.type === 'removal' || draft.type === 'local' || draft.type === 'addition';
  const result: InstructorResult = {
    type: draft.type,
    confidence: draft.confidence,
    object: keepsObject ? draft.object : null,
    selector: draft.type === 'removal' || draft.type === 'local' ? draft.selector : null,
    targetCaption: draft.fallback ? null : targetCaption(draft, source),
  };
  if (draft.attribute) result.attribute = draft.attribute;
  if (draft.replacement) result.replacement = draft.replacement;
  return result;
}

/**
 * Classify one instruction the way BrushEdit's instructor does. `sourceCaption` (what the image shows now) lets
 * the target caption be a rewrite of it. "it" stays unresolved here (object null); interpretTurn resolves it.
 */
export function classifyInstruction(text: string, sourceCaption?: string): InstructorResult {
  return toResult(classifyTokens(prepare(text)), sourceCaption ?? null);
}

function readFollowUp(list: readonly string[], context: TurnContext): Turn | null {
  return readHistory(list) ?? readReseed(list) ?? readParams(list) ?? readMask(list, context) ?? readMaskChange(list) ?? (context.hasDetections || context.hasMask ? readSelect(list) : null);
}

/**
 * "hmm that's too much, make it smaller": a remark, then the request. When the whole message reads as nothing,
 * its last clause alone may be a follow-up (never an edit: an instruction is read whole).
 */
function lastClauseFollowUp(text: string, context: TurnContext): Turn | null {
  const clauses = text.split(/[,;.!?]+|\s+(?:but|so)\s+/i).map((c) => c.trim()).filter(Boolean);
  if (clauses.length < 2) return null;
  const last = clauses.at(-1)!;
  const list = prepare(last).list;
  return list.length > 0 ? (readCaption(last) ?? readConversation(last) ?? readFollowUp(list, context)) : null;
}

/**
 * What a user turn means, given what the conversation already has. Order: caption (quoted text wins over any
 * words inside it) > conversation (a whole message of chat, complaints, "undo", "stronger", "show the versions",
 * "reset", "help") > history > reseed > params > mask grow/shrink > mask add/subtract > select > edit; an edit
 * nothing understood becomes help 'nonsense', answered with one short question (never the command list).
 */
export function interpretTurn(text: string, context: TurnContext): Turn {
  if (tokens(normalise(text)).filter((w) => w !== ',').length === 0) return { kind: 'help', reason: 'empty' };
  const caption = readCaption(text);
  if (caption) return caption;
  const talk = readConversation(text);
  if (talk) return talk;
  const prepared = prepare(text);
  const { list } = prepared;
  if (list.length === 0) return { kind: 'help', reason: 'empty' };
  const followUp = readFollowUp(list, context) ?? lastClauseFollowUp(text, context);
  if (followUp) return followUp;
  const draft = classifyTokens(prepared);
  if (draft.fallback) {
    const select = readSelect(list);
    if (select) return select;
    return { kind: 'help', reason: 'nonsense' };
  }
  // "now make it red": "it" is the object of the conversation.
  const resolved = draft.pronoun && draft.object === null && context.object && draft.type !== 'addition' ? { ...draft, object: context.object } : draft;
  return { kind: 'edit', edit: toResult(resolved, context.caption) };
}
