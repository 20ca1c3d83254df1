import { describe, expect, it } from 'vitest';
import { mulberry32 as rng } from '../helpers/random.ts';
import type { Mask } from '../../src/images/raster.ts';
import { createMask } from '../../src/images/raster.ts';
import { cleanupMask, fillHoles, removeSpecks } from '../../src/vision/mask-cleanup.ts';

function fromRows(rows: string[]): Mask {
  const m = createMask(rows[0].length, rows.length);
  rows.forEach((r, y) => [...r].forEach((c, x) => (m.data[y * m.width + x] = c === '#' ? 1 : 0)));
  return m;
}

function toRows(m: Mask): string[] {
  const rows: string[] = [];
  for (let y = 0; y < m.height; y++) {
    let s = '';
    for (let x = 0; x < m.width; x++) s += m.data[y * m.width + x] ? '#' : '.';
    rows.push(s);
  }
  return rows;
}

function rect(m: Mask, x0: number, y0: number, w: number, h: number, v: number): void {
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) m.data[y * m.width + x] = v;
}

/**
 * Deliberately naive reference: one breadth-first search per pixel (re-done for every pixel, O(n²)), written
 * independently of the implementation's labelling.
 */
function naiveComponent(m: Mask, start: number, value: number, eight: boolean): { area: number; border: boolean } {
  const { width: w, height: h } = m;
  const seen = new Set<number>([start]);
  const queue = [start];
  let border = false;
  while (queue.length) {
    const p = queue.shift()!;
    const x = p % w;
    const y = Math.floor(p / w);
    if (x === 0 || y === 0 || x === w - 1 || y === h - 1) border = true;
    const steps = eight
      ? [[-1, -1], [0, -1], [1, -1], [-1, 0], [1, 0], [-1, 1], [0, 1], [1, 1]]
      : [[0, -1], [-1, 0], [1, 0], [0, 1]];
    for (const [dx, dy] of steps) {
      const nx = x + dx;
      const ny = y + dy;
      if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
      const q = ny * w + nx;
      if (!seen.has(q) && (m.data[q] ? 1 : 0) === value) {
        seen.add(q);
        queue.push(q);
      }
    }
  }
  return { area: seen.size, border };
}

function naiveRemoveSpecks(m: Mask, minArea: number): Mask {
  const out = createMask(m.width, m.height);
  for (let i = 0; i < m.data.length; i++) out.data[i] = m.data[i] && naiveComponent(m, i, 1, true).area >= minArea ? 1 : 0;
  return out;
}

function naiveFillHoles(m: Mask, maxArea: number): Mask {
  const out = createMask(m.width, m.height);
  for (let i = 0; i < m.data.length; i++) {
    if (m.data[i]) out.data[i] = 1;
    else {
      const c = naiveComponent(m, i, 0, false);
      out.data[i] = !c.border && c.area < maxArea ? 1 : 0;
    }
  }
  return out;
}


describe('removeSpecks', () => {
  it('drops hole components below minArea and keeps the rest', () => {
    const m = fromRows([
      '##......',
      '##....#.',
      '........',
      '.####...',
      '.####..#',
    ]);
    expect(toRows(removeSpecks(m, 4))).toEqual([
      '##......',
      '##......',
      '........',
      '.####...',
      '.####...',
    ]);
    // minArea is exclusive of smaller, inclusive of equal: the 2×2 block (area 4) survives 4 but not 5.
    expect(toRows(removeSpecks(m, 5))[0]).toBe('........');
  });

  it('uses 8-connectivity: a diagonal chain is one component', () => {
    const m = fromRows(['#...', '.#..', '..#.', '...#']);
    expect(removeSpecks(m, 4).data).toEqual(m.data);
    expect(removeSpecks(m, 5).data.every((v) => v === 0)).toBe(true);
  });

  it('normalises 255-valued input and does not mutate it', () => {
    const m = fromRows(['##', '##']);
    m.data.fill(255);
    const out = removeSpecks(m, 1);
    expect([...out.data]).toEqual([1, 1, 1, 1]);
    expect([...m.data]).toEqual([255, 255, 255, 255]);
  });
});

