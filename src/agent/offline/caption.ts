/**
 * Target captions: what the image shows after the edit (BrushEdit's caption prompt: only what remains, no
 * apologies). With the source caption known, it is rewritten by small word-level rules; without one, a short
 * caption comes from the instruction alone. The rules aim at the captions a captioner writes ("a dog holding a
 * rose in its mouth on grass"), not at arbitrary prose.
 */
import { colourModifiers, colours, onSettings, personNouns } from './lexicon.ts';
import { article, takesNoArticle, withArticle } from './text.ts';
import { headOf, nounForms } from './phrase.ts';
import { canBe } from './wordnet.ts';

/** A whole-image change: an art medium ("a watercolor painting of …"), "in the style of …", or a phrase to append. */
export type GlobalCue = { kind: 'medium'; medium: string } | { kind: 'style-of'; words: string } | { kind: 'style'; words: string } | { kind: 'phrase'; phrase: string };

/** What a thing can be made of, as a captioner writes it before the noun ("a wooden table", "a glass vase"). */
const materialWords = new Set([
  'wooden', 'wood', 'glass', 'plastic', 'stone', 'marble', 'leather', 'metal', 'metallic', 'steel', 'iron', 'gold', 'golden', 'silver',
  'concrete', 'brick', 'velvet', 'silk', 'cotton', 'wool', 'woollen', 'woolen', 'denim', 'ceramic', 'porcelain', 'wicker', 'bamboo', 'copper', 'bronze', 'rubber', 'paper', 'cardboard',
]);
/** A material word, listed or a substance in WordNet's most frequent sense ("granite", "velvet"). */
const isMaterial = (word: string): boolean => materialWords.has(word) || canBe(word, 'material', 1);

const determinersInCaption = new Set(['a', 'an', 'the', 'some', 'its', 'his', 'her', 'their', 'two', 'three', 'several', 'many', 'one']);
const possessives = new Set(['its', 'his', 'her', 'their', 'my', 'your', 'our']);
const prepositions = new Set([
  'in', 'on', 'at', 'with', 'near', 'beside', 'behind', 'under', 'over', 'above', 'below', 'into', 'onto', 'to', 'for', 'by', 'from', 'of',
  'inside', 'outside', 'around', 'between', 'against', 'along', 'across', 'through', 'underneath', 'among', 'next',
]);
/** Words that tie a removed phrase to the rest: dropped with it ("holding a rose", "and a cat"). */
const connectors = new Set(['with', 'and', 'holding', 'wearing', 'carrying', 'eating', 'biting', 'beside', 'near', 'behind', 'plus']);
const settingPrepositions = new Set(['on', 'in', 'at', 'by', 'near', 'under', 'against', 'beside', 'inside', 'underneath', 'along', 'over']);
const notSettings = /^(dress|shirt|hat|coat|jacket|suit|uniform|costume|mouth|hand|hands|arms|lap|paws|hair|glasses|sunglasses)$/;

