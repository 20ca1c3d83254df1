/**
 * What an instructor (the LLM or the offline parser) says about a user's words. BrushEdit's instructor answers
 * three questions — which kind of edit, which object, what the image shows afterwards — and a conversation adds
 * follow-ups that are not edits at all ("bigger", "the other one", "undo"). Types only, so the LLM path and the
 * offline path share one contract.
 */
import type { EditParams } from '../session/params.ts';
import type { Selector } from '../vision/detections.ts';

/** BrushEdit's five categories (design §3.1). */
export type EditType = 'addition' | 'removal' | 'local' | 'global' | 'background';

export interface InstructorResult {
  type: EditType;
  /** 0..1. Below 0.7 means the words fitted more than one category (or none) and a precedence rule decided. */
  confidence: number;
  /**
   * The object to find: one noun phrase, at most 5 words, head noun last, no determiners, no spatial or ordinal
   * words (those go to `selector`), no possessor ("the dog's collar" → "collar"). For addition: the thing to add.
   * Null for global and background edits, and when the words only say "it" / "the left one" with no noun.
   */
  object: string | null;
  /** Which of several matches: "the left dog" → 'left', "both cats" → 'all', "the second car" → { nth: 2 }. */
  selector: Selector | null;
  /** What the image shows after the edit (only what remains; never the removed thing). Null when unknown. */
  targetCaption: string | null;
  /** The new property of a local edit: "red" in "make the car red", "smiling" in "make her smile". */
  attribute?: string;
  /** The new thing of a local edit that swaps one object for another: "dog" in "change the cat to a dog". */
  replacement?: string;
  /** Set by the LLM instructor when the model failed and the offline parser answered instead (eval counts them). */
  fellBack?: boolean;
}

/** What a user turn means in a conversation about an image. */
export type Turn =
  | { kind: 'edit'; edit: InstructorResult }
  | { kind: 'mask'; op: 'grow' | 'shrink'; px: number }
  | { kind: 'mask-add'; object: string }
  | { kind: 'mask-subtract'; object: string }
  | { kind: 'select'; selector: Selector }
  | { kind: 'reseed' }
  | { kind: 'undo' }
  | { kind: 'redo' }
  | { kind: 'version'; number: number }
  | { kind: 'caption'; text: string }
  | { kind: 'params'; update: Partial<EditParams> }
  /** "stronger", "more steps", "less guidance": a setting moved from its current value (the plan knows it). */
  | { kind: 'adjust'; param: AdjustableParam; direction: 'up' | 'down' }
  /** "show me the versions". */
  | { kind: 'history' }
  /** "reset", "start over": back to the first picture (version 1); nothing is deleted. */
  | { kind: 'reset' }
  /** "I preferred the first one", "go back to the first try": the first result of these attempts, not the photo. */
  | { kind: 'first-result' }
  /** Thanks and small talk: a one-line answer, nothing changes. */
  | { kind: 'chat'; topic: ChatTopic }
  /**
   * Not an edit. 'commands': asked for the command list (the full help). 'question': what can you do?
   * 'unclear' ("hmm not quite", "no"), 'nonsense' and 'empty': one short question with suggestions.
   */
  | { kind: 'help'; reason: 'empty' | 'nonsense' | 'question' | 'unclear' | 'commands' };

export type AdjustableParam = 'strength' | 'steps' | 'guidance';
export type ChatTopic = 'thanks' | 'praise' | 'done' | 'ack' | 'greeting' | 'laugh' | 'bye';

/** What the conversation already knows, so follow-ups can say "it". */
export interface TurnContext {
  hasMask: boolean;
  hasDetections: boolean;
  caption: string | null;
  /** The object of the last edit ("car"), which "it" / "that" refer to. */
  object: string | null;
}
