import { afterEach, describe, expect, it } from 'vitest';
import { createClassicalEngine } from '../../src/engines/classical.ts';
import type { InpaintEngine, InpaintRequest } from '../../src/engines/engine.ts';
import { fillHole } from '../../src/engines/fill-plan.ts';
import { loadOpenCvTelea } from '../../src/engines/opencv.ts';
import { isBrushtalkError } from '../../src/errors.ts';
import type { Mask, RgbImage } from '../../src/images/raster.ts';

/** A textured picture (so every hole pixel does real work) with a centred square hole of the given side. */
function request(size: number, holeSide: number): InpaintRequest {
  const image: RgbImage = { width: size, height: size, data: new Uint8Array(size * size * 3) };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      image.data[i] = (x * 255) / size;
      image.data[i + 1] = (y * 255) / size;
      image.data[i + 2] = ((x >> 3) ^ (y >> 3)) & 1 ? 180 : 60;
    }
  }
  const hole: Mask = { width: size, height: size, data: new Uint8Array(size * size) };
  const start = (size - holeSide) >> 1;
  for (let y = start; y < start + holeSide; y++) hole.data.fill(1, y * size + start, y * size + start + holeSide);
  return { image, hole, caption: 'a wall', seed: 1, steps: 20, guidance: 7.5, strength: 1 };
}

/** Big enough that the fill alone runs for well over half a second, even on a fast core. */
const slow = request(1024, 620);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

let engine: InpaintEngine;
afterEach(async () => {
  await engine.close();
});

describe('classical engine (real worker thread)', () => {
  it('describes itself as the non-generative, deterministic classical engine', () => {
    engine = createClassicalEngine();
    expect(engine.name).toBe('classical');
    expect(engine.generative).toBe(false);
    expect(engine.deterministic).toBe(true);
  });

  it('returns exactly what the fill plan computes on this thread, with monotonic progress ending at 1', async () => {
    engine = createClassicalEngine();
    const req = request(160, 60);
    const imageBefore = Uint8Array.from(req.image.data);
    const holeBefore = Uint8Array.from(req.hole.data);
    const seen: number[] = [];
    const result = await engine.inpaint(req, new AbortController().signal, (f) => seen.push(f));

    expect(result.image.width).toBe(160);
    expect(result.image.height).toBe(160);
    const expected = fillHole(req.image, req.hole, await loadOpenCvTelea());
    expect(Buffer.from(result.image.data).equals(Buffer.from(expected.image.data))).toBe(true);
    // A 60 px square is a wide hole: the exemplar fill, and the reply says so.
    expect(result.info).toMatchObject({ engine: 'classical (exemplar fill)', method: 'exemplar', exemplar_parts: 1, telea_parts: 0 });
    // The caller's arrays were copied before transfer: still attached and unchanged.
    expect(req.image.data).toEqual(imageBefore);
    expect(req.hole.data).toEqual(holeBefore);

    expect(seen.length).toBeGreaterThan(10);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    expect(seen.at(-1)).toBe(1);
  });

  it('keeps the event loop free while a long fill runs', { timeout: 30_000 }, async () => {
    engine = createClassicalEngine();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = performance.now();
    try {
      const result = await engine.inpaint(slow, new AbortController().signal, () => {});
      expect(result.image.data.length).toBe(slow.image.data.length);
    } finally {
      clearInterval(timer);
    }
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThan(500);
    // Run on this thread, the timer could not tick at all until the fill ended.
    expect(ticks).toBeGreaterThan(elapsed / 5 / 4);
  });

  it('cancels a running fill quickly when the signal aborts', { timeout: 30_000 }, async () => {
    engine = createClassicalEngine();
    const controller = new AbortController();
    let progressed = 0;
    const job = engine.inpaint(slow, controller.signal, (f) => {
      progressed = f;
      if (f >= 0.1) controller.abort();
    });
    const abortedAt = await new Promise<number>((resolve) => controller.signal.addEventListener('abort', () => resolve(performance.now())));
    const error = await rejection(job);
    expect(performance.now() - abortedAt).toBeLessThan(200);
    expect(isBrushtalkError(error) && error.code).toBe('engine.cancelled');
    expect(progressed).toBeLessThan(1);
  });

  it('runs jobs one after another on the kept worker, and replaces a cancelled one', { timeout: 30_000 }, async () => {
    engine = createClassicalEngine();
    const a = request(96, 30);
    const b = request(120, 50);
    const live = new AbortController().signal;
    const first = await engine.inpaint(a, live, () => {});
    const second = await engine.inpaint(b, live, () => {});
    const telea = await loadOpenCvTelea();
    expect(first.image.data).toEqual(fillHole(a.image, a.hole, telea).image.data);
    expect(second.image.data).toEqual(fillHole(b.image, b.hole, telea).image.data);

    const controller = new AbortController();
    const doomed = engine.inpaint(slow, controller.signal, () => controller.abort());
    const error = await rejection(doomed);
    expect(isBrushtalkError(error) && error.code).toBe('engine.cancelled');
    const third = await engine.inpaint(a, live, () => {});
    expect(third.image.data).toEqual(first.image.data);
  });

  it('rejects without starting when the signal is already aborted', async () => {
    engine = createClassicalEngine();
    const controller = new AbortController();
    controller.abort();
    let progressCalls = 0;
    const started = performance.now();
    const error = await rejection(engine.inpaint(slow, controller.signal, () => progressCalls++));
    expect(isBrushtalkError(error) && error.code).toBe('engine.cancelled');
    expect(performance.now() - started).toBeLessThan(50); // a worker takes longer than this just to boot
    expect(progressCalls).toBe(0);
  });

  it('rejects with the error a progress listener throws, instead of crashing the process', async () => {
    engine = createClassicalEngine();
    const boom = new Error('listener bug');
    const error = await rejection(engine.inpaint(request(96, 30), new AbortController().signal, () => {
      throw boom;
    }));
    expect(error).toBe(boom);
  });

  it('refuses a mask of the wrong size before starting a worker', async () => {
    engine = createClassicalEngine();
    const req = request(64, 10);
    const error = await rejection(engine.inpaint({ ...req, hole: { width: 32, height: 64, data: new Uint8Array(32 * 64) } }, new AbortController().signal, () => {}));
    expect(isBrushtalkError(error) && error.code).toBe('mask.bad_size');
  });

  it('close() is safe when idle, twice, and ends a running job with a retryable failure', { timeout: 30_000 }, async () => {
    engine = createClassicalEngine();
    await engine.close();
    await engine.close();

    engine = createClassicalEngine();
    const controller = new AbortController();
    const job = engine.inpaint(slow, controller.signal, () => {});
    await new Promise((resolve) => setTimeout(resolve, 100));
    const failure = rejection(job); // listen before close() rejects it
    await engine.close();
    const error = await failure;
    expect(isBrushtalkError(error) && error.code).toBe('engine.failed');
    expect(isBrushtalkError(error) && error.retryable).toBe(true);
    // Aborting after the job ended changes nothing; new work is refused.
    controller.abort();
    const after = await rejection(engine.inpaint(request(32, 8), new AbortController().signal, () => {}));
    expect(isBrushtalkError(after) && after.code).toBe('engine.unavailable');
  });
});
