/**
 * Queue position → a rough ETA: jobs ahead share the workers, each taking about as long as recent jobs
 * took (an exponentially weighted mean). Null until a job has finished, rather than a made-up number.
 */
export interface DurationTracker {
  record(ms: number): void;
  /** Milliseconds until a job at `position` (1 = next) finishes, with `workers` working in parallel. */
  estimate(position: number, workers: number): number | null;
  mean(): number | null;
}

/** Jobs ahead share the workers, each taking about `mean`: null when nothing has been measured. */
export function etaFor(mean: number | null, position: number, workers: number): number | null {
  return mean === null ? null : Math.round(Math.ceil(position / Math.max(1, workers)) * mean);
}

/** The weighted mean a tracker would hold after recording `durations` in order (oldest first); null when none. */
export function weightedMean(durations: number[], weight = 0.2): number | null {
  const tracker = createDurationTracker(weight);
  for (const ms of durations) tracker.record(ms);
  return tracker.mean();
}

export function createDurationTracker(weight = 0.2): DurationTracker {
  let mean: number | null = null;
  return {
    record(ms) {
      if (!Number.isFinite(ms) || ms < 0) return;
      mean = mean === null ? ms : mean + weight * (ms - mean);
    },
    estimate: (position, workers) => etaFor(mean, position, workers),
    mean: () => mean,
  };
}

/** "about 40 s", "about 3 min" — for the line that tells a user their place in the queue. */
export function formatEta(ms: number): string {
  if (ms < 1500) return 'a moment';
  if (ms < 90_000) return `about ${Math.round(ms / 1000)} s`;
  return `about ${Math.round(ms / 60_000)} min`;
}
