/**
 * Follow-ups that are not edits: history, seeds, parameters, the caption, the mask, and choosing among matches.
 * Each reader returns null when the words are not its kind, so the caller tries them in order and falls back to
 * reading an edit.
 */
import type { EditParams } from '../../session/params.ts';
import { parseSelector } from '../../vision/detections.ts';
import type { Turn, TurnContext } from '../instruction.ts';
import { additionVerbs, backgroundVerbs, localVerbs, removalVerbs, selectorWords } from './lexicon.ts';
import { readNounPhrase } from './phrase.ts';
import { indexOfPhrase } from './text.ts';

/** A caption given in quotes or after "caption:", read from the raw text so its case and words survive. */
export function readCaption(raw: string): Turn | null {
  const text = raw.trim().replace(/[\u201C\u201D]/g, '"').replace(/[\u2018\u2019]/g, "'");
  const quoted = /(["'])(.+?)\1/.exec(text);
  const mentions = /\b(caption|prompt|description|describe)\b/i.test(text);
  if (quoted && mentions) return { kind: 'caption', text: quoted[2].trim() };
  const plain =
    /^(?:(?:set|change|make|update)\s+the\s+(?:caption|prompt)\s+(?:to|into)|(?:the\s+|my\s+)?(?:caption|prompt)\s*(?:[:=]|should\s+(?:be|say|read)|(?:is|says|reads)\b))\s*(.+)$/i.exec(text);
  if (plain) return { kind: 'caption', text: plain[1].trim().replace(/[.]$/, '') };
  return null;
}

const words = (list: readonly string[]): string => list.join(' ');

/** undo / redo / version N / "go back to the original". */
export function readHistory(list: readonly string[]): Turn | null {
  const text = words(list);
  const version = /\b(?:version|ver|v)\s*#?\s*(\d+)\b|\bv(\d+)\b/.exec(text);
  if (version && !/\b(steps?|seed|samples?)\b/.test(text)) return { kind: 'version', number: Number(version[1] ?? version[2]) };
  if (/\b(original|first version|very first|start over|starting point)\b/.test(text) && /\b(back|revert|restore|return|show|original|start)\b/.test(text)) return { kind: 'version', number: 1 };
  if (/^(undo the undo|redo|redo that|redo it|bring it back|go forward|step forward|ctrl y|ctrl-y|cmd shift z)\b/.test(text) && list.length <= 5) return { kind: 'redo' };
  const short = list.length <= 5;
  if (short && /^(undo|revert|rollback|roll back|go back|step back|take that back|take it back|scratch that|ctrl z|ctrl-z|cmd z|back|oops|never ?mind|that is worse|previous|i liked it better before)\b/.test(text)) {
    return { kind: 'undo' };
  }
  return null;
}

/** "another seed", "try again", "reroll", "a different result". */
export function readReseed(list: readonly string[]): Turn | null {
  const text = words(list);
  if (list.length > 7) return null;
  const patterns = [
    /^(try (it |that )?again|again|one more time|once more|re-?roll|roll again|regenerate|retry|shuffle|redo it differently)\b/,
    /\b(another|new|different|random|other) (seed|try|attempt|variation|variant|result|take|go|roll|sample|outcome)\b/,
    /^(give me |show me |make |generate |try |(can|could|may) (i|we|you) (get|have|see|make|try|give me) |i (want|would like|need) |let us (see|try) )?(another|a different|a new)( one| version| option| result| picture| take)?( please)?$/,
    /^not quite , try again$/,
  ];
  return patterns.some((p) => p.test(text)) ? { kind: 'reseed' } : null;
}

/** seed 42, 40 steps, guidance 9, strength 0.8, 3 samples, blend off. */
export function readParams(list: readonly string[]): Turn | null {
  const text = words(list);
  const update: Partial<EditParams> = {};
  const seed = /\bseed (?:to |of |= )?(\d+)\b/.exec(text);
  if (seed) update.seed = Number(seed[1]);
  const steps = /\b(\d+) (?:steps|denoising steps)\b|\bsteps (?:to )?(\d+)\b/.exec(text);
  if (steps) update.steps = Number(steps[1] ?? steps[2]);
  const guidance = /\b(?:guidance|cfg)(?: scale)? (?:to |of )?(\d+(?:\.\d+)?)\b/.exec(text);
  if (guidance) update.guidance = Number(guidance[1]);
  const strength = /\bstrength (?:to |of )?(\d+(?:\.\d+)?)\b/.exec(text);
  if (strength) update.strength = Number(strength[1]);
  // The words are lemmatised ("2 versions" reads "2 version"): singular and plural alike.
  const samples = /\b(\d+) (?:(?:different|more|new) )?(?:samples?|variations?|variants?|options?|versions?|results?|pictures?|images?|takes?)\b|\bsamples? (?:to )?(\d+)\b/.exec(text);
  if (samples) update.samples = Number(samples[1] ?? samples[2]);
  const blending = '(?:blending|blend|the blend|pixel blending)';
  if (new RegExp(`\\b(blend (on|it)|(turn|switch) on ${blending}|(turn|switch) ${blending} on|enable ${blending}|with blending|${blending} on)\\b`).test(text)) update.blend = true;
  if (new RegExp(`\\b(blend off|no blending|without blending|(turn|switch) off ${blending}|(turn|switch) ${blending} off|disable ${blending}|do not blend|${blending} off)\\b`).test(text)) update.blend = false;
  return Object.keys(update).length > 0 ? { kind: 'params', update } : null;
}

const grow = /^(bigger|larger|wider|grow|expand|enlarge|dilate|increase|looser|loosen|extend|widen|more)$/;
const shrink = /^(smaller|shrink|tighter|tighten|erode|reduce|contract|decrease|narrower|thinner|less)$/;
const maskWords = /^(mask|selection|area|region|masked|outline|it|that|this|the|a|an|make|bit|little|tiny|tad|touch|smidge|slightly|much|lot|way|far|more|by|px|pixels?|even|again|some|is|too|go|should|be|can|you|please|,|mask's|a-bit|abit|lil|just|very|really|significantly|considerably|plenty|heaps|somewhat|quite|only|further|to|selected|it's)$/;
const explicitMask = /\b(mask|selection|area|region|outline|masked|selected)\b/;
const small = /\b(a bit|a little|slightly|a tad|a touch|a smidge|a tiny bit|a little bit|somewhat|lil|abit|a-bit)\b/;
const large = /\b(much|a lot|way|far|lots|significantly|considerably|plenty|heaps|very|really|massively|a ton)\b/;

/** "bigger", "make the mask a bit bigger", "much smaller", "grow it by 30 px", "the mask is too small". */
export function readMask(list: readonly string[], context: TurnContext): Turn | null {
  const text = words(list);
  const sizeAt = list.findIndex((w) => grow.test(w) || shrink.test(w) || /^(small|big|large|tight|loose)$/.test(w));
  if (sizeAt < 0) return null;
  const rest = list.filter((w, i) => i !== sizeAt && !/^\d+(px)?$/.test(w));
  if (!rest.every((w) => maskWords.test(w))) return null;
  if (!explicitMask.test(text) && !context.hasMask) return null;
  const word = list[sizeAt];
  if (word === 'more' || word === 'less') return null;
  const tooSmall = /^(small|tight)$/.test(word);
  const tooBig = /^(big|large|loose)$/.test(word);
  if ((tooSmall || tooBig) && !list.includes('too')) return null;
  const op: 'grow' | 'shrink' = grow.test(word) || tooSmall ? 'grow' : 'shrink';
  const number = /\b(\d+)\s*(?:px|pixels?)?\b/.exec(text);
  const px = number ? Number(number[1]) : small.test(text) ? 6 : large.test(text) ? 24 : 12;
  return px > 0 ? { kind: 'mask', op, px } : null;
}

const editVerbs = new Set([...removalVerbs, ...additionVerbs, ...localVerbs, ...backgroundVerbs]);
const toMask = /\b(to|in|into|from|out of|off) (the )?(mask|selection|masked area|selected area)\b/;

/** "also the collar", "include the leash too", "not the tail", "leave the head out", "except the collar". */
export function readMaskChange(list: readonly string[]): Turn | null {
  const text = words(list);
  const object = (at: number): string | null => readNounPhrase(list, at).object;
  // subtract
  const subtractAt = [
    ['but', 'not'], ['not'], ['except', 'for'], ['except'], ['excluding'], ['exclude'], ['minus'], ['leave', 'out'], ['deselect'], ['unselect'], ['unmask'],
    ['do', 'not', 'touch'], ['do', 'not', 'include'], ['do', 'not', 'mask'], ['do', 'not', 'change'], ['do', 'not', 'remove'], ['do', 'not', 'select'], ['do', 'not', 'edit'],
  ].find((p) => indexOfPhrase(list, p) === 0);
  if (subtractAt) {
    const thing = object(subtractAt.length);
    if (thing) return { kind: 'mask-subtract', object: thing };
  }
  if (/^(leave|keep)$/.test(list[0]) && /\b(out|alone|untouched|as is|unchanged|unmasked|intact|as it is)$/.test(text)) {
    const thing = object(1);
    if (thing) return { kind: 'mask-subtract', object: thing };
  }
  if (/^(remove|take|cut|subtract)$/.test(list[0]) && /\b(from|out of|off) (the )?(mask|selection)\b/.test(text)) {
    const thing = object(1);
    if (thing) return { kind: 'mask-subtract', object: thing };
  }
  // add
  const tail = /\b(too|as well|also)$/.test(text);
  const lead = [['also'], ['and'], ['plus'], ['as', 'well', 'as'], ['along', 'with'], ['together', 'with']].find((p) => indexOfPhrase(list, p) === 0);
  const definite = (at: number) => !/^(a|an|some|new|another)$/.test(list[at] ?? '');
  if (lead && !editVerbs.has(list[lead.length]) && definite(lead.length)) {
    const thing = object(lead.length);
    if (thing) return { kind: 'mask-add', object: thing };
  }
  const verbAdd = /^(include|add|select|mask|grab|cover|get|take|extend)$/.test(list[0] ?? '');
  if (verbAdd && definite(1) && (tail || toMask.test(text) || list[0] === 'include')) {
    const at = list[0] === 'extend' ? list.findIndex((w) => w === 'cover' || w === 'include') + 1 : 1;
    const thing = at > 0 ? object(at) : null;
    if (thing && !/^(mask|selection)$/.test(thing)) return { kind: 'mask-add', object: thing };
  }
  if (tail && !editVerbs.has(list[0]) && definite(0) && !/^(make|turn|change)$/.test(list[0])) {
    const thing = object(0);
    if (thing) return { kind: 'mask-add', object: thing };
  }
  return null;
}

const pickVerbs = [['only'], ['select'], ['pick'], ['choose'], ['use'], ['take'], ['go', 'with'], ['i', 'meant'], ['i', 'mean'], ['no'], ['just'], ['keep', 'only'], ['mask'], ['try']];

/** "only the left one", "the other one", "both of them", "the second one", "2". */
export function readSelect(list: readonly string[]): Turn | null {
  const lead = pickVerbs.find((p) => indexOfPhrase(list, p) === 0);
  const rest = list.slice(lead ? lead.length : 0).filter((w) => w !== ',');
  if (rest.length === 0 || rest.length > 7) return null;
  if (rest.some((w) => editVerbs.has(w))) return null;
  const hasSelectorWord = rest.some((w) => selectorWords.has(w) || /^#?\d+(st|nd|rd|th)?$/.test(w) || w === 'number');
  if (!hasSelectorWord) return null;
  // Only words a person uses to point: selector words, "one/ones/of them", or a noun they name.
  const np = readNounPhrase(rest, 0);
  if (np.end < rest.length && !/^(of|them|ones?|please|instead)$/.test(rest[np.end])) return null;
  const selector = np.selector ?? parseSelector(rest.join(' '));
  return selector ? { kind: 'select', selector } : null;
}
