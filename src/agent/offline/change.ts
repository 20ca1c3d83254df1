/**
 * "make / turn / change / replace X (into) Y": the verbs of local edits, which the object and the target can
 * redirect. Precedence, most specific first: the object is the setting or the sky → background; the object is the
 * picture (or "it") and the target is a style/season/time/weather/tone → global; the target says the object goes
 * away → removal; a person made to walk somewhere → background; otherwise local (a concrete object with a style
 * target stays local, at lower confidence).
 */
import { findGlobalCue, isAdjective, isIntensifier, postureOf, unlistedKind, wordnetCue } from './cues.ts';
import { addition, background, globalEdit, removal, type Draft } from './draft.ts';
import { colours, effectNouns, expressions, imageNouns, personNouns, sceneNouns, settingNouns } from './lexicon.ts';
import { headOf, readNounPhrase, type NounPhrase } from './phrase.ts';
import { nounSenses } from './wordnet.ts';

const standalonePronouns = new Set(['it', 'him', 'them', 'me', 'us', 'everything', 'this', 'that', 'her', 'he', 'she', 'they']);
const separators = new Set(['into', 'to', 'look', 'looks', 'like', 'be', 'become', 'appear', 'seem', 'as', 'more', 'less', 'bit', 'little', 'much', 'even', 'slightly', 'the', 'a', 'an', 'some', 'in', 'with', 'by', 'for', 'so', 'it', 'is', 'are', 'instead', 'of']);
const gone = new Set(['disappear', 'vanish', 'go', 'gone', 'invisible', 'away']);
const replaceVerbs = new Set(['replace', 'swap', 'switch', 'exchange', 'substitute']);
const peelVerbs = new Set(['make', 'paint', 'color', 'colour', 'dye', 'recolor', 'recolour', 'turn', 'tint', 'get']);

/** "her" / "this" stand alone when a description, not a noun, follows: "make her smile" but "make her hat red". */
export function pronounAt(list: readonly string[], at: number): boolean {
  const word = list[at];
  if (!standalonePronouns.has(word)) return false;
  if (word !== 'her' && word !== 'this' && word !== 'that') return true;
  const next = list[at + 1];
  return next === undefined || separators.has(next) || isAdjective(next) || postureOf(next) !== null || gone.has(next) || next === ',' || actions.test(next);
}

const actions = /^(wear|hold|carry|look|seem|appear|have|go|become|stay|get)$/;
const picturePronouns = /^(it|this|that|everything)$/;

/** A place a picture can be set in: a listed scene noun, or one WordNet files under land, water or region ("bayou"). */
const isScene = (word: string | null): boolean => word !== null && (sceneNouns.has(word) || unlistedKind(word) === 'scene');

/** The setting named by words after "to / into / for / with": a scene noun or a named place ("paris"). */
export function namesScene(words: readonly string[]): boolean {
  return words.some((w) => isScene(w) || settingNouns.has(w)) || /^(paris|london|tokyo|venice|rome|new york|marrakech|hawaii)$/.test(words.filter((w) => !/^(a|an|the)$/.test(w)).join(' '));
}

/** The object phrase and the words that say what it becomes. */
function splitTarget(list: readonly string[], at: number, verb: string): { np: NounPhrase; target: string[]; nounTarget: boolean } {
  let np: NounPhrase;
  if (pronounAt(list, at)) np = { object: null, selector: null, end: at + 1, pronoun: true };
  else np = readNounPhrase(list, at);
  let target = list.slice(np.end).filter((w) => w !== ',' && w !== 'please');
  // "make the photo black and white": the phrase stopped at "and", but the colours belong together.
  const joined = target[0] === 'and' && target.length > 1 && target.slice(1).every((w) => isAdjective(w, true));
  if ((target.length === 0 || joined) && np.object && peelVerbs.has(verb)) {
    const words = [...np.object.split(' '), ...target];
    target = [];
    let k = words.length;
    while (k > 1 && (isAdjective(words[k - 1], k === words.length) || (isIntensifier(words[k - 1]) && k < words.length))) k--;
    if (k === words.length && words.length >= 2 && verb !== 'turn') k--;
    if (k < words.length) {
      target = words.slice(k);
      np = { ...np, object: words.slice(0, k).join(' ') };
    }
  }
  let i = 0;
  let led = false;
  let article = false;
  while (i < target.length - 1 && separators.has(target[i])) {
    if (/^(the|some|into|like)$/.test(target[i])) led = true;
    if (/^(a|an)$/.test(target[i])) article = true; // "into an orange" is the fruit, "into orange" the colour
    i++;
  }
  target = target.slice(i);
  return { np, target, nounTarget: article || (led && !target.every((w) => isAdjective(w, true))) };
}

