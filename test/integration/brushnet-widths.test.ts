import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBrushNetFolder } from '../../src/engines/brushnet/folder.ts';
import { loadBrushNetModels } from '../../src/engines/brushnet/models.ts';
import { createBrushNetPipeline, type DenoiseInputs } from '../../src/engines/brushnet/pipeline.ts';
import { createScheduler } from '../../src/engines/brushnet/schedulers/index.ts';
import type { Mask } from '../../src/images/raster.ts';
import { writeTinyBrushNet } from '../helpers/tiny-brushnet.ts';

/**
 * The text width is the base model's (brushtalk.json textDim, from the UNet's cross_attention_dim), not a constant:
 * a folder exported from a model with another width runs, and a folder whose graphs disagree with its JSON is refused
 * at load with the fix, not at the first run() with an onnxruntime shape error.
 */
let weightsDir: string;
beforeAll(() => {
  weightsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-widths-'));
  writeTinyBrushNet(weightsDir, 'narrow', { textDim: 32 });
  writeTinyBrushNet(weightsDir, 'mixed', { textDim: 32 });
  const json = path.join(weightsDir, 'mixed', 'brushtalk.json');
  fs.writeFileSync(json, JSON.stringify({ ...JSON.parse(fs.readFileSync(json, 'utf8')), textDim: 768 }));
});
afterAll(() => fs.rmSync(weightsDir, { recursive: true, force: true }));

const W = 32;
const H = 24;
const hole: Mask = { width: W, height: H, data: new Uint8Array(W * H).map((_, i) => (i % W >= 8 && i % W < 24 ? 1 : 0)) };

describe('BrushNet widths from brushtalk.json', () => {
  it('reads textDim and runs a 32-wide text encoder end to end', async () => {
    const folder = readBrushNetFolder(weightsDir, 'narrow');
    expect(folder.textDim).toBe(32);
    const models = await loadBrushNetModels(weightsDir, 'narrow', folder, 'cpu');
    try {
      const seen: DenoiseInputs[] = [];
      const pipeline = createBrushNetPipeline({ ...models, denoise: (inputs) => (seen.push(inputs), models.denoise(inputs)) }, folder);
      const run = (prompt: string) =>
        pipeline.run(
          { image: { width: W, height: H, data: new Uint8Array(W * H * 3).fill(90) }, hole, prompt, seed: 3, steps: 4, guidance: 2, conditioningScale: 1 },
          { createScheduler: (steps) => createScheduler('ddim', steps, folder.schedule) },
        );
      const a = await run('cat cat cat cat cat cat cat cat cat cat cat cat');
      const b = await run('dog dog dog dog dog dog dog dog dog dog dog dog');
      expect(seen[0].encoderHiddenStates.length).toBe(2 * 77 * 32);
      // the text reaches the hole: two prompts give two fills
      expect(Buffer.from(a.images[0].data).equals(Buffer.from(b.images[0].data))).toBe(false);
    } finally {
      await models.release();
    }
  });

  it('refuses graphs whose fixed text width disagrees with the JSON, naming both and the fix', async () => {
    const folder = readBrushNetFolder(weightsDir, 'mixed');
    await expect(loadBrushNetModels(weightsDir, 'mixed', folder, 'cpu')).rejects.toMatchObject({
      code: 'weights.corrupt',
      message: expect.stringMatching(/encoder_hidden_states with 32 on axis 2 but brushtalk.json says textDim 768.*export it again/),
    });
  });

  it('a folder without textDim is SD1.5’s 768', () => {
    const json = path.join(weightsDir, 'narrow', 'brushtalk.json');
    const { textDim: _, ...older } = JSON.parse(fs.readFileSync(json, 'utf8'));
    fs.mkdirSync(path.join(weightsDir, 'older'));
    fs.cpSync(path.join(weightsDir, 'narrow'), path.join(weightsDir, 'older'), { recursive: true });
    fs.writeFileSync(path.join(weightsDir, 'older', 'brushtalk.json'), JSON.stringify(older));
    expect(readBrushNetFolder(weightsDir, 'older').textDim).toBe(768);
  });
});
