import fs from 'node:fs/promises';
import path from 'node:path';
import type { ImageDetails, ReplyChannel } from '../../src/contracts.ts';

export interface CliOutput {
  /** Folder for this session's pictures. */
  dir: string;
  /** Also write the edited picture here (--out). */
  resultPath?: string;
  write(line: string): void;
  /** Progress goes to stderr so stdout stays parseable. */
  progress(line: string): void;
  onError(): void;
}

const labels: Record<ImageDetails['role'], string> = { result: 'result', mask: 'mask preview', compare: 'before/after' };

/** The command line's ReplyChannel: text to stdout, pictures to files whose paths are printed. */
export function createCliReply(out: CliOutput): ReplyChannel {
  let lastPercent = -1;
  return {
    async status(text) {
      out.progress(text);
    },
    async text(markdown) {
      out.write(markdown);
    },
    async error(message) {
      out.onError();
      out.write(`error: ${message}`);
    },
    async image(png, details) {
      await fs.mkdir(out.dir, { recursive: true });
      const file = path.join(out.dir, details.fileName);
      await fs.writeFile(file, png);
      out.write(`${labels[details.role]}: ${file}`);
      if (details.role === 'result') {
        out.write(`  ${details.caption}`);
        if (out.resultPath) {
          await fs.mkdir(path.dirname(path.resolve(out.resultPath)), { recursive: true });
          await fs.writeFile(out.resultPath, png);
          out.write(`written: ${path.resolve(out.resultPath)}`);
        }
      }
    },
    async progress(_jobId, fraction) {
      const percent = Math.floor(fraction * 10) * 10;
      if (percent === lastPercent) return;
      lastPercent = percent;
      out.progress(`… ${percent}%`);
    },
  };
}