/** Background from a target naming the new setting; the sky gets "a sunset sky". */
function newSetting(target: readonly string[], objectHead: string): Draft {
  if (objectHead === 'sky') {
    const words = target.filter((w) => !/^(a|an|the|some)$/.test(w));
    const sky = words.length === 0 ? null : words.includes('sky') ? words.join(' ') : `${words.join(' ')} sky`;
    return background(sky, 0.85, true);
  }
  if (target.length === 0) return background(null, 0.7);
  if (target.every((w) => isAdjective(w, true))) return background(`against a ${target.join(' ')} background`, 0.85);
  return background(target.filter((w) => !settingNouns.has(w)).join(' ') || null, 0.85);
}

/**
 * make / turn / change / convert / paint … and replace / swap …. "Less" is read past like "more" to find what
 * changes, then said again, so the caption drops the quality instead of adding it ("make the car less shiny").
 */
export function changeEdit(list: readonly string[], verb: string): Draft {
  const draft = readChange(list, verb);
  const less = list.findIndex((w, i) => i > 0 && (w === 'less' || w === 'fewer'));
  if (less < 0 || replaceVerbs.has(verb)) return draft;
  const said = list[less + 1] ?? '';
  if (draft.type === 'local' && draft.attribute?.startsWith(said) && said !== '') return { ...draft, attribute: `${list[less]} ${draft.attribute}` };
  if (draft.type === 'global' && draft.cue?.kind === 'phrase' && draft.cue.phrase.startsWith(said) && said !== '') return { ...draft, cue: { kind: 'phrase', phrase: `${list[less]} ${draft.cue.phrase}` } };
  return draft;
}

