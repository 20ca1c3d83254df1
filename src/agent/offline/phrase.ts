/**
 * Noun phrases: the object a user names, and the words that pick among several ("the left dog", "both cats").
 *
 * Convention for the object phrase (what the detector is asked for): one noun phrase, at most 5 words, head noun
 * last. Determiners and quantity words go; adjectives stay ("red car" helps the detector); a possessor goes
 * ("the dog's collar" → "collar", "the rose from the dog's mouth" → "rose": the detector grounds the thing itself,
 * and the attached phrase only says where it is); spatial and ordinal words move to the selector. Partitives keep
 * their complement ("a cup of coffee"). With more than 5 words, the last 5 stay, so the head survives.
 */
import { parseSelector, type Selector } from '../../vision/detections.ts';
import { isAdjective } from './cues.ts';
import { language } from './language.ts';
import { boundaries, determiners, partitives, pronouns, selectorWords } from './lexicon.ts';

export interface NounPhrase {
  /** Null when the phrase names nothing ("it", "the left one", "both of them"). */
  object: string | null;
  selector: Selector | null;
  /** Index just after the phrase (and any trailing "on the left"). */
  end: number;
  /** The phrase was a pronoun ("it", "her"): the caller may resolve it from context. */
  pronoun: boolean;
}

const quantities = new Set(['some', 'any', 'many', 'few', 'several', 'more', 'two', 'three', 'four', 'five', 'couple', 'lots']);
const ofTakers = new Set(['all', 'both', 'each', 'one', 'some', 'none', 'rest', 'any', 'either', 'neither', 'two', 'three', 'most', 'couple']);
const spatial = /^(left|right|top|bottom|far|leftmost|rightmost)$/;
const nounsInIng = /^(painting|building|clothing|ceiling|earring|earrings|railing|awning|string|wedding|frosting|icing|stuffing|paintings|buildings|striped|spotted|wooden|bearded|curled|checkered)$/;
const ordinalWord = /^#?\d+(st|nd|rd|th)$|^#\d+$/;

/** "on the left", "at the top", "to the right side": a trailing spatial selector at `at`, with its length. */
function trailingSpatial(list: readonly string[], at: number): { words: string; length: number } | null {
  if (!/^(on|at|to|in)$/.test(list[at] ?? '')) return null;
  let i = at + 1;
  if (list[i] === 'the') i++;
  if (list[i] === 'far' || list[i] === 'very') i++;
  if (!spatial.test(list[i] ?? '')) return null;
  const words = list[i];
  i++;
  if (/^(side|one|corner|end|edge)$/.test(list[i] ?? '')) i++;
  return { words, length: i - at };
}

const describes = (word: string | undefined): boolean => word !== undefined && (isAdjective(word) || language().isAdjective(word));

/** "grey and white" before a noun: the "and" joins two descriptions of one thing. */
function joinsAdjectives(before: string | undefined, after: string | undefined, then: string | undefined): boolean {
  return describes(before) && describes(after) && then !== undefined && !boundaries.has(then);
}

/**
 * Read the noun phrase that starts at `from`. `keepCount` keeps numbers ("add two birds": the count matters for
 * what to add, not which to pick).
 */
export function readNounPhrase(list: readonly string[], from = 0, options: { keepCount?: boolean } = {}): NounPhrase {
  let words: string[] = [];
  const selectorText: string[] = [];
  let pronoun = false;
  let i = from;
  for (; i < list.length; i++) {
    const word = list[i];
    if (word === 'of') {
      const previous = list[i - 1] ?? '';
      if (ofTakers.has(previous) || partitives.has(previous)) {
        if (partitives.has(previous)) words.push('of');
        continue;
      }
      break;
    }
    if (word === 'number' && /^\d+$/.test(list[i + 1] ?? '')) {
      selectorText.push(list[++i]);
      continue;
    }
    if (word === 'and' && joinsAdjectives(words.at(-1), list[i + 1], list[i + 2])) {
      words.push(word); // "a grey and white rabbit": one thing, two colours
      continue;
    }
    if (boundaries.has(word) && !(word === 'next' && words.length === 0)) break;
    // A participle after the noun starts a clause: "the man standing next to the car", "the car parked outside".
    if (words.length > 0 && /^[a-z]{3,}(ing|ed)$/.test(word) && word.length > 5 && !nounsInIng.test(word)) break;
    if (/('s|s')$/.test(word) && words.length + selectorText.length < 6) {
      words = []; // a possessor: keep what is owned, not the owner
      continue;
    }
    if (pronouns.has(word) && !(word === 'her' || word === 'that' || word === 'this') ) {
      if (word !== 'one') pronoun = true;
      continue;
    }
    if (word === 'her' || word === 'this' || word === 'that') {
      // "her hat" is a determiner; "her" before a boundary or the end is the person
      const next = list[i + 1];
      if (next === undefined || boundaries.has(next) || next === 'one') pronoun = true;
      continue;
    }
    // A second determiner starts a second phrase: "give the dog | a bone", "make the car | a convertible".
    if (/^(a|an|the|some|his|its|their|my|your|our)$/.test(word) && words.length > 0) break;
    if (determiners.has(word) || /^(ones|very|really|quite|super)$/.test(word)) continue;
    // "the dog bigger": a comparative after the noun describes the change, it does not pick a dog.
    if (/^(bigger|larger|smaller|big|large|small)$/.test(word) && words.length > 0) {
      words.push(word);
      continue;
    }
    if (selectorWords.has(word) || ordinalWord.test(word)) {
      selectorText.push(word);
      continue;
    }
    if (quantities.has(word) || /^\d+$/.test(word)) {
      if (options.keepCount && word !== 'some' && word !== 'any' && word !== 'more') words.push(word);
      continue;
    }
    words.push(word);
  }
  const after = trailingSpatial(list, i);
  if (after) {
    selectorText.push(after.words);
    i += after.length;
  }
  if (words.at(-1) === 'of') words.pop();
  const object = words.length > 0 ? words.slice(-5).join(' ') : null;
  const selector = selectorText.length > 0 ? parseSelector(selectorText.join(' ')) : null;
  return { object, selector, end: i, pronoun: pronoun && object === null };
}

/** The head noun of a phrase: its last word. */
export const headOf = (phrase: string): string => phrase.split(' ').at(-1) ?? phrase;

/** Singular and plural spellings of a word, for matching against a caption. */
export function nounForms(word: string): string[] {
  const forms = new Set([word]);
  if (word.endsWith('ies')) forms.add(`${word.slice(0, -3)}y`);
  else if (/(ches|shes|xes|ses)$/.test(word)) forms.add(word.slice(0, -2));
  else if (word.endsWith('s') && !word.endsWith('ss')) forms.add(word.slice(0, -1));
  if (word.endsWith('y') && !/[aeiou]y$/.test(word)) forms.add(`${word.slice(0, -1)}ies`);
  else if (/(ch|sh|x|s)$/.test(word)) forms.add(`${word}es`);
  else forms.add(`${word}s`);
  const irregular: Record<string, string> = { man: 'men', woman: 'women', child: 'children', person: 'people', mouse: 'mice', foot: 'feet', tooth: 'teeth' };
  for (const [one, many] of Object.entries(irregular)) {
    if (word === one) forms.add(many);
    if (word === many) forms.add(one);
  }
  return [...forms];
}
