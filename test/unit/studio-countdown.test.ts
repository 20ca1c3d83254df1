import { describe, expect, it } from 'vitest';
import { createCountdown, formatLeft } from '../../adapters/studio/web/countdown.ts';

describe("the studio's time left for a running edit", () => {
  it('measures the pace of this edit: an edit 15 points further after 4.5 s, at 20 %, has about 24 s left', () => {
    const countdown = createCountdown();
    expect(countdown.update(0.05, 0)).toBe('5%'); // first report: no pace yet
    expect(countdown.update(0.1, 1000)).toBe('10%'); // too soon to trust a pace
    // 0.05 → 0.2 in 4.5 s: 0.0333/s, 0.8 left ≈ 24 s.
    expect(countdown.update(0.2, 4500)).toBe('20% · about 24 s left');
    expect(countdown.update(0.96, 27_000)).toBe('96% · almost done');
    expect(countdown.update(1, 28_000)).toBe('100%');
  });

  it('starts over for the next edit (progress going back), and after a reset', () => {
    const countdown = createCountdown();
    countdown.update(0.1, 0);
    countdown.update(0.9, 10_000);
    expect(countdown.update(0.05, 11_000)).toBe('5%');
    expect(countdown.update(0.5, 13_000)).toBe('50% · about 2 s left'); // 0.45 in 2 s, 0.5 to go
    countdown.reset();
    expect(countdown.update(0.6, 20_000)).toBe('60%');
  });

  it('words minutes and the last second', () => {
    expect(formatLeft(600)).toBe('almost done');
    expect(formatLeft(45_000)).toBe('about 45 s left');
    expect(formatLeft(240_000)).toBe('about 4 min left');
  });
});
