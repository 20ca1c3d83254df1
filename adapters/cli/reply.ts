import fs from 'node:fs/promises';
import path from 'node:path';
import type { ImageDetails, ReplyChannel, TurnOutcome } from '../../src/contracts.ts';
import { createProgressDisplay, forTerminal, type TextStream } from './terminal.ts';

/** Formats the command line saves pictures in, named by the file's extension. */
export type SavedFormat = 'png' | 'jpeg' | 'webp';

/** A picture file to write in the format its extension names (`--out result.jpg`). */
export interface SaveAs {
  path: string;
  format: SavedFormat;
}

export interface CliOutput {
  /** Folder for this session's pictures. */
  dir: string;
  /** Also save the edited picture here (--out). */
  saveAs?: SaveAs;
  /** Replies (the conversation) go to stdout; progress and status lines to stderr, so stdout stays parseable. */
  stdout: TextStream;
  stderr: TextStream;
  /** Our PNG in another format (sharp belongs to src/images/codec.ts; main.ts passes it in). */
  convert(png: Uint8Array, format: SavedFormat): Promise<Uint8Array>;
  /** An error reply was shown (a refused turn, or a job that failed after it). */
  onError(): void;
  /** How the turn ended (the exit code). */
  onEnded(outcome: TurnOutcome): void;
}

const labels: Record<ImageDetails['role'], string> = { result: 'result', mask: 'mask preview', compare: 'before/after' };

export async function writePicture(target: SaveAs, png: Uint8Array, convert: CliOutput['convert']): Promise<string> {
  const file = path.resolve(target.path);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, await convert(png, target.format));
  return file;
}

/** The command line's ReplyChannel: text to stdout, pictures to files whose paths are printed, progress to stderr. */
export function createCliReply(out: CliOutput): ReplyChannel {
  const progress = createProgressDisplay(out.stderr);
  const say = (text: string) => {
    progress.stop();
    out.stdout.write(`${forTerminal(text, out.stdout)}\n`);
  };
  return {
    async status(text) {
      progress.stop();
      out.stderr.write(`${forTerminal(text, out.stderr)}\n`);
    },
    async text(markdown) {
      say(markdown);
    },
    async error(message) {
      out.onError();
      say(`error: ${message}`);
    },
    async image(png, details) {
      if (details.role === 'result') progress.done();
      await fs.mkdir(out.dir, { recursive: true });
      const file = path.join(out.dir, details.fileName);
      await fs.writeFile(file, png);
      say(`${labels[details.role]}: ${file}`);
      if (details.role !== 'result') return;
      say(`  ${details.caption}`);
      if (out.saveAs) say(`written: ${await writePicture(out.saveAs, png, out.convert)}`);
    },
    async progress(_jobId, fraction) {
      progress.update(fraction);
    },
    ended(outcome) {
      out.onEnded(outcome);
    },
  };
}
