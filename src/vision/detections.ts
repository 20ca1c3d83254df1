/**
 * Pure maths over detector candidates: BrushEdit's descending box-threshold cascade, non-maximum suppression,
 * and choosing among the boxes the way a person refers to them ("the left one", "both", "the second dog").
 */
import type { Box } from '../contracts.ts';
import { BrushtalkError } from '../errors.ts';
import type { Candidate } from './detector.ts';

/** BrushEdit's box thresholds, tried in this order until at least one box survives. */
export const boxThresholds: readonly number[] = [0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0];

export type Selector = 'all' | 'best' | 'left' | 'right' | 'top' | 'bottom' | 'largest' | 'smallest' | 'other' | { nth: number };

type Scored = Pick<Candidate, 'box' | 'score'>;

/**
 * The first (highest) threshold at which some candidate scores strictly above it, and the candidates that do.
 * Strictly above, as GroundingDINO's `logits.max() > box_threshold`, so the final 0 means "anything at all".
 * Nothing above any threshold gives the last threshold and no detections.
 */
export function cascade<T extends Scored>(candidates: readonly T[], thresholds: readonly number[] = boxThresholds): { threshold: number; detections: T[] } {
  const descending = [...thresholds].sort((a, b) => b - a);
  for (const threshold of descending) {
    const detections = candidates.filter((c) => c.score > threshold);
    if (detections.length > 0) return { threshold, detections };
  }
  return { threshold: descending.at(-1) ?? 0, detections: [] };
}

/** Intersection over union of two boxes; 0 when either is empty. */
export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.w * a.h + b.w * b.h - inter;
  return union <= 0 ? 0 : inter / union;
}

/**
 * Greedy non-maximum suppression: best first, dropping any box that overlaps a kept one by more than the
 * threshold. Detectors emit many near-copies of one object (Grounding DINO has 900 queries); without this,
 * "both dogs" would select two copies of the same dog. Result is sorted by score, best first.
 */
export function nms<T extends Scored>(candidates: readonly T[], iouThreshold = 0.5): T[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const c of sorted) {
    if (kept.every((k) => iou(k.box, c.box) <= iouThreshold)) kept.push(c);
  }
  return kept;
}

const centreX = (b: Box) => b.x + b.w / 2;
const centreY = (b: Box) => b.y + b.h / 2;
const area = (b: Box) => b.w * b.h;

/** Index of the detection with the smallest key (first one on ties). */
function argBest<T>(items: readonly T[], key: (item: T) => number, indices = items.map((_, i) => i)): number {
  return indices.reduce((best, i) => (key(items[i]) < key(items[best]) ? i : best), indices[0]);
}

/**
 * Indices of the detections the selector means. `previouslySelected` is what the last turn chose, for "the other one".
 * Ordinals count left to right (by box centre), as a person counts "the second dog".
 */
export function selectDetections(detections: readonly Scored[], selector: Selector, previouslySelected: readonly number[] = []): number[] {
  const n = detections.length;
  if (n === 0) throw new BrushtalkError('command.bad_arguments', 'There is nothing to choose from: no objects were found.');
  const boxes = detections.map((d) => d.box);
  if (typeof selector === 'object') {
    const nth = selector.nth;
    if (!Number.isInteger(nth) || nth < 1 || nth > n) {
      throw new BrushtalkError('command.bad_arguments', `I found ${n === 1 ? 'only 1 match' : `${n} matches`}, so I can't pick number ${nth}. Choose 1${n > 1 ? `–${n}` : ''}, or say "all".`);
    }
    const leftToRight = boxes.map((_, i) => i).sort((a, b) => centreX(boxes[a]) - centreX(boxes[b]) || a - b);
    return [leftToRight[nth - 1]];
  }
  switch (selector) {
    case 'all':
      return detections.map((_, i) => i);
    case 'best':
      return [argBest(detections, (d) => -d.score)];
    case 'left':
      return [argBest(boxes, centreX)];
    case 'right':
      return [argBest(boxes, (b) => -centreX(b))];
    case 'top':
      return [argBest(boxes, centreY)];
    case 'bottom':
      return [argBest(boxes, (b) => -centreY(b))];
    case 'largest':
      return [argBest(boxes, (b) => -area(b))];
    case 'smallest':
      return [argBest(boxes, area)];
    case 'other':
      return selectOther(detections, previouslySelected);
  }
}

/**
 * "The other one": after one pick, the next best of the rest (with two matches, simply the other); after several
 * picks, all the rest; with no earlier pick, the best after the top one (the top one is what "the dog" meant).
 */
function selectOther(detections: readonly Scored[], previouslySelected: readonly number[]): number[] {
  const n = detections.length;
  if (n === 1) throw new BrushtalkError('command.bad_arguments', 'I found only 1 match, so there is no other one.');
  const previous = new Set(previouslySelected.filter((i) => Number.isInteger(i) && i >= 0 && i < n));
  if (previous.size === 0) previous.add(argBest(detections, (d) => -d.score));
  const rest = detections.map((_, i) => i).filter((i) => !previous.has(i));
  if (rest.length === 0) throw new BrushtalkError('command.bad_arguments', `All ${n} matches are already selected, so there is no other one.`);
  if (previous.size > 1) return rest;
  return [argBest(detections, (d) => -d.score, rest)];
}

// Ordinals only: cardinal words are ambiguous ("the two dogs" means both, not the second).
const ordinals: Record<string, number> = {
  first: 1, second: 2, third: 3, fourth: 4, fifth: 5, sixth: 6, seventh: 7, eighth: 8, ninth: 9, tenth: 10,
};

const keywords: [RegExp, Selector][] = [
  [/^(both|all|every|each)$/, 'all'],
  [/^(best|likeliest|clearest)$/, 'best'],
  [/^(others?|another|remaining|rest)$/, 'other'],
  [/^(left|leftmost|left-most)$/, 'left'],
  [/^(right|rightmost|right-most|last)$/, 'right'],
  [/^(top|topmost|top-most|upper|uppermost|higher|highest|above)$/, 'top'],
  [/^(bottom|bottommost|bottom-most|lower|lowest|below)$/, 'bottom'],
  [/^(biggest|largest|big|large|bigger|larger)$/, 'largest'],
  [/^(smallest|small|smaller)$/, 'smallest'],
];

/**
 * Reads how a person picks among matches: "both", "all", "the left one", "left-most", "the biggest", "second",
 * "2", "#2", "2nd", "number 2", "the other one", "best". Null when the words pick nothing.
 * Keywords win over ordinals ("the last one" is 'right'); "one" on its own picks nothing ("that one" means "it").
 */
export function parseSelector(words: string): Selector | null {
  const tokens = words.toLowerCase().replace(/[.,!?;:"'()]/g, ' ').split(/\s+/).filter(Boolean);
  for (const token of tokens) {
    for (const [pattern, selector] of keywords) if (pattern.test(token)) return selector;
  }
  for (const token of tokens) {
    const digits = /^#?(\d+)(?:st|nd|rd|th)?$/.exec(token);
    if (digits) return { nth: Number(digits[1]) };
    if (Object.hasOwn(ordinals, token)) return { nth: ordinals[token] };
  }
  return null;
}
