import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDataDir } from '../helpers/env.ts';
import { changesAroundBox, pictureFile, readRgb, testPicture } from '../helpers/images.ts';
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
      const { changedOutside, changedInside } = changesAroundBox(output, testPicture(160, 120), { x: 50, y: 40, w: 40, h: 30 });
      expect(changedOutside, 'pixels outside the feathered mask changed').toEqual([]);
      expect(changedInside).toBeGreaterThan(0);

      const fallback = await run({ BRUSHNET_MODEL: 'not-installed' }, 'classic');
      expect(fallback.stdout).toMatch(/Editing with classical\b/);
    } finally {
      temp.cleanup();
    }
  }, 240_000);
});
