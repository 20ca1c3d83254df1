/**
 * The parser's working result, before captions and context are applied, and the small constructors every
 * rule shares.
 */
import type { EditType } from '../instruction.ts';
import type { Selector } from '../../vision/detections.ts';
import type { GlobalCue } from './caption.ts';

export interface Draft {
  type: EditType;
  confidence: number;
  object: string | null;
  selector: Selector | null;
  /** The object was a pronoun ("it", "her"): the conversation may know what it means. */
  pronoun?: boolean;
  attribute?: string;
  replacement?: string;
  cue?: GlobalCue | null;
  /** Background: the new setting, as the user's words ("on a beach", "a forest", "walking on water"). */
  setting?: string | null;
  /** Background: the sky is what changes ("a sunset sky"). */
  sky?: boolean;
  /** Addition: what the new thing goes on ("dog" in "add a hat to the dog"), and where ("in the sky"). */
  anchor?: string | null;
  location?: string | null;
  /** No rule matched: the words were not understood. */
  fallback?: boolean;
}

export const removal = (object: string | null, selector: Selector | null, confidence: number, pronoun = false): Draft => ({
  type: 'removal', confidence, object, selector, pronoun,
});

export const globalEdit = (cue: GlobalCue | null, confidence: number): Draft => ({ type: 'global', confidence, object: null, selector: null, cue });

export const background = (setting: string | null, confidence: number, sky = false): Draft => ({
  type: 'background', confidence, object: null, selector: null, setting, sky,
});

export const addition = (object: string | null, confidence: number, anchor: string | null = null, location: string | null = null): Draft => ({
  type: 'addition', confidence, object, selector: null, anchor, location,
});

export const fallback = (): Draft => ({ type: 'local', confidence: 0.2, object: null, selector: null, fallback: true });