describe('fillHoles', () => {
  it('fills enclosed keep regions smaller than maxArea', () => {
    const m = fromRows([
      '........',
      '.######.',
      '.#..#.#.',
      '.#..###.',
      '.######.',
      '........',
    ]);
    // Enclosed regions: a 2×2 (area 4) and a 1×1 (area 1).
    expect(toRows(fillHoles(m, 2))).toEqual([
      '........',
      '.######.',
      '.#..###.',
      '.#..###.',
      '.######.',
      '........',
    ]);
    expect(toRows(fillHoles(m, 5))[2]).toBe('.######.');
    expect(toRows(fillHoles(m, 4))[2]).toBe('.#..###.'); // area 4 is not < 4
  });

  it('never fills keep regions touching the border, whatever their size', () => {
    const m = fromRows([
      '#.####',
      '#.#..#',
      '#.####',
      '######',
    ]);
    const out = fillHoles(m, 1000);
    expect(toRows(out)).toEqual(['#.####', '#.####', '#.####', '######']);
  });

  it('treats keep as 4-connected: a diagonal gap in an 8-connected ring still encloses', () => {
    const m = fromRows([
      '.....',
      '..#..',
      '.#.#.',
      '..#..',
      '.....',
    ]);
    expect(toRows(fillHoles(m, 10))[2]).toBe('.###.');
  });
});

describe('cleanupMask', () => {
  it('defaults to 0.1 % of the image for both areas and does not dilate', () => {
    const m = createMask(100, 100); // 0.1 % = 10 px
    rect(m, 20, 20, 40, 40, 1);
    rect(m, 30, 30, 3, 3, 0); // 9 px hole: filled
    rect(m, 45, 45, 4, 4, 0); // 16 px hole: kept
    rect(m, 80, 80, 3, 3, 1); // 9 px speck: dropped
    rect(m, 85, 5, 4, 4, 1); // 16 px blob: kept
    const out = cleanupMask(m);
    const at = (x: number, y: number): number => out.data[y * 100 + x];
    expect(at(31, 31)).toBe(1);
    expect(at(46, 46)).toBe(0);
    expect(at(81, 81)).toBe(0);
    expect(at(86, 6)).toBe(1);
    expect(at(19, 30)).toBe(0); // no dilation
    expect(at(20, 30)).toBe(1);
  });

  it('honours explicit areas and dilation', () => {
    const m = createMask(50, 50);
    rect(m, 10, 10, 10, 10, 1);
    rect(m, 40, 40, 2, 2, 1);
    const out = cleanupMask(m, { minSpeckArea: 4, maxHoleArea: 0, dilate: 2 });
    expect(out.data[41 * 50 + 41]).toBe(1); // area 4 survives minArea 4
    expect(out.data[10 * 50 + 8]).toBe(1); // dilated by 2
    expect(out.data[10 * 50 + 7]).toBe(0);
  });

  it('handles an empty image', () => {
    expect(cleanupMask(createMask(0, 0)).data.length).toBe(0);
  });

  it('rejects negative areas', () => {
    expect(() => removeSpecks(createMask(2, 2), -1)).toThrow(RangeError);
    expect(() => fillHoles(createMask(2, 2), Number.NaN)).toThrow(RangeError);
  });
});

describe('against a naive reference on random masks', () => {
  it('removeSpecks and fillHoles agree on 200 random masks', () => {
    const rand = rng(1234);
    for (let t = 0; t < 200; t++) {
      const w = 1 + Math.floor(rand() * 24);
      const h = 1 + Math.floor(rand() * 18);
      const density = 0.2 + rand() * 0.6;
      const m = createMask(w, h);
      for (let i = 0; i < m.data.length; i++) m.data[i] = rand() < density ? 1 : 0;
      const area = Math.floor(rand() * 12);
      expect(removeSpecks(m, area).data, `specks seed ${t}`).toEqual(naiveRemoveSpecks(m, area).data);
      expect(fillHoles(m, area).data, `holes seed ${t}`).toEqual(naiveFillHoles(m, area).data);
    }
  });
});
