/**
 * The one module that owns the English language libraries of the offline instructor: `compromise` (tokens, part of
 * speech, verb lemmas) and `nspell` with `dictionary-en` (a Hunspell dictionary: is this a real word, what was
 * meant). They are heavy (≈ 0.8 s to load), so nothing imports them at start-up: `loadLanguage()` brings them in on
 * the first free-text turn (the interpreter and the instructors await it), and `language()` loads them
 * synchronously in the rare path that classifies words before any turn did (a command-line edit).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

type Nlp = (text: string) => {
  json(): { terms: { text: string; normal?: string; tags: string[] }[] }[];
  verbs(): { toInfinitive(): { text(): string } };
  nouns(): { toSingular(): { text(): string } };
};
interface Speller {
  correct(word: string): boolean;
  suggest(word: string): string[];
  add(word: string): unknown;
}
type NspellFactory = (aff: Buffer, dic: Buffer) => Speller;

/** What the rules ask of the language libraries. Every answer is cached: the same words come back often. */
export interface Language {
  /** A word the dictionary knows (any case): never a typo. */
  isWord(word: string): boolean;
  /** The dictionary's guesses for a misspelt word, best first. */
  suggest(word: string): string[];
  /** Part-of-speech tags for each token, read in context ("swap" in "swap the city" is a verb). */
  tags(tokens: readonly string[]): string[][];
  /** A verb's base form: "taken" → "take", "eliminating" → "eliminate"; null when it is not a verb. */
  infinitive(word: string): string | null;
  /** Whether the word, read as a command's first word, is a verb ("you dehaze the photo"). */
  isVerb(word: string): boolean;
  /** Whether the word reads as an adjective on its own ("grey", "fluffy", "weathered"). */
  isAdjective(word: string): boolean;
}

let loaded: Language | null = null;

function build(nlp: Nlp, nspell: NspellFactory, dictionaryDir: string): Language {
  const speller = nspell(fs.readFileSync(path.join(dictionaryDir, 'index.aff')), fs.readFileSync(path.join(dictionaryDir, 'index.dic')));
  const memo = <T>(fn: (word: string) => T) => {
    const cache = new Map<string, T>();
    return (word: string): T => {
      if (!cache.has(word)) cache.set(word, fn(word));
      return cache.get(word)!;
    };
  };
  const firstTags = (text: string, at: number) => nlp(text).json()[0]?.terms[at]?.tags ?? [];
  return {
    isWord: memo((word) => speller.correct(word) || speller.correct(word[0].toUpperCase() + word.slice(1))),
    suggest: memo((word) => speller.suggest(word)),
    tags(tokens) {
      const terms = nlp(tokens.filter((t) => t !== ',').join(' ')).json().flatMap((s) => s.terms);
      let k = 0;
      return tokens.map((token) => {
        if (token === ',') return ['Comma'];
        const term = terms[k];
        if (term && (term.normal ?? term.text.toLowerCase()) === token) {
          k++;
          return term.tags;
        }
        return [];
      });
    },
    infinitive: memo((word) => {
      const tags = firstTags(`you ${word}`, 1);
      if (!tags.includes('Verb') && !tags.includes('Gerund')) return null;
      const base = nlp(`you ${word}`).verbs().toInfinitive().text().replace(/^you\s+/, '').trim();
      return base && !base.includes(' ') ? base : word;
    }),
    isVerb: memo((word) => firstTags(`you ${word} it`, 1).includes('Verb')),
    isAdjective: memo((word) => {
      const tags = firstTags(`it is ${word}`, 2);
      return tags.includes('Adjective') && !tags.includes('Noun');
    }),
  };
}

/** Loads the libraries (once) as ES modules: the first free-text turn awaits this. */
export async function loadLanguage(): Promise<Language> {
  if (loaded) return loaded;
  const [{ default: nlp }, { default: nspell }] = await Promise.all([import('compromise'), import('nspell')]);
  const dictionaryDir = path.dirname(createRequire(import.meta.url).resolve('dictionary-en'));
  loaded ??= build(nlp as unknown as Nlp, nspell as unknown as NspellFactory, dictionaryDir);
  return loaded;
}

/** The loaded libraries; loaded synchronously when no turn has loaded them yet. */
export function language(): Language {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  loaded = build(require('compromise') as Nlp, require('nspell') as NspellFactory, path.dirname(require.resolve('dictionary-en')));
  return loaded;
}
