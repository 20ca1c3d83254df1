/**
 * Edits said as a wish or a statement rather than a command, read before the general rules:
 *   "there should be a boat on the lake", "can there be a moon", "the table needs a vase" → addition;
 *   "a tractor should appear on the right", "a small red bird should be sitting on the branch" → addition;
 *   "she should be in a field of sunflowers", "i want her in front of the colosseum",
 *   "can we have him in a rainforest", "what if she was in paris" → background (the subject, somewhere else);
 *   "we don't need the chair", "nobody wants to see the trash", "the dog should not be in the photo" → removal.
 */
import { additionFrom, namesScene } from './change.ts';
import { background, removal, type Draft } from './draft.ts';
import { onSettings, personNouns } from './lexicon.ts';
import { readNounPhrase } from './phrase.ts';
import { indexOfPhrase } from './text.ts';

const beings = /^(be|appear|exist|stand|sit)$/;
const placePrepositions = /^(in|on|at|into|onto|through|inside|under|across|over)$/;
const people = /^(he|she|they|him|her|them|it|we|us|i|me|everyone)$/;

/** "there should be …", "there needs to be …", "can there be …". */
function existential(list: readonly string[]): Draft | null {
  const there = list.indexOf('there');
  if (there < 0 || there > 2) return null;
  const be = list.findIndex((w, i) => i > there && w === 'be');
  if (be < 0 || be > there + 4 || !/^(a|an|some|two|three|more|another)$/.test(list[be + 1] ?? '')) return null;
  return { ...additionFrom(list, be + 1), confidence: 0.75 };
}

/** "a tractor should appear …", "the table needs a vase", "the shelf could use a plant". */
function newThing(list: readonly string[]): Draft | null {
  if (/^(a|an|some|two|three)$/.test(list[0] ?? '')) {
    const np = readNounPhrase(list, 0, { keepCount: true });
    const rest = list.slice(np.end);
    if (np.object && /^(should|must|could|would|needs|will)$/.test(rest[0] ?? '') && rest.slice(1, 4).some((w) => beings.test(w) || /ing$/.test(w))) {
      return { ...additionFrom(list, 0), confidence: 0.7 };
    }
  }
  const needs = list.findIndex((w, i) => i > 0 && /^(needs|need|could|lacks)$/.test(w));
  if (needs > 0 && list[0] === 'the' && (list[needs] !== 'could' || list[needs + 1] === 'use')) {
    const at = list[needs] === 'could' ? needs + 2 : needs + 1;
    if (/^(a|an|some|more)$/.test(list[at] ?? '')) return { ...additionFrom(list, at), anchor: readNounPhrase(list, 0).object, confidence: 0.7 };
  }
  return null;
}

/** The subject somewhere else: a person or "the <thing>" before a place preposition that names a setting. */
function placedSubject(list: readonly string[]): Draft | null {
  const at = list.findIndex((w, i) => i > 0 && placePrepositions.test(w));
  const front = indexOfPhrase(list, ['in', 'front', 'of']);
  const from = front >= 0 && (at < 0 || front <= at) ? front : at;
  if (from < 0) return null;
  const before = list.slice(0, from);
  const place = list.slice(from + (from === front ? 3 : 1));
  const person = before.some((w) => people.test(w) || personNouns.has(w));
  const definite = before.includes('the') && !before.some((w) => /^(a|an)$/.test(w));
  const wishful = before.some((w) => /^(should|want|like|have|was|were|if|must|could|needs|be|being)$/.test(w));
  const setting = namesScene(place) || onSettings.has(place.at(-1) ?? '') || front === from;
  if (!wishful || !setting || !(person || definite)) return null;
  return background(list.slice(from).join(' '), 0.7);
}

/** "we don't need the chair", "nobody wants to see the trash", "the dog should not be in the photo". */
function unwanted(list: readonly string[]): Draft | null {
  const not = list.findIndex((w, i) => (w === 'not' && /^(need|want)$/.test(list[i + 1] ?? '')) || (w === 'nobody' && /^(wants|needs)$/.test(list[i + 1] ?? '')));
  if (not >= 0) {
    let at = not + 2;
    if (list[at] === 'to' && list[at + 1] === 'see') at += 2;
    const np = readNounPhrase(list, at);
    if (np.object) return removal(np.object, np.selector, 0.75);
  }
  const shouldNot = list.findIndex((w, i) => /^(should|must)$/.test(w) && list[i + 1] === 'not' && list[i + 2] === 'be' && /^(in|there|here|visible)$/.test(list[i + 3] ?? ''));
  if (shouldNot > 0) {
    const np = readNounPhrase(list, 0);
    if (np.object) return removal(np.object, np.selector, 0.75);
  }
  return null;
}

export function wishEdit(list: readonly string[]): Draft | null {
  return unwanted(list) ?? existential(list) ?? newThing(list) ?? placedSubject(list);
}
