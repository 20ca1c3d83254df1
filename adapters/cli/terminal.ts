import { createRequire } from 'node:module';
import { styleText } from 'node:util';
import type CliProgress from 'cli-progress';

/** cli-progress (16 modules) loads when a bar is first drawn: not for `help`, `history` or piped output. */
const loadCliProgress = () => createRequire(import.meta.url)('cli-progress') as typeof CliProgress;

/** What the command line writes to: process.stdout/stderr, or a test's recorder. */
export interface TextStream {
  write(text: string): unknown;
  isTTY?: boolean;
  /** tty.WriteStream's: false under NO_COLOR or TERM=dumb. */
  hasColors?(): boolean;
}

export const colorsOn = (stream: TextStream): boolean => stream.isTTY === true && (stream.hasColors?.() ?? true);

/**
 * Replies are markdown; a terminal shows `code` in cyan and **bold** in bold, without the marks (plain on
 * a terminal without colours). Piped output keeps the markdown as written, for whatever reads it.
 */
export function forTerminal(markdown: string, stream: TextStream): string {
  if (stream.isTTY !== true) return markdown;
  // styleText would check process.stdout; the stream written to was checked here.
  const paint = (style: 'cyan' | 'bold', text: string) => (colorsOn(stream) ? styleText(style, text, { validateStream: false }) : text);
  return markdown.replace(/`([^`\n]+)`/g, (_, code: string) => paint('cyan', code)).replace(/\*\*([^*\n]+)\*\*/g, (_, bold: string) => paint('bold', bold));
}

export interface ProgressDisplay {
  update(fraction: number): void;
  /** The job finished: 100 %. */
  done(): void;
  /** The job ended otherwise (failed, cancelled) or something else must be printed: leave the line as it is. */
  stop(): void;
}

/** A bar that redraws in place on a terminal (cli-progress); piped, a line per 10 % step, always ending with 100 %. */
export function createProgressDisplay(stream: TextStream): ProgressDisplay {
  if (stream.isTTY === true) {
    const cliProgress = loadCliProgress();
    const bar = new cliProgress.SingleBar(
      { stream: stream as NodeJS.WritableStream, format: 'editing {bar} {percentage}%', barsize: 30, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    let running = false;
    const start = () => {
      if (!running) bar.start(100, 0);
      running = true;
    };
    return {
      update(fraction) {
        start();
        bar.update(Math.min(99, Math.floor(fraction * 100)));
      },
      done() {
        start();
        bar.update(100);
        bar.stop();
        running = false;
      },
      stop() {
        if (running) bar.stop();
        running = false;
      },
    };
  }
  let shown = -1;
  return {
    update(fraction) {
      const step = Math.min(90, Math.floor(fraction * 10) * 10);
      if (step <= shown) return;
      shown = step;
      stream.write(`… ${step}%\n`);
    },
    done() {
      stream.write('… 100% (done)\n');
      shown = -1; // the next edit starts its own count
    },
    stop() {},
  };
}
