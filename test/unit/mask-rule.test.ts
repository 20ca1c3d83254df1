import { describe, expect, it } from 'vitest';
import { holeLevel } from '../../src/images/raster.ts';

/**
 * BrushNet's pipeline (pipeline_brushnet.py): the mask image goes through VaeImageProcessor (v/255, then 2x − 1,
 * float32) and `(mask.sum(1) < 0)` marks the KEPT pixels; everything else is hole. Re-done here in float32.
 */
function brushNetHole(r: number, g: number, b: number): boolean {
  const f = Math.fround;
  const n = (v: number) => f(f(2 * f(v / 255)) - 1);
  return !(f(f(n(r) + n(g)) + n(b)) < 0);
}

/** What decodeMask used before: integer Rec.601 luma ≥ 128. */
const luma = (r: number, g: number, b: number) => (77 * r + 150 * g + 29 * b + 128) >> 8;

const isHole = (r: number, g: number, b: number) => holeLevel(Uint8Array.of(r, g, b), 1)[0] >= 128;

describe('mask rule: channel mean ≥ 127.5 is hole (BrushNet), not luma', () => {
  it('agrees with BrushNet’s float32 rule on every 8-bit colour', () => {
    const rgb = new Uint8Array(256 * 256 * 3);
    let disagreements = 0;
    for (let r = 0; r < 256; r++) {
      for (let g = 0; g < 256; g++) for (let b = 0; b < 256; b++) rgb.set([r, g, b], (g * 256 + b) * 3);
      const level = holeLevel(rgb, 256 * 256);
      for (let g = 0; g < 256; g++) {
        for (let b = 0; b < 256; b++) if (level[g * 256 + b] >= 128 !== brushNetHole(r, g, b)) disagreements++;
      }
    }
    expect(disagreements).toBe(0);
  });

  it('reads coloured masks as BrushNet does, where luma disagrees', () => {
    const cases: Array<{ name: string; rgb: [number, number, number]; hole: boolean; luma: number }> = [
      { name: 'magenta', rgb: [255, 0, 255], hole: true, luma: 106 },
      { name: 'pure green', rgb: [0, 255, 0], hole: false, luma: 149 },
      { name: 'studio pink', rgb: [255, 64, 96], hole: true, luma: 125 },
      { name: 'pure red', rgb: [255, 0, 0], hole: false, luma: 77 },
      { name: 'yellow', rgb: [255, 255, 0], hole: true, luma: 226 },
    ];
    for (const c of cases) {
      expect({ name: c.name, hole: isHole(...c.rgb) }).toEqual({ name: c.name, hole: c.hole });
      expect(luma(...c.rgb)).toBe(c.luma);
    }
    // Magenta and green are where the two rules disagree: the old rule got both wrong.
    expect(luma(255, 0, 255) >= 128).toBe(false);
    expect(luma(0, 255, 0) >= 128).toBe(true);
  });

  it('keeps grey exact: v maps to v, 127 keeps, 128 is hole; the sum 382/383 is the edge', () => {
    const grey = new Uint8Array(256 * 3).map((_, i) => Math.floor(i / 3));
    expect([...holeLevel(grey, 256)]).toEqual(Array.from({ length: 256 }, (_, v) => v));
    expect(isHole(127, 127, 127)).toBe(false);
    expect(isHole(128, 128, 128)).toBe(true);
    expect(isHole(127, 127, 128)).toBe(false); // sum 382: mean 127.33
    expect(isHole(127, 128, 128)).toBe(true); // sum 383: mean 127.67
  });
});