const bare = (word: string): string => word.toLowerCase().replace(/[^a-z0-9'-]/g, '');
const words = (caption: string): string[] => caption.trim().replace(/[.\s]+$/, '').split(/\s+/).filter(Boolean);
const isParticiple = (word: string): boolean => /^[a-z]{3,}(ing|ed)$/.test(bare(word)) && !/^(bed|shed|sled|red|thing|ring|king|wing|string|ceiling|building|painting|clothing)$/.test(bare(word));
const isBoundary = (word: string): boolean => prepositions.has(bare(word)) || connectors.has(bare(word)) || isParticiple(word) || /,$/.test(word) || bare(word) === 'is';

/** Index of the caption word that is the object's head (any number), preferring a match of the whole phrase. */
export function findHead(list: readonly string[], object: string): number {
  const objectWords = object.toLowerCase().split(' ');
  const forms = nounForms(headOf(object.toLowerCase()));
  let best = -1;
  let bestScore = -1;
  list.forEach((word, i) => {
    if (!forms.includes(bare(word))) return;
    let score = 0;
    for (let k = 1; k < objectWords.length && i - k >= 0; k++) if (bare(list[i - k]) === objectWords[objectWords.length - 1 - k]) score++;
    if (score > bestScore) [best, bestScore] = [i, score];
  });
  return best;
}

/** First word of the noun phrase whose head is at `head`: back over adjectives to the determiner. */
function phraseStart(list: readonly string[], head: number): number {
  let start = head;
  while (start > 0 && head - start < 5 && !isBoundary(list[start - 1])) {
    start--;
    if (determinersInCaption.has(bare(list[start]))) break;
  }
  return start;
}

/** Fix "a"/"an" before a phrase after its words changed. */
function fixArticles(list: string[]): string[] {
  return list.map((word, i) => (/^(a|an)$/i.test(word) && list[i + 1] ? article(bare(list[i + 1])) : word));
}

const tidy = (list: readonly string[]): string => list.join(' ').replace(/\s+,/g, ',').replace(/,\s*$/, '').replace(/^,\s*/, '').trim();

/** Removal: drop the object's phrase, what ties it to the rest, and phrases hanging off it ("in its mouth"). */
export function removalCaption(source: string, object: string): string | null {
  const list = words(source);
  const head = findHead(list, object);
  if (head < 0) return source.trim(); // not mentioned: the caption already shows only what remains
  let start = phraseStart(list, head);
  let end = head + 1;
  while (end + 1 < list.length && prepositions.has(bare(list[end])) && possessives.has(bare(list[end + 1]))) {
    end += 2;
    while (end < list.length && !isBoundary(list[end])) end++;
  }
  if (start > 0) {
    const previous = bare(list[start - 1]);
    if (connectors.has(previous) || prepositions.has(previous)) start--;
    if (previous === 'to' && bare(list[start - 1] ?? '') === 'next') start--;
  } else {
    // The subject went: what tied it to the rest goes too ("a cat sitting on a sofa" → "a sofa").
    while (end < list.length && (isParticiple(list[end]) || connectors.has(bare(list[end])) || prepositions.has(bare(list[end])))) end++;
  }
  const rest = fixArticles([...list.slice(0, start), ...list.slice(end)]);
  return rest.length > 0 ? tidy(rest) : null;
}

/** Local: a new attribute on the object ("a blue car" → "a red car") or a new object in its place ("cat" → "dog"). */
export function localCaption(source: string | null, object: string | null, change: { attribute?: string; replacement?: string }): string | null {
  const { attribute, replacement } = change;
  if (source === null) {
    if (replacement) return withArticle(replacement);
    if (attribute && object) return withArticle(`${attribute} ${object}`);
    return attribute ?? null;
  }
  const list = words(source);
  let head = object ? findHead(list, object) : -1;
  if (head < 0 && attribute && (object === 'face' || object === null)) head = list.findIndex((w) => personNouns.has(bare(w)) && !/^(he|she|him|her|them|they|me|us)$/.test(bare(w)));
  if (head < 0) {
    const addition = replacement ? withArticle(replacement) : attribute && object && object !== 'face' ? withArticle(`${attribute} ${object}`) : attribute;
    return addition ? `${source.trim().replace(/[.\s]+$/, '')}${replacement || object !== 'face' ? ' with ' : ', '}${addition}` : source;
  }
  const start = phraseStart(list, head);
  if (replacement) {
    const objectLength = object ? object.split(' ').length : 1;
    const from = Math.max(start, head - objectLength + 1, determinersInCaption.has(bare(list[start])) ? start + 1 : start);
    return tidy(fixArticles([...list.slice(0, from), ...replacement.split(' '), ...list.slice(head + 1)]));
  }
  if (!attribute) return source;
  // "less shiny": the quality goes from the object's words, and nothing is added in its place.
  if (/^(less|fewer) /.test(attribute)) {
    const dropped = new Set(attribute.split(' ').slice(1));
    return tidy([...list.slice(0, start), ...list.slice(start, head).filter((w) => !dropped.has(bare(w))), ...list.slice(head)]);
  }
  // A new colour replaces the old one, a new material the old one: "a wooden table" → "a granite table".
  const isColour = attribute.split(' ').some((w) => colours.has(w));
  const isNewMaterial = attribute.split(' ').some(isMaterial);
  const said = new Set(attribute.split(' '));
  const before = list
    .slice(start, head)
    .filter((w) => !(isColour && (colours.has(bare(w)) || colourModifiers.has(bare(w)))) && !(isNewMaterial && isMaterial(bare(w))) && !said.has(bare(w)));
  return tidy(fixArticles([...list.slice(0, start), ...before, ...attribute.split(' '), ...list.slice(head)]));
}

/** The caption without these words (a quality said to be less: "a red car" without "red" → "a car"). */
function withoutWords(text: string, drop: readonly string[]): string {
  const gone = new Set(drop);
  return tidy(fixArticles(words(text).filter((w) => !gone.has(bare(w)))));
}

/** Addition: "with a hat" after the thing it goes on, or at the end with where it goes. */
export function additionCaption(source: string | null, object: string, anchor: string | null, location: string | null): string {
  const thing = withArticle(object);
  if (source === null) return thing;
  const list = words(source);
  let at = anchor ? findHead(list, anchor) : -1;
  if (at < 0 && anchor && personNouns.has(anchor)) at = list.findIndex((w) => personNouns.has(bare(w)));
  if (at >= 0) return tidy([...list.slice(0, at + 1), 'with', ...thing.split(' '), ...list.slice(at + 1)]);
  return tidy([...list, 'with', ...thing.split(' '), ...(location ? location.split(' ') : [])]);
}

/** Global: "a watercolor painting of …", "…, in the style of van gogh", "…, in winter". */
export function globalCaption(source: string | null, cue: GlobalCue): string {
  const text = source?.trim().replace(/[.\s]+$/, '') ?? null;
  switch (cue.kind) {
    case 'medium':
      return text ? `${withArticle(cue.medium)} of ${text}` : withArticle(cue.medium);
    case 'style-of':
      return text ? `${text}, in the style of ${cue.words}` : `a painting in the style of ${cue.words}`;
    case 'style':
      return text ? `${text}, in ${cue.words} style` : `an image in ${cue.words} style`;
    case 'phrase':
      // "less red": the picture shows less of it, which a caption cannot say; what it shows stays, minus the word.
      if (/^(less|fewer)\b/.test(cue.phrase)) return text ? withoutWords(text, cue.phrase.split(' ').slice(1)) : 'a scene';
      return text ? `${text}, ${cue.phrase}` : `a scene ${cue.phrase}`;
  }
}

/**
 * A setting phrase from the user's words: "on a beach", "in paris", "walking on water". `noun` words without a
 * preposition ("a beach") get one by the noun: "on" for surfaces, "in" for the rest.
 */
export function settingPhrase(words: readonly string[]): string {
  const first = words[0] ?? '';
  if (settingPrepositions.has(first) || /ing$/.test(first) || first === 'under') return words.join(' ');
  if (first === 'into') return ['in', ...words.slice(1)].join(' ');
  if (first === 'onto') return ['on', ...words.slice(1)].join(' ');
  const noun = first === 'to' ? words.slice(1) : [...words];
  // The place's own noun, before what qualifies it: "a beach at sunset" is on a beach.
  const qualified = noun.findIndex((w, i) => i > 0 && prepositions.has(w));
  const head = (qualified > 0 ? noun[qualified - 1] : noun.at(-1)) ?? '';
  const phrase = /^(a|an|the|some)$/.test(noun[0] ?? '') || takesNoArticle(noun.join(' ')) || !/^[a-z]+$/.test(head) ? noun.join(' ') : withArticle(noun.join(' '));
  return `${onSettings.has(head) ? 'on' : 'in'} ${phrase}`;
}

/** Background: the setting phrase replaces the caption's last one ("… on a street" → "… on a beach"), or is appended. */
export function backgroundCaption(source: string | null, setting: string, sky = false): string {
  const phrase = settingPhrase(setting.split(' '));
  if (source === null) return sky ? setting : phrase.replace(/^(on|in|at|by|near|under|inside|to) /, '');
  const list = words(source);
  if (sky) {
    const head = findHead(list, 'sky');
    if (head >= 0) return tidy(fixArticles([...list.slice(0, phraseStart(list, head)), ...withArticle(setting).split(' '), ...list.slice(head + 1)]));
    return tidy([...list, 'under', ...withArticle(setting).split(' ')]);
  }
  let at = -1;
  for (let i = list.length - 2; i > 0; i--) {
    if (!settingPrepositions.has(bare(list[i]))) continue;
    const next = bare(list[i + 1]);
    if (possessives.has(next) || list.slice(i + 1).some((w) => notSettings.test(bare(w)))) continue;
    at = i;
    break;
  }
  if (at < 0) return tidy([...list, ...phrase.split(' ')]);
  // "walking on water" brings its own verb: the old one ("standing in a park") goes with the old setting.
  if (/ing$/.test(phrase.split(' ')[0]) && isParticiple(list[at - 1] ?? '')) at--;
  return tidy([...list.slice(0, at), ...phrase.split(' ')]);
}
