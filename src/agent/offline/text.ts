/**
 * Text plumbing for the offline instructor: normalising what people type (case, emoji, curly quotes,
 * contractions), splitting into tokens, dropping politeness, and snapping typos onto known verbs.
 */
import { language } from './language.ts';
import {
  adjectives, colours, expressions, functionWords, imageNouns, intensifiers, keywordLexicon, leadingFillers, personNouns, selectorWords, settingNouns, tones,
  trailingFillers, verbLexicon,
} from './lexicon.ts';

/** Lower case, no emoji or markup, straight quotes, "&" spelt out, commas kept as their own token. */
export function normalise(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/:[a-z0-9_+-]+:/gi, ' ') // Slack/Discord emoji shortcodes
    .replace(/<a?:\w+:\d+>/g, ' ') // Discord custom emoji
    .replace(/[\p{Extended_Pictographic}\u{FE0F}\u{200D}\u{1F3FB}-\u{1F3FF}]/gu, ' ')
    .replace(/[\u2018\u2019\u02BC]/g, "'")
    .replace(/[\u201C\u201D]/g, '"')
    .toLowerCase()
    .replace(/\bb\s*&\s*w\b/g, 'black and white')
    .replace(/&/g, ' and ')
    .replace(/\bdon'?t\b/g, 'do not')
    .replace(/\bcan'?t\b/g, 'can not')
    .replace(/\bwon'?t\b/g, 'will not')
    .replace(/\bi'm\b/g, 'i am')
    .replace(/\bit's\b/g, 'it is')
    .replace(/(^|\s)'+|'+(?=\s|$)/g, '$1') // quotes around words, not the apostrophe of "dog's"
    .replace(/[*_~`|>#]+(?=\w|\s|$)/g, (m) => (m.startsWith('#') ? m : ' ')) // markdown, but keep "#2"
    .replace(/\s*,\s*/g, ' , ')
    .replace(/[.!?;:()[\]{}"]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function tokens(text: string): string[] {
  return text.split(' ').filter(Boolean);
}

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions ("remvoe" is 1 from "remove"). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The one lexicon word within reach of a token, or null when none or several tie. */
function nearest(token: string, lexicon: readonly string[], maxDistance: number): string | null {
  let best: string | null = null;
  let bestDistance = maxDistance + 1;
  let tie = false;
  for (const word of lexicon) {
    if (Math.abs(word.length - token.length) > maxDistance) continue;
    const distance = editDistance(token, word);
    if (distance < bestDistance) [best, bestDistance, tie] = [word, distance, false];
    else if (distance === bestDistance && word !== best) tie = true;
  }
  return tie ? null : best;
}

/** Short function words a transposition or a dropped letter hides ("teh", "adn"). */
const shortWords: readonly string[] = ['the', 'and', 'add', 'with', 'from', 'into', 'onto', 'make', 'this', 'that', 'them'];

const known = new Set<string>([
  ...verbLexicon, ...keywordLexicon, ...functionWords, ...selectorWords, ...colours, ...adjectives, ...Object.keys(expressions), ...intensifiers,
  ...settingNouns, ...imageNouns, ...personNouns, ...Object.keys(tones), 'tighter', 'looser', 'night', 'light', 'right', 'bright', 'jpeg', 'bokeh', 'hdr', 'dehaze', 'denoise', 'deblur', 'colorize', 'colorise', 'upscale',
]);

/** Hyphenated words the rules know whole ("t-shirt", "low-poly"); others are read as two words ("oil-painting"). */
const keptCompounds = /^(t-shirt|low-poly|pop-art|art-deco|ukiyo-e|night-time|x-ray|e-bike|left-most|right-most|black-and-white)$/;

export function splitCompounds(input: readonly string[]): string[] {
  return input.flatMap((token) => (/^[a-z]+(-[a-z]+)+$/.test(token) && !keptCompounds.test(token) ? token.split('-') : [token]));
}

/** Frequent slips that are real words, so no dictionary can see them: fixed as phrases. */
const slips: readonly [string[], string[]][] = [
  [['get', 'ride', 'of'], ['get', 'rid', 'of']],
  [['insted'], ['instead']],
];

/** The dictionary's first guess one edit away, when it is a plain lower-case word. */
function dictionaryGuess(token: string): string | null {
  if (token.length < 5) return null;
  const sameLetters = (w: string) => [...w].sort().join('') === [...token].sort().join('');
  // A letter too many, too few, or two swapped; never a letter changed ("gogh" is not "goth").
  const fits = (w: string) => /^[a-z]+$/.test(w) && editDistance(token, w) === 1 && (w.length !== token.length || sameLetters(w));
  return language().suggest(token).find(fits) ?? null;
}

/**
 * Fix typos without ever rewriting a real word: a word the dictionary (Hunspell's en_US, via nspell) or the
 * rules' vocabulary knows is left alone ("fireplace" stays, "dive" stays, "mask" is not "make"). A misspelt word
 * is snapped onto the rules' vocabulary first — the verb slot onto the verb lexicon, a long word onto the keyword
 * lexicon (distance 1, or 2 from nine letters on) — and otherwise takes the dictionary's guess one edit away
 * ("insret" → "insert", "errase" → "erase"). Returns the tokens and how many were corrected.
 */
export function correctTypos(input: readonly string[]): { tokens: string[]; corrected: number } {
  let corrected = 0;
  let list = [...input];
  for (const [slip, fix] of slips) {
    const at = indexOfPhrase(list, slip);
    if (at >= 0) {
      list = [...list.slice(0, at), ...fix, ...list.slice(at + slip.length)];
      corrected++;
    }
  }
  const out = list.map((token, i) => {
    if (known.has(token) || !/^[a-z]+$/.test(token) || token.length < 2 || language().isWord(token)) return token;
    const reach = token.length >= 9 ? 2 : 1;
    const fix =
      (i === 0 && list.length > 1 ? nearest(token, verbLexicon, reach) : null) ??
      (token.length >= 6 ? nearest(token, keywordLexicon, reach) : null) ??
      (token.length <= 4 ? nearest(token, shortWords, 1) : null) ??
      dictionaryGuess(token);
    if (fix === null) return token;
    corrected++;
    return fix;
  });
  return { tokens: out, corrected };
}

// These open a sentence as fillers only when a comma follows: "no, make it blue" but "no hats".
const commaOnly = new Set(['no', 'nope', 'nah', 'cool', 'great', 'nice', 'good', 'thanks', 'wait', 'first', 'well', 'so', 'ok', 'okay']);
const leading = leadingFillers.map(tokens);
const trailing = trailingFillers.map(tokens);

function startsWith(list: readonly string[], prefix: readonly string[], at = 0): boolean {
  return prefix.length > 0 && prefix.every((word, i) => list[at + i] === word);
}

/** Drop politeness and hesitation at both ends ("hmm, actually just … please") and stray commas. */
export function stripFillers(input: readonly string[]): string[] {
  let list = [...input];
  for (let changed = true; changed && list.length > 0; ) {
    changed = false;
    if (list[0] === ',') [list, changed] = [list.slice(1), true];
    for (const filler of leading) {
      if (!startsWith(list, filler)) continue;
      const next = list[filler.length];
      if (filler.length === 1 && commaOnly.has(filler[0]) && next !== ',') continue;
      if (next === undefined) continue; // "undo" alone, "ok" alone: keep the word
      list = list.slice(filler.length);
      changed = true;
      break;
    }
    for (const filler of trailing) {
      const at = list.length - filler.length;
      if (at > 0 && startsWith(list, filler, at)) [list, changed] = [list.slice(0, at), true];
    }
    if (list.at(-1) === ',') [list, changed] = [list.slice(0, -1), true];
  }
  return list;
}

/** Index of a phrase (token list) inside tokens, or -1. */
export function indexOfPhrase(list: readonly string[], phrase: readonly string[], from = 0): number {
  for (let i = from; i + phrase.length <= list.length; i++) if (startsWith(list, phrase, i)) return i;
  return -1;
}

export const hasPhrase = (list: readonly string[], phrase: string): boolean => indexOfPhrase(list, tokens(phrase)) >= 0;

/** "a"/"an" by the sound of the next word, near enough for captions. */
export function article(word: string): 'a' | 'an' {
  if (/^(uni|use|usu|one|eu|ur)/.test(word)) return 'a';
  if (/^(hour|honest|honou?r|heir)/.test(word)) return 'an';
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

/** Whether a noun phrase reads as plural or mass, so it takes no "a": "two birds", "flowers", "grass". */
export function takesNoArticle(phrase: string): boolean {
  const words = phrase.split(' ');
  const head = words.at(-1) ?? '';
  if (/^(\d+|two|three|four|five|six|seven|eight|nine|ten|some|many|several|few)$/.test(words[0] ?? '')) return true;
  if (/^(water|grass|snow|sand|hair|fur|rain|fog|smoke|fire|sunglasses|glasses|jeans|pants|trousers|shorts|makeup|lipstick|paris|london|space)$/.test(head)) return true;
  return /[^su]s$/.test(head) && !/(ss|us|is)$/.test(head);
}

/** "a hat", "an apple", "two birds", "flowers". */
export function withArticle(phrase: string): string {
  return takesNoArticle(phrase) ? phrase : `${article(phrase)} ${phrase}`;
}
