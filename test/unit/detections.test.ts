import { describe, expect, it } from 'vitest';
import type { Box } from '../../src/contracts.ts';
import { BrushtalkError } from '../../src/errors.ts';
import { boxThresholds, cascade, iou, nms, parseSelector, selectDetections, type Selector } from '../../src/vision/detections.ts';

const det = (x: number, y: number, w: number, h: number, score: number) => ({ box: { x, y, w, h } as Box, score, label: 'dog' });

describe('cascade', () => {
  it("is BrushEdit's list, highest first", () => {
    expect(boxThresholds).toEqual([0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0]);
  });

  it('picks the highest threshold that keeps a box, and keeps every box above it', () => {
    const found = cascade([det(0, 0, 5, 5, 0.22), det(10, 0, 5, 5, 0.21), det(20, 0, 5, 5, 0.12)]);
    expect(found.threshold).toBe(0.2);
    expect(found.detections.map((d) => d.score)).toEqual([0.22, 0.21]);
    expect(cascade([det(0, 0, 5, 5, 0.9), det(9, 0, 5, 5, 0.26)]).detections).toHaveLength(1);
  });

  it('is strict (a score equal to the threshold waits for the next), ends at 0, and reports nothing found', () => {
    expect(cascade([det(0, 0, 5, 5, 0.3)]).threshold).toBe(0.25);
    expect(cascade([det(0, 0, 5, 5, 0.001)])).toMatchObject({ threshold: 0, detections: [{ score: 0.001 }] });
    expect(cascade([det(0, 0, 5, 5, 0)])).toEqual({ threshold: 0, detections: [] });
    expect(cascade([])).toEqual({ threshold: 0, detections: [] });
  });

  it('takes its own thresholds, in any order', () => {
    expect(cascade([det(0, 0, 5, 5, 0.6)], [0.5, 0.7]).threshold).toBe(0.5);
  });
});

describe('iou', () => {
  it('is 1 for the same box, 0 for disjoint or touching boxes, and the overlap ratio otherwise', () => {
    const a = { x: 0, y: 0, w: 10, h: 10 };
    expect(iou(a, a)).toBe(1);
    expect(iou(a, { x: 10, y: 0, w: 10, h: 10 })).toBe(0);
    expect(iou(a, { x: 50, y: 50, w: 5, h: 5 })).toBe(0);
    expect(iou(a, { x: 5, y: 0, w: 10, h: 10 })).toBeCloseTo(50 / 150);
    expect(iou(a, { x: 0, y: 0, w: 5, h: 5 })).toBeCloseTo(0.25);
    expect(iou({ x: 0, y: 0, w: 0, h: 0 }, { x: 0, y: 0, w: 0, h: 0 })).toBe(0);
  });
});

describe('nms', () => {
  it('keeps the best of overlapping boxes and every separate box, best first', () => {
    const kept = nms([det(1, 0, 10, 10, 0.5), det(40, 0, 10, 10, 0.6), det(0, 0, 10, 10, 0.9), det(2, 1, 10, 10, 0.3)]);
    expect(kept.map((d) => d.score)).toEqual([0.9, 0.6]);
  });

  it('keeps boxes overlapping by no more than the threshold', () => {
    const pair = [det(0, 0, 10, 10, 0.9), det(5, 0, 10, 10, 0.8)]; // IoU 1/3
    expect(nms(pair)).toHaveLength(2);
    expect(nms(pair, 0.3)).toHaveLength(1);
    expect(nms([])).toEqual([]);
  });
});