function readChange(list: readonly string[], verb: string): Draft {
  // "have her walk on water", "make him stand in the rain": a person moved to a place.
  if ((verb === 'make' || verb === 'have' || verb === 'let') && (pronounAt(list, 1) || personNouns.has(list[1]))) {
    const posture = postureOf(list[2]);
    if (posture) return background([posture, ...list.slice(3)].join(' '), 0.85);
  }
  if ((verb === 'make' || verb === 'have' || verb === 'let') && /^(the|this|that|his|her|their|my)$/.test(list[1] ?? '')) {
    // "let the cyclist ride through a forest", "have the man stand in the rain on a bridge".
    const subject = readNounPhrase(list.slice(0, list.findIndex((w, i) => i > 1 && postureOf(w) !== null)), 1);
    const at = list.findIndex((w, i) => i > 1 && postureOf(w) !== null);
    if (at > 0 && subject.object && /^(on|in|at|through|across|over|under|into|along)$/.test(list[at + 1] ?? '')) return background([postureOf(list[at]) ?? '', ...list.slice(at + 1)].join(' '), 0.75);
  }
  if (verb === 'have' && /^(a|an|some)$/.test(list[1] ?? '')) return additionFrom(list, 1);
  const { np, target, nounTarget } = replaceVerbs.has(verb) ? replaceTarget(list) : splitTarget(list, 1, verb);
  // "make him wear a hat", "have her hold an umbrella": something new on the person.
  if (/^(wear|wearing|hold|holding|carry|carrying|have)$/.test(target[0] ?? '') && target.length > 1) {
    return additionFrom(target, 1, 'add');
  }
  if (verb === 'dress' && target.length > 0) {
    return { type: 'local', confidence: 0.8, object: 'clothes', selector: null, replacement: readNounPhrase(target, 0).object ?? target.join(' ') };
  }
  const head = np.object ? headOf(np.object) : null;
  const imageLike = np.pronoun || (np.object === null && np.selector === null) || (head !== null && imageNouns.has(head));
  if (head !== null && settingNouns.has(head)) return newSetting(target, head);
  // "swap the city for a forest", "turn the garden into a desert": one scene for another.
  const sceneTarget = target.length > 0 && !target.every((w) => isAdjective(w, true));
  const targetHead = sceneTarget ? headOf(readNounPhrase(target, 0).object ?? '') : '';
  const behindSubject = /^(him|her|them|it)$/.test(list[list.indexOf('behind') + 1] ?? '') && list.includes('behind');
  if (sceneTarget && ((head !== null && (isScene(head) || head === 'scene') && (namesScene(target) || nounTarget)) || (head !== null && sceneNouns.has(targetHead) && !/^(bridge|dock|pier|stage|waterfall|castle|moon|snow|cave)$/.test(targetHead)) || behindSubject)) {
    return background(target.filter((w) => !/^(a|an)$/.test(w)).join(' '), 0.8);
  }
  if (target.some((w) => gone.has(w))) return removal(np.object, np.selector, 0.8, np.pronoun);
  const cue = findGlobalCue(target);
  if (cue && imageLike) return globalEdit(cue, 0.85);
  // "turn it into a fresco", "make it look like gouache", "make it hail": a medium, style or weather the lists
  // lack but WordNet knows; a little less sure than a listed word.
  const known = cue || !imageLike || !sceneTarget ? null : wordnetCue(targetHead);
  if (known) return globalEdit(known, 0.75);
  if (imageLike && head !== null && target.length > 0) return globalEdit({ kind: 'phrase', phrase: target.join(' ') }, 0.6);
  const expression = target.find((w) => Object.hasOwn(expressions, w));
  const person = np.pronoun || (head !== null && personNouns.has(head));
  if (expression && target.length <= 3) {
    return { type: 'local', confidence: 0.85, object: person ? 'face' : np.object, selector: np.selector, attribute: expressions[expression] };
  }
  // "make it look like a postcard", "make it less dark": the picture itself changes.
  const looksLike = /^(look|looks|seem|appear|feel)$/.test(list[2] ?? '') || (list[2] === 'less' && target.every((w) => isAdjective(w, true)));
  if (np.pronoun && picturePronouns.test(list[1] ?? '') && looksLike && target.length > 0 && !expression) return globalEdit({ kind: 'phrase', phrase: target.join(' ') }, 0.6);
  const base: Draft = { type: 'local', confidence: 0.9, object: np.object, selector: np.selector, pronoun: np.pronoun };
  if (target.length === 0) return { ...base, confidence: 0.5 };
  if (cue) return { ...base, confidence: 0.6, attribute: target.join(' ') };
  if (nounTarget || (replaceVerbs.has(verb) && !target.every((w) => isAdjective(w, true)))) {
    const replacement = readNounPhrase(target, 0, { keepCount: true }).object;
    if (replacement && head !== null && madeOf(head, replacement, list)) return { ...base, confidence: 0.8, attribute: replacement };
    if (replacement) return { ...base, replacement };
  }
  const attribute = target.filter((w) => w !== 'and' || target.length > 1).join(' ');
  return { ...base, confidence: target.some((w) => colours.has(w) || isAdjective(w, true)) ? 0.9 : 0.75, attribute };
}

/**
 * "turn the sofa into velvet", "turn the table into granite": a made thing (a WordNet artifact) turned into a material
 * WordNet knows keeps its shape and changes what it is made of, so the material describes it. Not with an article
 * ("into a marble" is the toy) and not for natural things ("turn the grass into sand" replaces the grass).
 */
