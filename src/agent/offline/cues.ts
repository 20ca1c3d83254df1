/**
 * Cue words: the vocabulary that marks a whole-image change (style, season, time, weather, tone) and the
 * helpers that read a word's role (adjective? expression? pronoun standing for a person?).
 */
import type { GlobalCue } from './caption.ts';
import {
  adjectives, colourModifiers, colours, effectNouns, expressions, imageNouns, intensifiers, media, onSettings, personNouns, postures, sceneNouns,
  seasons, settingNouns, styles, timesOfDay, tones, verbLexicon, weather,
} from './lexicon.ts';
import { indexOfPhrase } from './text.ts';
import { nounKind, nounSenses, type NounKind } from './wordnet.ts';

const stopAt = new Set([',', 'please', 'and', 'but', 'then', 'instead']);

/** Two-word keys first, so "oil painting" wins over "painting" and "golden hour" over nothing. */
function lookup(list: readonly string[], table: Readonly<Record<string, string>>): string | null {
  for (const n of [3, 2, 1]) {
    for (let i = 0; i + n <= list.length; i++) {
      const key = list.slice(i, i + n).join(' ');
      if (Object.hasOwn(table, key)) return table[key];
    }
  }
  return null;
}

/** The whole-image change the words ask for, or null. Order: explicit style > medium > style > season > time > weather > tone. */
export function findGlobalCue(list: readonly string[]): GlobalCue | null {
  const styleOf = indexOfPhrase(list, ['style', 'of']);
  if (styleOf >= 0) {
    const words: string[] = [];
    for (const word of list.slice(styleOf + 2)) {
      if (stopAt.has(word)) break;
      words.push(word);
    }
    if (words.length > 0) return { kind: 'style-of', words: words.join(' ') };
  }
  const medium = lookup(list, media);
  if (medium) return { kind: 'medium', medium: list.includes('pencil') && medium === 'drawing' ? 'pencil drawing' : medium };
  const joined = list.join(' ');
  for (const compound of ['pop art', 'art deco', 'low poly', 'film noir', 'ukiyo e']) {
    if (joined.includes(compound)) return { kind: 'style', words: compound };
  }
  const style = list.find((w) => styles.has(w));
  if (style) return { kind: 'style', words: style };
  const season = list.find((w) => seasons.has(w)) ?? (/\b(in|the) (fall|spring)\b/.exec(joined)?.[2] ?? null);
  if (season) return { kind: 'phrase', phrase: `in ${season.replace(/^wintry$/, 'winter').replace(/time$/, '').replace(/^fall$/, 'autumn')}` };
  const time = lookup(list, timesOfDay);
  if (time) return { kind: 'phrase', phrase: time };
  const sky = lookup(list, weather);
  if (sky) return { kind: 'phrase', phrase: sky };
  const tone = lookup(list, tones);
  if (tone) return { kind: 'phrase', phrase: tone };
  return null;
}

/** Whether a word describes rather than names: colours, sizes, materials, expressions, moods. */
export function isAdjective(word: string, loose = false): boolean {
  if (colours.has(word) || colourModifiers.has(word) || adjectives.has(word) || Object.hasOwn(expressions, word)) return true;
  if (Object.hasOwn(tones, word) || Object.hasOwn(weather, word) || seasons.has(word) || styles.has(word)) return true;
  // Suffixes only for the last word of a phrase: "fluffy", "reddish", "colorful", "metallic".
  return loose && word.length > 4 && /(y|ish|ful|ous|ic|less|ive)$/.test(word) && !/(ity|ery|ory|ary|sky|key)$/.test(word);
}

export const isIntensifier = (word: string): boolean => intensifiers.has(word) || word === 'a' || word === 'and';

/** Base form of a gerund when it is a known verb: "adding" → "add", "removing" → "remove", "putting" → "put". */
export function lemma(word: string): string {
  if (!word.endsWith('ing') || word.length < 5) return word;
  const stem = word.slice(0, -3);
  const candidates = [stem, `${stem}e`, stem.replace(/(.)\1$/, '$1')];
  return candidates.find((c) => verbLexicon.includes(c)) ?? word;
}

/** The -ing form of a posture verb ("walk" → "walking"), or null. */
export function postureOf(word: string | undefined): string | null {
  if (word === undefined || !Object.hasOwn(postures, word) || word === 'be') return null;
  return postures[word];
}

const listed = (word: string): boolean =>
  [effectNouns, imageNouns, personNouns, sceneNouns, settingNouns, onSettings, styles, seasons].some((set) => set.has(word)) ||
  [media, weather, timesOfDay, tones, expressions].some((table) => Object.hasOwn(table, word)) ||
  isAdjective(word) || verbLexicon.includes(word);

/**
 * WordNet's kind for a noun the hand lists do not know ("gazebo" → thing, "drizzle" → weather); null for a listed
 * word, so the lists and their rules keep deciding what they know, and null when WordNet lacks the word.
 */
export function unlistedKind(word: string | undefined): NounKind | null {
  if (word === undefined || !/^[a-z][a-z'-]+$/.test(word) || listed(word)) return null;
  return nounKind(word);
}

/** The whole-image cue an unlisted noun names, from WordNet: an art medium, an art style or weather; else null. */
export function wordnetCue(word: string | undefined): GlobalCue | null {
  const kind = unlistedKind(word);
  if (word === undefined || kind === null) return null;
  // "gouache" is first a paint (a material), then a painting: a picture made "like gouache" means the painting.
  const medium = kind === 'medium' || (kind === 'material' && nounSenses(word).slice(0, 3).some((s) => s.kind === 'medium'));
  if (medium) {
    const painting = nounSenses(word).find((s) => s.kind === 'medium')?.ancestors.includes('painting') && !word.endsWith('painting');
    return { kind: 'medium', medium: painting ? `${word} painting` : word };
  }
  if (kind === 'style') return { kind: 'style', words: word };
  if (kind === 'weather') return { kind: 'phrase', phrase: `in the ${word}` };
  return null;
}
