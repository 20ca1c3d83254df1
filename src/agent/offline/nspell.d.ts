/** The part of nspell (a Hunspell-compatible speller, no types of its own) that language.ts uses. */
declare module 'nspell' {
  interface Speller {
    correct(word: string): boolean;
    suggest(word: string): string[];
    add(word: string): Speller;
  }
  export default function nspell(aff: Buffer | string, dic?: Buffer | string): Speller;
}
