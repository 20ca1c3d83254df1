/**
 * A pixel budget: how many pixels of pictures this process decodes, edits and encodes at once. Work on a
 * picture asks for its pixels and waits, first come first served, until they fit; a picture larger than the
 * whole budget still runs, alone. Full-size rasters dominate memory (a 24-megapixel photo is 72 MB as RGB,
 * and libvips holds as much again while it decodes or encodes, plus the PNG it writes), so bounding the
 * pixels in flight bounds resident memory under any number of parallel uploads and edits.
 */
export interface PixelBudget {
  /** Run `work` once `pixels` fit; they are given back when it settles, resolved or thrown. */
  run<T>(pixels: number, work: () => Promise<T>): Promise<T>;
  readonly capacity: number;
  /** Pixels held by work that is running now. */
  inUse(): number;
  /** Pieces of work waiting for room. */
  waiting(): number;
}

export function createPixelBudget(capacity: number): PixelBudget {
  if (!Number.isFinite(capacity) || capacity <= 0) throw new Error(`pixel budget must be a positive number of pixels, got ${capacity}`);
  let used = 0;
  const queue: { weight: number; start(): void }[] = [];
  // A picture over the budget weighs the whole budget: it waits for everything else and runs alone.
  const fits = (weight: number) => used + weight <= capacity;
  // Strict order: the head of the line waits for room even when a smaller picture behind it would fit, so a
  // large picture is never starved by a stream of small ones.
  const pump = () => {
    while (queue.length > 0 && fits(queue[0].weight)) queue.shift()!.start();
  };

  return {
    capacity,
    inUse: () => used,
    waiting: () => queue.length,
    run<T>(pixels: number, work: () => Promise<T>): Promise<T> {
      const weight = Math.min(Math.max(1, Math.ceil(pixels)), capacity);
      return new Promise<T>((resolve, reject) => {
        const start = () => {
          used += weight;
          let running: Promise<T>;
          try {
            running = work();
          } catch (error) {
            running = Promise.reject(error);
          }
          void running
            .finally(() => {
              used -= weight;
              pump();
            })
            .then(resolve, reject);
        };
        if (queue.length === 0 && fits(weight)) start();
        else queue.push({ weight, start });
      });
    },
  };
}

/**
 * What an edit asks for, per pixel of its picture. It holds the picture, its mask, the engine's copy at engine
 * size, the box around the hole and one PNG at a time while libvips composes it (run-edit.ts): measured, a
 * 40-megapixel upload peaks near 360 MB and its edit near 800 MB (`npm run bench memory`). Three keeps a margin:
 * any picture over a third of the budget (16 megapixels at the default 48) is edited alone, with nothing else.
 */
export const editWeight = 3;

/** Work on a picture of `pixels` inside the budget when the limits carry one, at once otherwise. */
export function withinBudget<T>(budget: PixelBudget | undefined, pixels: number, work: () => Promise<T>): Promise<T> {
  return budget ? budget.run(pixels, work) : work();
}