describe('selectDetections', () => {
  // Left to right: a (small, low, best), b (big, high), c (medium, lowest score).
  const found = [det(0, 40, 10, 10, 0.9), det(30, 0, 30, 30, 0.5), det(80, 20, 15, 15, 0.4)];
  const cases: [Selector, number[]][] = [
    ['all', [0, 1, 2]],
    ['best', [0]],
    ['left', [0]],
    ['right', [2]],
    ['top', [1]],
    ['bottom', [0]],
    ['largest', [1]],
    ['smallest', [0]],
    [{ nth: 1 }, [0]],
    [{ nth: 2 }, [1]],
    [{ nth: 3 }, [2]],
  ];
  it.each(cases)('%j selects %j', (selector, expected) => {
    expect(selectDetections(found, selector)).toEqual(expected);
  });

  it('counts left to right by box centre whatever order the detections come in', () => {
    const shuffled = [found[2], found[0], found[1]];
    expect(selectDetections(shuffled, { nth: 1 })).toEqual([1]);
    expect(selectDetections(shuffled, { nth: 3 })).toEqual([0]);
    expect(selectDetections(shuffled, 'left')).toEqual([1]);
  });

  it('"other": the other of two, the next best after one pick, the rest after several, the runner-up with no pick', () => {
    expect(selectDetections(found.slice(0, 2), 'other', [1])).toEqual([0]);
    expect(selectDetections(found.slice(0, 2), 'other', [0])).toEqual([1]);
    expect(selectDetections(found, 'other', [0])).toEqual([1]);
    expect(selectDetections(found, 'other', [1])).toEqual([0]);
    expect(selectDetections(found, 'other', [0, 2])).toEqual([1]);
    expect(selectDetections(found, 'other', [])).toEqual([1]);
    expect(selectDetections([...found, det(120, 0, 5, 5, 0.1)], 'other', [0, 1])).toEqual([2, 3]);
  });

  it('refuses with worded errors: nth out of range says how many were found; no other one; nothing found', () => {
    const bad = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(BrushtalkError);
        expect((error as BrushtalkError).code).toBe('command.bad_arguments');
        return (error as BrushtalkError).userMessage;
      }
      throw new Error('expected an error');
    };
    expect(bad(() => selectDetections(found, { nth: 4 }))).toMatch(/found 3 matches.*number 4/);
    expect(bad(() => selectDetections(found, { nth: 0 }))).toMatch(/3 matches/);
    expect(bad(() => selectDetections(found.slice(0, 1), { nth: 2 }))).toMatch(/only 1 match/);
    expect(bad(() => selectDetections(found.slice(0, 1), 'other'))).toMatch(/only 1 match.*no other/);
    expect(bad(() => selectDetections(found, 'other', [0, 1, 2]))).toMatch(/All 3 matches are already selected/);
    expect(bad(() => selectDetections([], 'best'))).toMatch(/nothing to choose from/);
  });
});

describe('parseSelector', () => {
  const phrases: [string, Selector | null][] = [
    ['both', 'all'],
    ['all', 'all'],
    ['all of them', 'all'],
    ['every', 'all'],
    ['the left one', 'left'],
    ['left-most', 'left'],
    ['leftmost', 'left'],
    ['the right one', 'right'],
    ['the last one', 'right'],
    ['top', 'top'],
    ['the upper one', 'top'],
    ['bottom', 'bottom'],
    ['lower', 'bottom'],
    ['the biggest', 'largest'],
    ['largest', 'largest'],
    ['the smallest one', 'smallest'],
    ['smaller', 'smallest'],
    ['second', { nth: 2 }],
    ['the second one', { nth: 2 }],
    ['2', { nth: 2 }],
    ['#3', { nth: 3 }],
    ['3rd', { nth: 3 }],
    ['number 4', { nth: 4 }],
    ['first', { nth: 1 }],
    ['the other one', 'other'],
    ['Other', 'other'],
    ['another', 'other'],
    ['best', 'best'],
    ['the best one.', 'best'],
    ['one', null],
    ['that one', null],
    ['', null],
    ['dog', null],
    ['constructor', null],
  ];
  it.each(phrases)('%j → %j', (words, expected) => {
    expect(parseSelector(words)).toEqual(expected);
  });
});
