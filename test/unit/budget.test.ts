import { describe, expect, it } from 'vitest';
import { createPixelBudget, withinBudget } from '../../src/images/budget.ts';

/** A piece of work that runs until the test lets it go, recording when it started. */
function gate(log: string[], name: string) {
  let open!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    open = () => resolve(name);
    fail = reject;
  });
  return {
    work: () => {
      log.push(name);
      return done;
    },
    open: () => open(),
    fail: (error: Error) => fail(error),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('pixel budget', () => {
  it('bounds the pixels in flight: of six 4-megapixel pictures in a 10-megapixel budget, two run at a time', async () => {
    const budget = createPixelBudget(10e6);
    let running = 0;
    let most = 0;
    const work = async () => {
      running++;
      most = Math.max(most, running);
      expect(budget.inUse()).toBeLessThanOrEqual(10e6);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
    };
    await Promise.all(Array.from({ length: 6 }, () => budget.run(4e6, work)));
    expect(most).toBe(2);
    expect(budget.inUse()).toBe(0);
    expect(budget.waiting()).toBe(0);
  });

  it('first come, first served: a small picture that would fit waits behind a larger one that does not', async () => {
    const budget = createPixelBudget(10);
    const log: string[] = [];
    const a = gate(log, 'a');
    const b = gate(log, 'b');
    const c = gate(log, 'c');
    const runs = [budget.run(8, a.work), budget.run(6, b.work), budget.run(2, c.work)];
    await tick();
    expect(log).toEqual(['a']); // c (2) fits beside a (8) but must not overtake b
    expect(budget.waiting()).toBe(2);
    a.open();
    await tick();
    expect(log).toEqual(['a', 'b', 'c']); // 6 + 2 fit together once a is done
    b.open();
    c.open();
    expect(await Promise.all(runs)).toEqual(['a', 'b', 'c']);
  });

  it('a picture larger than the whole budget still runs, alone', async () => {
    const budget = createPixelBudget(10);
    const log: string[] = [];
    const small = gate(log, 'small');
    const huge = gate(log, 'huge');
    const after = gate(log, 'after');
    const runs = [budget.run(3, small.work), budget.run(25, huge.work), budget.run(1, after.work)];
    await tick();
    expect(log).toEqual(['small']);
    small.open();
    await tick();
    expect(log).toEqual(['small', 'huge']);
    expect(budget.inUse()).toBe(10);
    huge.open();
    await tick();
    expect(log).toEqual(['small', 'huge', 'after']);
    after.open();
    await Promise.all(runs);
  });

  it('gives the pixels back when the work throws or rejects, and the caller gets the error', async () => {
    const budget = createPixelBudget(10);
    const log: string[] = [];
    const failing = gate(log, 'failing');
    const waiting = gate(log, 'waiting');
    const first = budget.run(10, failing.work);
    const second = budget.run(10, waiting.work);
    await tick();
    failing.fail(new Error('decode failed'));
    await expect(first).rejects.toThrow('decode failed');
    await tick();
    expect(log).toEqual(['failing', 'waiting']);
    waiting.open();
    await second;
    // A synchronous throw inside the work releases too.
    await expect(
      budget.run(10, () => {
        throw new Error('thrown');
      }),
    ).rejects.toThrow('thrown');
    expect(budget.inUse()).toBe(0);
    expect(await budget.run(10, async () => 'next')).toBe('next');
  });

  it('without a budget the work runs at once', async () => {
    expect(await withinBudget(undefined, 1e12, async () => 'ran')).toBe('ran');
    expect(() => createPixelBudget(0)).toThrow(/positive/);
  });
});
