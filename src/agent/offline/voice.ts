/**
 * Voice and mood: instructions said as a wish or in the passive are turned into the plain command the rules
 * read, using the parts of speech and verb lemmas of the language library (language.ts).
 *   "the lamp should be taken away"      → "take away the lamp"
 *   "a boat is to be added to the lake"  → "add a boat to the lake"
 *   "can the tattoo be erased"           → "erase the tattoo"
 *   "I want the street lamp removed"     → "remove the street lamp"
 *   "have the car painted red"           → "paint the car red"
 *   "let the tourists be removed"        → "remove the tourists"
 *   "the umbrella has to go"             → "remove the umbrella"
 *   "eliminating the people"             → "eliminate the people"
 * Anything else comes back unchanged.
 */
import { language } from './language.ts';

const modals = /^(should|must|shall|will|would|could|can|might|may|needs|need|has|have|is|are|was|were|ought|gotta)$/;
const particles = /^(away|out|off|down|up|in)$/;
const subjects = /^(the|a|an|this|that|these|those|his|her|its|their|my|our|your|some|all|every|two|three)$/;
const wishes = [['i', 'want'], ['i', 'would', 'like'], ["i'd", 'like'], ['i', 'need'], ['we', 'want'], ['i', 'wish'], ['have'], ['get'], ['i', "'d", 'like'], ['i', 'would', 'love'], ["i'd", 'love'], ['i', 'prefer']];

/** A past participle's base verb ("taken" → "take"); null when the word is no participle. */
function participle(word: string | undefined): string | null {
  if (!word || !/^[a-z]+$/.test(word) || word.length < 3) return null;
  if (!/(ed|en|wn|ne|de|lt|pt|ut|ft|ck|ld|id|ht)$/.test(word)) return null;
  const base = language().infinitive(word);
  return base && base !== word && base !== 'go' ? base : null;
}

/** Where the noun phrase starting at `from` ends, by the words that cannot be in it. */
function phraseEnd(list: readonly string[], from: number): number {
  let i = from;
  while (i < list.length && !modals.test(list[i]) && list[i] !== 'be' && list[i] !== ',' && !(i > from && participle(list[i]) && !subjects.test(list[i]))) i++;
  return i;
}

/** "<subject> should/must/is to/has to (be|get) <participle> [particle] <rest>" → "<verb> [particle] <subject> <rest>". */
function passive(list: readonly string[]): string[] | null {
  const start = list[0] === 'let' ? 1 : 0;
  if (!subjects.test(list[start] ?? '') && list[0] !== 'let') return null;
  const end = phraseEnd(list, start);
  if (end === start || end >= list.length) return null;
  let i = end;
  while (i < list.length && (modals.test(list[i]) || list[i] === 'to' || list[i] === 'not' || list[i] === 'no' || list[i] === 'longer')) i++;
  if (list[i] !== 'be' && list[i] !== 'get' && list[i] !== 'been') {
    // "the umbrella has to go", "the fence needs to go": the thing goes away.
    if (i > end && /^(go|disappear|vanish|leave)$/.test(list[i] ?? '') && i === list.length - 1) return ['remove', ...list.slice(start, end)];
    return null;
  }
  const verb = participle(list[i + 1]);
  if (!verb) return null;
  const particle = particles.test(list[i + 2] ?? '') ? [list[i + 2]] : [];
  return [verb, ...particle, ...list.slice(start, end), ...list.slice(i + 2 + particle.length)];
}

/** "can/could the tattoo be erased" → "erase the tattoo". */
function question(list: readonly string[]): string[] | null {
  if (!/^(can|could|should|will|would)$/.test(list[0] ?? '') || !subjects.test(list[1] ?? '')) return null;
  const be = list.indexOf('be', 2);
  const verb = be > 1 ? participle(list[be + 1]) : null;
  if (!verb) return null;
  const particle = particles.test(list[be + 2] ?? '') ? [list[be + 2]] : [];
  return [verb, ...particle, ...list.slice(1, be), ...list.slice(be + 2 + particle.length)];
}

/** "I want / I'd like / have / get the car removed (from …)" → "remove the car (from …)". */
function wish(list: readonly string[]): string[] | null {
  for (const lead of wishes) {
    if (!lead.every((w, k) => list[k] === w)) continue;
    const start = lead.length;
    if (!subjects.test(list[start] ?? '') || /^(a|an|some|two|three)$/.test(list[start])) return null;
    for (let i = start + 1; i < list.length; i++) {
      if (/^(to|be|,|with|on|in|at|from)$/.test(list[i])) return null;
      const verb = participle(list[i]);
      if (!verb) continue;
      const particle = particles.test(list[i + 1] ?? '') ? [list[i + 1]] : [];
      return [verb, ...particle, ...list.slice(start, i), ...list.slice(i + 1 + particle.length)];
    }
    return null;
  }
  return null;
}

/** The instruction as a command, when it was said in the passive or as a wish; the tokens unchanged otherwise. */
export function asCommand(list: readonly string[]): string[] {
  const rewritten = question(list) ?? wish(list) ?? passive(list);
  if (rewritten) return rewritten;
  // A gerund or past form in the verb slot: "eliminating the people", "added a hat".
  const first = list[0];
  if (first && /(ing|ed)$/.test(first) && list.length > 1) {
    const base = language().infinitive(first);
    if (base && base !== first && language().isVerb(base)) return [base, ...list.slice(1)];
  }
  return [...list];
}