function madeOf(head: string, replacement: string, list: readonly string[]): boolean {
  const material = headOf(replacement);
  if (replacement.split(' ').length > 2 || list.some((w, i) => /^(a|an)$/.test(w) && list[i + 1] === replacement.split(' ')[0])) return false;
  // A made thing among its first two senses: "table" is first a table of figures, then the furniture.
  return unlistedKind(material) === 'material' && nounSenses(head).slice(0, 2).some((sense) => sense.file === 'artifact');
}

/** replace X with Y, swap X for Y, substitute X by Y. */
function replaceTarget(list: readonly string[]): { np: NounPhrase; target: string[]; nounTarget: boolean } {
  const np: NounPhrase = pronounAt(list, 1) ? { object: null, selector: null, end: 2, pronoun: true } : readNounPhrase(list, 1);
  const rest = list.slice(np.end);
  const sep = rest.findIndex((w) => /^(with|by|for|to|into)$/.test(w));
  const target = sep >= 0 ? rest.slice(sep + 1).filter((w) => w !== ',' && w !== 'please') : [];
  return { np, target, nounTarget: true };
}

/** add / insert / put / place … X (on|to|in Y). */
export function additionFrom(list: readonly string[], at: number, verb = 'add'): Draft {
  const start = list[at] === 'on' || list[at] === 'in' ? at + 1 : at; // "put on a hat", "put in a tree"
  const np = pronounAt(list, start) ? { object: null, selector: null, end: start + 1, pronoun: true } : readNounPhrase(list, start, { keepCount: true });
  let end = np.end;
  if (/^(look|feel|vibe)$/.test(list[end] ?? '') && np.object) return globalEdit(findGlobalCue(np.object.split(' ')) ?? { kind: 'phrase', phrase: `with a ${np.object} ${list[end]}` }, 0.7);
  while (list[end] === ',' || list[end] === 'too' || list[end] === 'also') end++;
  const preposition = list[end];
  const located = preposition !== undefined && /^(on|onto|to|in|into|at|near|next|behind|beside|under|over|above|below|around|inside|between|by)$/.test(preposition);
  const location = located ? list.slice(end).filter((w) => w !== ',' && w !== 'please').join(' ') : null;
  const anchorAt = preposition === 'next' ? end + 2 : end + 1;
  const anchorPhrase = located ? (pronounAt(list, anchorAt) ? list[anchorAt] : readNounPhrase(list, anchorAt).object) : null;
  const moving = /^(put|place|set|drop|plant|move|position|relocate)$/.test(verb);
  // "put the dog in the snow": an existing thing ("the", "her") moved somewhere is a new setting, not an addition.
  const existing = /^(the|this|that|his|her|its|their|my)$/.test(list[start] ?? '');
  const person = np.pronoun || (np.object !== null && (personNouns.has(headOf(np.object)) || (moving && existing)));
  const weatherLike = located && !namesScene(list.slice(end)) ? findGlobalCue(list.slice(end)) : null;
  if (moving && (person || np.pronoun) && weatherLike?.kind === 'phrase') return globalEdit(weatherLike, 0.65); // "put her in the rain"
  if (moving && person && located && !/^(to)$/.test(preposition ?? '')) return background(list.slice(end).join(' '), 0.85);
  if (moving && person && located) return background(list.slice(end).join(' '), 0.75);
  if (np.object && settingNouns.has(headOf(np.object))) {
    const setting = np.object.split(' ').filter((w) => !settingNouns.has(w)).join(' ');
    return headOf(np.object) === 'sky' ? background(setting ? `${setting} sky` : null, 0.75, true) : background(setting || null, 0.8);
  }
  const anchorHead = anchorPhrase ? headOf(anchorPhrase) : null;
  const onImage = anchorHead === null || imageNouns.has(anchorHead) || anchorHead === 'it';
  // "add some fog", "add a vintage look": an effect; "add a winter hat", "a misty mountain": a thing described.
  const objectHead = np.object ? headOf(np.object) : null;
  const effectHead = objectHead !== null && (effectNouns.has(objectHead) || findGlobalCue([objectHead])?.kind === 'phrase' || /^(look|vibe|feel|style|mood|tone|grade|atmosphere|glow|sheen)$/.test(objectHead));
  const effect = np.object !== null && onImage && effectHead ? findGlobalCue(np.object.split(' ')) : null;
  if (effect) return globalEdit(effect, 0.75);
  // "add some drizzle", "add a blizzard": weather the lists lack but WordNet knows covers the whole picture.
  const weatherCue = objectHead !== null && onImage && !effectHead ? wordnetCue(objectHead) : null;
  if (weatherCue?.kind === 'phrase') return globalEdit(weatherCue, 0.7);
  if (np.object && onImage && effectHead) {
    return globalEdit({ kind: 'phrase', phrase: `with ${np.object.replace(/\b(look|vibe)$/, 'style')}` }, 0.7);
  }
  if (np.object === null) return { ...addition(null, 0.4), pronoun: np.pronoun };
  return addition(np.object, 0.9, anchorPhrase, location);
}

