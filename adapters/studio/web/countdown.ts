/**
 * Time left for a running edit, from its own progress: the rate since the first report it was seen at. The
 * queue's ETA is a guess from earlier edits (which may have been smaller, or another engine); once this one
 * moves, its own pace is the better clock. Pure (the clock comes in), so it is tested without a browser.
 */
export interface Countdown {
  /** Call with each progress report; returns the label to show ("42% · about 20 s left"). */
  update(fraction: number, nowMs: number): string;
  reset(): void;
}

/** Seconds of watching and progress made before a pace is trusted enough to show. */
const MIN_WATCH_MS = 2000;
const MIN_PROGRESS = 0.03;

export function createCountdown(): Countdown {
  let start: { at: number; fraction: number } | null = null;
  return {
    update(fraction, nowMs) {
      const f = Math.min(1, Math.max(0, fraction));
      // A new job, or the first report: the pace is measured from here.
      if (start === null || f < start.fraction) start = { at: nowMs, fraction: f };
      const pct = `${Math.round(f * 100)}%`;
      const watched = nowMs - start.at;
      const made = f - start.fraction;
      if (f >= 1 || watched < MIN_WATCH_MS || made < MIN_PROGRESS) return pct;
      return `${pct} · ${formatLeft((watched * (1 - f)) / made)}`;
    },
    reset() {
      start = null;
    },
  };
}

export function formatLeft(ms: number): string {
  if (ms < 1500) return 'almost done';
  if (ms < 90_000) return `about ${Math.round(ms / 1000)} s left`;
  return `about ${Math.round(ms / 60_000)} min left`;
}
