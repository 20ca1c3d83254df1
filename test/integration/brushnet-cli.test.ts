import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDataDir } from '../helpers/env.ts';
import { pictureFile, readRgb, testPicture } from '../helpers/images.ts';
import { tinyBrushNetId, writeTinyBrushNet } from '../helpers/tiny-brushnet.ts';

const bin = fileURLToPath(new URL('../../adapters/cli/bin.js', import.meta.url));

describe('engine selection', () => {
  it('`brushtalk edit` runs BrushNet when its model folder is there, and the classical engine when it is not', async () => {
    const temp = tempDataDir();
    try {
      const weights = path.join(temp.dir, 'weights');
      writeTinyBrushNet(weights, tinyBrushNetId);
      fs.writeFileSync(path.join(temp.dir, 'photo.png'), await pictureFile(160, 120));
      const run = (env: Record<string, string>, session: string) =>
        promisify(execFile)(process.execPath, [bin, 'edit', 'photo.png', 'a wooden table', '--box', '50,40,40,30', '--session', session, '--out', `${session}.png`], {
          cwd: temp.dir,
          env: { ...process.env, DATA_DIR: path.join(temp.dir, 'data'), WEIGHTS_DIR: weights, ...env },
        });
      const generative = await run({ BRUSHNET_MODEL: tinyBrushNetId }, 'gen');
      expect(generative.stdout).toMatch(/Editing with brushnet/);
      expect(generative.stdout).not.toMatch(/classical engine fills/);
      expect(generative.stdout).toMatch(/v\d · brushnet · background PSNR/);
      const output = await readRgb(path.join(temp.dir, 'gen.png'));
      expect([output.width, output.height]).toEqual([160, 120]);
      const input = testPicture(160, 120);
      let changed = 0;
      for (let y = 0; y < 120; y++) {
        for (let x = 0; x < 160; x++) {
          const i = (y * 160 + x) * 3;
          const same = output.data[i] === input.data[i] && output.data[i + 1] === input.data[i + 1] && output.data[i + 2] === input.data[i + 2];
          if (x < 40 || x >= 100 || y < 30 || y >= 80) expect(same, `pixel ${x},${y} outside the feathered mask changed`).toBe(true);
          else if (!same) changed++;
        }
      }
      expect(changed).toBeGreaterThan(0);

      const fallback = await run({ BRUSHNET_MODEL: 'not-installed' }, 'classic');
      expect(fallback.stdout).toMatch(/Editing with classical-telea/);
    } finally {
      temp.cleanup();
    }
  }, 240_000);
});
