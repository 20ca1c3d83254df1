import { setTimeout as delay } from 'node:timers/promises';
import type { InpaintEngine } from '../../src/engines/engine.ts';
import { BrushtalkError } from '../../src/errors.ts';
import { defaultSizePolicy } from '../../src/images/size.ts';

export interface FakeEngineOptions {
  delayMs?: number;
  colour?: [number, number, number];
  failWith?: BrushtalkError;
  /** Claim to generate (add, change, restyle) like BrushNet; default false: a fill-only engine. */
  generative?: boolean;
  /** Claim the same picture for every seed like the classical engine; default false: re-rolls run. */
  deterministic?: boolean;
}

/**
 * An engine we own, for turn and queue tests: paints the hole one flat colour, after an optional delay
 * that honours cancellation, and can be told to fail. What it claims to be able to do is the test's choice.
 */
export function fakeEngine(options: FakeEngineOptions = {}): InpaintEngine & { calls: number; prompts: { caption: string; negativePrompt?: string }[] } {
  const colour = options.colour ?? [255, 0, 255];
  const engine = {
    name: 'fake-fill',
    generative: options.generative ?? false,
    deterministic: options.deterministic ?? false,
    sizePolicy: defaultSizePolicy,
    calls: 0,
    /** The prompts each request carried, in order: what a generative engine would have painted from. */
    prompts: [] as { caption: string; negativePrompt?: string }[],
    async inpaint(request: Parameters<InpaintEngine['inpaint']>[0], signal: AbortSignal, onProgress: (f: number) => void) {
      engine.calls++;
      engine.prompts.push({ caption: request.caption, negativePrompt: request.negativePrompt });
      const steps = 5;
      for (let step = 1; step <= steps; step++) {
        await delay((options.delayMs ?? 0) / steps, undefined, { signal }).catch(() => {
          throw new BrushtalkError('engine.cancelled', 'cancelled');
        });
        onProgress(step / steps);
      }
      if (options.failWith) throw options.failWith;
      const data = new Uint8Array(request.image.data);
      for (let p = 0; p < request.hole.data.length; p++) {
        if (request.hole.data[p]) data.set(colour, p * 3);
      }
      return { image: { ...request.image, data }, info: { fake: 1 } };
    },
    async close() {},
  };
  return engine;
}

/** An engine that hands the picture back untouched: what benchmarks use to measure everything but the engine. */
export const noopEngine: InpaintEngine = {
  name: 'no-op',
  generative: false,
  deterministic: true,
  sizePolicy: defaultSizePolicy,
  async inpaint(request) {
    return { image: request.image, info: {} };
  },
  async close() {},
};
