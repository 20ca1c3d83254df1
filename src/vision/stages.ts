/** Records how long each stage of a model call took (ms), into a caller's record when one is given. */
export type StageTimings = Record<string, number>;

export function stopwatch(timings: StageTimings | undefined): (stage: string) => void {
  let last = performance.now();
  return (stage) => {
    const now = performance.now();
    if (timings) timings[stage] = (timings[stage] ?? 0) + (now - last);
    last = now;
  };
}
