import { describe, it, expect } from 'vitest';
import { engineSize, defaultSizePolicy } from '../../src/images/size.ts';

const aspectError = (w: number, h: number, ow: number, oh: number) => Math.abs(ow / oh / (w / h) - 1);

describe('engineSize', () => {
  const cases: { name: string; in: [number, number]; out: [number, number]; shortInRange: boolean }[] = [
    { name: '4:3 photo, landscape', in: [4000, 3000], out: [856, 640], shortInRange: true },
    { name: '4:3 photo, portrait', in: [3000, 4000], out: [640, 856], shortInRange: true },
    { name: 'square at minShort', in: [512, 512], out: [512, 512], shortInRange: true },
    { name: 'small image is upscaled', in: [300, 200], out: [768, 512], shortInRange: true },
    { name: 'panorama: long cap wins over minShort', in: [6000, 1000], out: [1016, 168], shortInRange: false },
    { name: 'tall panorama', in: [1000, 6000], out: [168, 1016], shortInRange: false },
    { name: 'big square is downscaled, not squashed', in: [1024, 1024], out: [640, 640], shortInRange: true },
    { name: 'VGA', in: [640, 480], out: [680, 512], shortInRange: true },
    { name: '16:9 hits the long cap', in: [1920, 1080], out: [1024, 576], shortInRange: true },
    { name: '9:16 phone shot', in: [1080, 1920], out: [576, 1024], shortInRange: true },
    { name: 'phone 4032×3024', in: [4032, 3024], out: [856, 640], shortInRange: true },
    { name: 'already in range', in: [601, 599], out: [600, 600], shortInRange: true },
    { name: '3:1', in: [3000, 1000], out: [1024, 344], shortInRange: false },
    { name: 'tiny', in: [8, 8], out: [512, 512], shortInRange: true },
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.in.join('×')} → ${c.out.join('×')}`, () => {
      const [w, h] = c.in;
      const r = engineSize(w, h);
      expect([r.width, r.height]).toEqual(c.out);
      expect(r.width % 8).toBe(0);
      expect(r.height % 8).toBe(0);
      expect(Math.max(r.width, r.height)).toBeLessThanOrEqual(1024);
      expect(aspectError(w, h, r.width, r.height)).toBeLessThan(0.015);
      expect((r.width - r.height) * (w - h)).toBeGreaterThanOrEqual(0); // orientation never flips
      expect(r.scale).toBeCloseTo(Math.max(r.width, r.height) / Math.max(w, h), 10);
      const short = Math.min(r.width, r.height);
      if (c.shortInRange) {
        expect(short).toBeGreaterThanOrEqual(512);
        expect(short).toBeLessThanOrEqual(640);
      }
    });
  }

  it('never returns a zero side, even for extreme strips', () => {
    const r = engineSize(20000, 100);
    expect(r.width).toBe(1024);
    expect(r.height).toBe(8);
  });

  it('keeps every output a multiple of 8 within the caps over a sweep of sizes', () => {
    for (let w = 1; w <= 5000; w += 97) {
      for (let h = 1; h <= 5000; h += 89) {
        const r = engineSize(w, h);
        expect(r.width % 8 === 0 && r.height % 8 === 0 && r.width > 0 && r.height > 0).toBe(true);
        expect(Math.max(r.width, r.height)).toBeLessThanOrEqual(1024);
        const short = Math.min(r.width, r.height);
        // Whenever the aspect allows a short side in range under the long cap, it lands there.
        if (Math.max(w, h) / Math.min(w, h) <= 1024 / 512) {
          expect(short).toBeGreaterThanOrEqual(512);
          expect(short).toBeLessThanOrEqual(640);
        }
        if (Math.max(w, h) / Math.min(w, h) <= 4) expect(aspectError(w, h, r.width, r.height)).toBeLessThan(0.015);
      }
    }
  });

  it('honours a custom policy', () => {
    const r = engineSize(4000, 3000, { minShort: 256, maxShort: 320, maxLong: 512, multiple: 64 });
    expect(r).toMatchObject({ width: 448, height: 320 });
  });

  it('rejects bad inputs, naming the value', () => {
    expect(() => engineSize(0, 10)).toThrow(/width.*0/);
    expect(() => engineSize(10, -3)).toThrow(/height.*-3/);
    expect(() => engineSize(10.5, 10)).toThrow(/width.*10\.5/);
    expect(() => engineSize(Number.NaN, 10)).toThrow(/width.*NaN/);
    expect(() => engineSize(10, 10, { ...defaultSizePolicy, multiple: 0 })).toThrow(/multiple/);
    expect(() => engineSize(10, 10, { ...defaultSizePolicy, minShort: 700 })).toThrow(/minShort/);
  });
});
