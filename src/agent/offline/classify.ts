/**
 * Classification: which of BrushEdit's five edits the words ask for, and the object, as a Draft.
 *
 * Precedence is explicit and ordered. A leading verb decides the family (remove / add / make / move …), and the
 * object or target may redirect it (see change.ts). Without a verb, cues are tried in this order:
 * removal ("without the lamp", "no hat", "the lamp gone") > background ("background", a place after "on/in")
 * > global (style, season, time, weather, tone) > addition ("with a hat", "a hat") > local ("red").
 * Anything decided by a later, weaker cue gets confidence below 0.7; nothing matched gives the fallback (0.2).
 */
import { additionFrom, changeEdit, giveEdit, pronounAt } from './change.ts';
import { findGlobalCue, isAdjective, lemma, postureOf, unlistedKind, wordnetCue } from './cues.ts';
import { background, fallback, globalEdit, removal, type Draft } from './draft.ts';
import { additionVerbs, backgroundVerbs, expressions, imageNouns, localVerbs, onSettings, personNouns, removalVerbs, settingNouns } from './lexicon.ts';

const places = /^(forest|desert|city|jungle|ocean|mountains?|space|park|garden|countryside|village|island|underwater|lake|river|paris|london|tokyo|new york)$/;
import { headOf, readNounPhrase } from './phrase.ts';
import { qualityComplaint, qualityEdit } from './quality.ts';
import { correctTypos, indexOfPhrase, normalise, splitCompounds, stripFillers, tokens } from './text.ts';
import { asCommand } from './voice.ts';
import { wishEdit } from './wishes.ts';

export interface Prepared {
  list: string[];
  corrected: number;
}

const verbsAfterAlso = new Set([...removalVerbs, ...additionVerbs, ...localVerbs, ...backgroundVerbs, 'get', 'take', 'give', 'have']);