/** give him a hat (addition), give her red hair (local), give it a vintage look (global). */
export function giveEdit(list: readonly string[]): Draft {
  let recipient = pronounAt(list, 1) || standalonePronouns.has(list[1]) ? { object: list[1], end: 2 } : readNounPhrase(list, 1);
  if (recipient.end >= list.length && list.length > 3) {
    // "give the cat blue eyes": no determiner between the two phrases, so the first noun is the recipient.
    const at = /^(the|his|her|its|their|my)$/.test(list[1]) ? 2 : 1;
    recipient = { object: list[at], end: at + 1 };
  }
  const thingAt = recipient.end;
  const recipientWord = recipient.object ? headOf(recipient.object) : null;
  if ((recipientWord === null || picturePronouns.test(recipientWord) || imageNouns.has(recipientWord)) && list.slice(thingAt).some((w) => /^(look|feel|vibe|tone|mood|atmosphere|grade|finish|filter|effect)$/.test(w))) {
    return globalEdit(findGlobalCue(list.slice(thingAt)) ?? { kind: 'phrase', phrase: `with ${list.slice(thingAt).join(' ')}` }, 0.7);
  }
  const thing = readNounPhrase(list, thingAt, { keepCount: true });
  if (!thing.object) return addition(null, 0.4);
  const words = thing.object.split(' ');
  const cue = findGlobalCue(words);
  const recipientHead = recipient.object ? headOf(recipient.object) : null;
  const toPicture = recipientHead === null || picturePronouns.test(recipientHead) || imageNouns.has(recipientHead);
  if (cue && toPicture) return globalEdit(cue, 0.8);
  // "give it a warm tone", "give the photo the look of an old polaroid": an effect on the whole picture.
  if (toPicture && /^(look|vibe|feel|style|mood|tone|grade|atmosphere|glow|sheen|finish|effect|filter|tint|makeover)$/.test(headOf(thing.object).replace(/s$/, ''))) {
    return globalEdit(findGlobalCue(list.slice(thingAt)) ?? { kind: 'phrase', phrase: `with ${thing.object}` }, 0.7);
  }
  // "give the car racing stripes": a pattern on something that is there.
  if (!toPicture && /^(stripes|stripe|pattern|print|dots|spots|decals|coat|finish|paint)$/.test(headOf(thing.object))) {
    return { type: 'local', confidence: 0.75, object: recipient.object, selector: null, attribute: thing.object };
  }
  const bodyPart = /^(hair|eyes|eye|lips|skin|nails|fur|cheeks|nose|ears)$/.test(headOf(thing.object));
  if (bodyPart && words.length > 1 && !/^(a|an)$/.test(list[thingAt]) && isAdjective(words[0], true)) {
    const person = recipientHead !== null && (personNouns.has(recipientHead) || standalonePronouns.has(recipientHead));
    return { type: 'local', confidence: person || recipientHead === null ? 0.8 : 0.75, object: headOf(thing.object), selector: null, attribute: words.slice(0, -1).join(' ') };
  }
  const anchor = recipientHead === 'it' ? null : recipient.object;
  return addition(thing.object, 0.9, anchor, null);
}
