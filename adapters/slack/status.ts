import type { Logger } from '../../src/log.ts';

export interface StatusLineOptions {
  intervalMs: number;
  enqueue<T>(task: () => Promise<T>): Promise<T>;
  /** Post the line (ts null) or edit it; returns the line's ts. */
  write(text: string, ts: string | null): Promise<string | null>;
  /** The Assistant's native status, where the channel has one; resolves false when Slack refused it. */
  assistant: ((text: string) => Promise<boolean>) | null;
  log: Logger;
}

/**
 * One "working on it" line per job: posted once, then edited at most every `intervalMs` (the newest text wins;
 * the ones in between are dropped). finish() writes a last word and lets the next job start a new line.
 */
export function createStatusLine(options: StatusLineOptions) {
  let ts: string | null = null;
  let started = false;
  let lastAt = 0;
  let pending: string | null = null;
  let timer: NodeJS.Timeout | null = null;
  let useAssistant = options.assistant !== null;
  let inFlight: Promise<unknown> = Promise.resolve();

  function send(text: string): Promise<void> {
    lastAt = Date.now();
    started = true;
    const run = options.enqueue(async () => {
      if (useAssistant && options.assistant) {
        if (await options.assistant(text)) return;
        useAssistant = false;
      }
      ts = await options.write(text, ts);
    });
    inFlight = run.catch(() => undefined);
    return run;
  }

  function cancelPending(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    pending = null;
  }

  return {
    show(text: string): Promise<void> {
      const wait = lastAt + options.intervalMs - Date.now();
      if (!started || wait <= 0) {
        cancelPending();
        return send(text);
      }
      pending = text;
      timer ??= setTimeout(() => {
        const latest = pending;
        timer = null;
        pending = null;
        if (latest !== null) send(latest).catch((error: unknown) => options.log.warn({ err: error }, 'could not update the status line'));
      }, wait);
      return Promise.resolve();
    },
    /** The job is over: say `last` on the line (if one was posted) and start afresh next time. */
    finish(last: string | null): void {
      cancelPending();
      if (!started) return;
      started = false;
      lastAt = 0;
      const assistant = useAssistant;
      inFlight = options
        .enqueue(async () => {
          const line = ts;
          ts = null;
          // Clearing the Assistant status is enough: the reply that follows replaces it.
          if (assistant && options.assistant) await options.assistant('');
          else if (line && last) await options.write(last, line);
        })
        .catch((error: unknown) => options.log.warn({ err: error }, 'could not finish the status line'));
    },
    /** Resolves once no status edit is waiting or being sent. */
    async settle(): Promise<void> {
      while (timer) await new Promise((resolve) => setTimeout(resolve, Math.max(10, lastAt + options.intervalMs - Date.now())));
      await inFlight;
    },
    close: cancelPending,
  };
}