/** Normalise, drop politeness, fix typos, and read "adding" as "add" and "the car's color" as "the color of the car". */
export function prepare(text: string): Prepared {
  let list = stripFillers(tokens(normalise(text)));
  if (list[0] === 'also' && list.length > 1 && verbsAfterAlso.has(lemma(list[1]))) list = list.slice(1);
  const { tokens: fixed, corrected } = correctTypos(splitCompounds(list));
  list = asCommand(fixed);
  if (list.length > 0) list[0] = lemma(list[0]);
  const colour = list.findIndex((w, i) => /^colou?rs?$/.test(w) && /'s$/.test(list[i - 1] ?? ''));
  if (colour > 0) list.splice(colour - 1, 2, 'color', 'of', list[colour - 1].slice(0, -2));
  // "change the color of the car to red": the colour is the attribute, the car the object.
  const colourOf = list.findIndex((w, i) => /^colou?rs?$/.test(w) && list[i + 1] === 'of');
  if (colourOf > 0) list.splice(colourOf, 2);
  return { list, corrected };
}

const removalPhrases = [
  ['get', 'rid', 'of'], ['do', 'away', 'with'], ['take', 'out'], ['take', 'away'], ['take', 'off'], ['clean', 'up'], ['clean', 'out'], ['wipe', 'out'],
  ['wipe', 'away'], ['wipe', 'off'], ['cut', 'out'], ['crop', 'out'], ['clear', 'away'], ['clear', 'out'], ['clear', 'off'], ['throw', 'away'],
  ['throw', 'out'], ['edit', 'out'], ['tear', 'down'], ['peel', 'off'], ['scrub', 'out'], ['scrub', 'off'], ['strip', 'off'], ['paint', 'out'], ['get', 'out'], ['take', 'down'], ['pull', 'out'], ['cut', 'off'], ['chop', 'off'],
];
const particles = /^(out|away|off|down)$/;

/** "remove X": removal, unless X is the background (then a plain background replaces it). */
function removalFrom(list: readonly string[], at: number): Draft {
  if (pronounAt(list, at)) return removal(null, null, 0.85, true);
  const np = readNounPhrase(list, at);
  if (np.object && settingNouns.has(headOf(np.object)) && headOf(np.object) !== 'sky') return background('on a plain white background', 0.75);
  if (np.object === null) return removal(null, np.selector, np.pronoun || np.selector ? 0.85 : 0.6, np.pronoun);
  return removal(np.object, np.selector, 0.9);
}

/** A person taken somewhere: "move him to paris", "send her into space". */
function moveEdit(list: readonly string[]): Draft {
  const np = pronounAt(list, 1) ? { object: list[1], end: 2 } : readNounPhrase(list, 1);
  const rest = list.slice(np.end);
  if (!/^(to|into|onto|on|in|at|under|inside)$/.test(rest[0] ?? '')) return { type: 'local', confidence: 0.4, object: np.object, selector: null };
  const spatialOnly = rest.every((w) => /^(to|the|left|right|top|bottom|side|corner|a|bit|up|down|middle|center|centre)$/.test(w));
  if (spatialOnly) return { type: 'local', confidence: 0.4, object: np.object, selector: null };
  const person = np.object !== null && (personNouns.has(headOf(np.object)) || pronounAt(list, 1));
  return background(rest.join(' '), person ? 0.85 : 0.7);
}

/** Rules led by the first word. Null when the first word is not a verb we know. */
function verbLed(list: readonly string[]): Draft | null {
  const verb = list[0];
  const quality = qualityEdit(list);
  if (quality) return globalEdit(quality.cue, quality.confidence);
  for (const phrase of removalPhrases) if (indexOfPhrase(list, phrase) === 0) return removalFrom(list, phrase.length);
  if (/^(take|get|cut|crop|edit|throw|clean|wipe|paint|clear|pull|pop|scrub|tear|peel|strip|rub)$/.test(verb)) {
    const np = readNounPhrase(list, 1);
    if (particles.test(list[np.end] ?? '') && np.object) return removal(np.object, np.selector, 0.85);
  }
  if (removalVerbs.has(verb)) return removalFrom(list, 1);
  if (/^(open|close|shut)$/.test(verb)) {
    const np = readNounPhrase(list, 1);
    return { type: 'local', confidence: 0.8, object: np.object, selector: np.selector, attribute: verb === 'open' ? 'open' : 'closed' };
  }
  if (verb === 'give') return giveEdit(list);
  if (additionVerbs.has(verb)) return additionFrom(list, 1, verb);
  if (verb === 'paint' && /^(a|an|some)$/.test(list[1] ?? '')) return additionFrom(list, 1, verb);
  if (backgroundVerbs.has(verb) || verb === 'take') return moveEdit(list);
  if (verb === 'set' && /^(it|him|her|them|this|the|everything)$/.test(list[1] ?? '')) {
    const cue = findGlobalCue(list);
    return cue ? globalEdit(cue, 0.8) : moveEdit(list);
  }
  if (localVerbs.has(verb) || verb === 'have' || verb === 'let' || verb === 'get') {
    if (verb === 'get' && !pronounAt(list, 1) && !/^(the|his|her|its|their|my)$/.test(list[1] ?? '')) return null;
    return changeEdit(list, verb === 'get' ? 'make' : verb);
  }
  if (/^(show|render|see|imagine|apply|do|redo|style|reimagine|recreate|transform)$/.test(verb)) {
    const cue = findGlobalCue(list);
    if (cue) return globalEdit(cue, 0.85);
    // "apply a vignette", "reimagine it as a fantasy scene": the whole picture.
    if (verb === 'apply' || (/^(it|this|everything)$/.test(list[1] ?? '') && /^(as|into|like)$/.test(list[2] ?? ''))) {
      return globalEdit({ kind: 'phrase', phrase: list.slice(verb === 'apply' ? 1 : 3).join(' ').replace(/^(a|an) /, 'with a ') }, 0.65);
    }
    // "render it in pointillism", "do it as a woodcut": a medium or style WordNet knows, not a place.
    const art = wordnetCue(list.at(-1));
    if (art && art.kind !== 'phrase' && (/^(it|this|everything)$/.test(list[1] ?? '') || imageNouns.has(list[2] ?? ''))) return globalEdit(art, 0.75);
    const prep = list.findIndex((w, i) => i > 1 && /^(on|in|at|under)$/.test(w));
    if (prep > 0 && (pronounAt(list, 1) || personNouns.has(list[1]) || personNouns.has(list[2] ?? ''))) return background(list.slice(prep).join(' '), 0.7);
  }
  return null;
}

const wants = [['i', 'want'], ['i', 'need'], ['i', 'would', 'like'], ["i'd", 'like'], ['we', 'want'], ['can', 'we', 'have'], ['can', 'i', 'get'], ['can', 'i', 'have'], ['i', 'wish']];

/** Rules for words without a leading verb. */
function cueLed(list: readonly string[]): Draft {
  const complaint = qualityComplaint(list);
  if (complaint) return globalEdit(complaint.cue, complaint.confidence);
  const wish = wishEdit(list);
  if (wish) return wish;
  // removal
  const without = list.indexOf('without');
  if (without >= 0 && list.length > without + 1) return removalFrom(list, without + 1);
  if (list[0] === 'no' && list[1] !== undefined && list[1] !== ',') return removalFrom(list, list[1] === 'more' ? 2 : 1);
  const notWant = indexOfPhrase(list, ['not', 'want']);
  if (notWant >= 0) return removalFrom(list, notWant + 2);
  const goneAt = list.findIndex((w) => /^(gone|disappear|disappears|vanish|vanishes|removed|deleted|erased)$/.test(w));
  if (goneAt > 0) {
    const wantAt = wants.map((p) => (indexOfPhrase(list, p) === 0 ? p.length : -1)).find((n) => n > 0) ?? 0;
    const np = readNounPhrase(list.slice(0, goneAt), wantAt);
    if (np.object) return removal(np.object, np.selector, 0.8);
  }
  // "i want …", "can it be …", "the car should be red": read as "add …" or "make …".
  for (const phrase of wants) {
    if (indexOfPhrase(list, phrase) !== 0) continue;
    const rest = list.slice(phrase.length);
    const restVerb = verbLed(rest);
    if (restVerb) return restVerb;
    if (/^(a|an|some|two|three|more)$/.test(rest[0] ?? '')) return additionFrom(rest, 0);
    if (rest.length > 0) return lowered(changeEdit(['make', ...rest], 'make'), 0.8);
  }
  const should = list.findIndex((w, i) => i > 0 && /^(should|must|needs|need|could|would|can)$/.test(w) && /^(be|to|look|wear|hold|carry|have)$/.test(list[i + 1] ?? ''));
  if (should > 0) {
    const from = /^(can|could)$/.test(list[0]) ? 1 : 0;
    const subject = list.slice(from, Math.min(should, pronounAt(list, from) ? from + 1 : readNounPhrase(list, from).end));
    return lowered(changeEdit(['make', ...subject, ...list.slice(should + 1)], 'make'), 0.8);
  }
  if (/^(can|could)$/.test(list[0]) && list[1] === 'it' && list[2] === 'be') return lowered(changeEdit(['make', 'it', ...list.slice(3)], 'make'), 0.8);
  // background
  const settingAt = list.findIndex((w) => settingNouns.has(w) && w !== 'sky' && w !== 'place');
  if (settingAt >= 0) {
    const setting = list.filter((w, i) => i !== settingAt && !/^(new|different|,|the|to|as|please|change|with|a|an|make|it|background|like|is)$/.test(w));
    return background(setting.length > 0 ? setting.join(' ') : null, 0.7);
  }
  // "a vase on the table": a thing and where it goes, even when the thing is "a painting".
  if (/^(a|an|some|two|three)$/.test(list[0] ?? '')) {
    const np = readNounPhrase(list, 0, { keepCount: true });
    if (np.object && /^(on|in|at|next|near|behind|beside|under|over|above)$/.test(list[np.end] ?? '')) return lowered(additionFrom(list, 0), 0.55);
  }
  const cue = findGlobalCue(list);
  const posture = list.findIndex((w) => postureOf(w) !== null);
  if (posture >= 0 && /^(on|in|at|under|through|across|over)$/.test(list[posture + 1] ?? '') && !cue) {
    return background([postureOf(list[posture]) ?? list[posture], ...list.slice(posture + 1)].join(' '), 0.75);
  }
  // global
  if (cue) return globalEdit(cue, list.length <= 4 ? 0.8 : 0.7);
  if (/^(on|in|at|under|inside|underwater)$/.test(list[0]) && list.length > 1) return background(list.join(' '), 0.65);
  if (list.length <= 2 && (onSettings.has(list.at(-1) ?? '') || places.test(list.at(-1) ?? ''))) return background(list.join(' '), 0.5);
  // One word the lists lack: WordNet says whether it is a place ("fjord"), weather ("drizzle") or a style ("gouache").
  if (list.length === 1 && unlistedKind(list[0]) === 'scene') return background(list[0], 0.5);
  const alone = list.length === 1 ? wordnetCue(list[0]) : null;
  if (alone) return globalEdit(alone, 0.5);
  // addition
  if (list[0] === 'with' && list.length > 1) return lowered(additionFrom(list, 1), 0.7);
  // local
  const expression = list.find((w) => Object.hasOwn(expressions, w));
  if (expression && list.length <= 3) return { type: 'local', confidence: 0.7, object: 'face', selector: null, attribute: expressions[expression] };
  if (list.length > 0 && list.length <= 3 && list.every((w, i) => isAdjective(w, i === list.length - 1) || w === 'more')) {
    return { type: 'local', confidence: 0.5, object: null, selector: null, pronoun: true, attribute: list.filter((w) => w !== 'more').join(' ') };
  }
  // a bare noun phrase names something to add
  if (/^(a|an|some|two|three)$/.test(list[0] ?? '')) {
    const np = readNounPhrase(list, 0, { keepCount: true });
    if (np.object && np.end === list.length) return lowered(additionFrom(list, 0), 0.4);
  }
  return fallback();
}

/** Keep a rule's reading but say it came from a weaker cue. */
function lowered(draft: Draft, cap: number): Draft {
  return { ...draft, confidence: Math.min(draft.confidence, cap) };
}

/** The draft for prepared tokens, typo corrections costing a little confidence. */
export function classifyTokens({ list, corrected }: Prepared): Draft {
  if (list.length === 0) return fallback();
  const draft = verbLed(list) ?? cueLed(list);
  if (draft.fallback) return draft;
  return { ...draft, confidence: Math.max(0.05, Math.round((draft.confidence - 0.05 * corrected) * 100) / 100) };
}

