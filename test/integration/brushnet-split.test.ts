/**
 * The two-graph BrushNet step (src/engines/brushnet/split.ts) against the fused step, on cheap graphs with the
 * real SD1.5 residual shapes (test/helpers/split-graphs.ts): same noise_pred, the branch really runs at half
 * the batch under guidance, and the byte counts the bench reports.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBrushNetFolder } from '../../src/engines/brushnet/folder.ts';
import { loadBrushNetModels, type LoadedBrushNet } from '../../src/engines/brushnet/models.ts';
import { createBrushNetPipeline } from '../../src/engines/brushnet/pipeline.ts';
import { createScheduler } from '../../src/engines/brushnet/schedulers/index.ts';
import { brushNetResiduals, createSplitDenoiser, identicalHalves, residualElements, residualShape, residualTraffic } from '../../src/engines/brushnet/split.ts';
import type { DenoiseInputs } from '../../src/engines/brushnet/pipeline.ts';
import { Tensor } from '../../src/onnx.ts';
import { fusedDenoiser, guidedStepInputs, openSplitGraphs, type SplitGraphSessions } from '../helpers/split-graphs.ts';
import { tinyBrushNetId, writeTinyBrushNet } from '../helpers/tiny-brushnet.ts';

function expectClose(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (1e-3 + Math.abs(expected[i])));
  expect(worst).toBeLessThan(1e-5);
}

let dir: string;
let graphs: SplitGraphSessions;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-split-'));
  graphs = await openSplitGraphs(dir);
});

afterAll(async () => {
  await graphs?.release();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('BrushNet residual contract', () => {
  it('has 12 down, 1 mid and 15 up residuals with the design shapes at 512² (72.4 MB per step in fp16 at batch 2)', () => {
    expect(brushNetResiduals.map((s) => s.name.split('_')[0])).toEqual([...Array(12).fill('down'), 'mid', ...Array(15).fill('up')]);
    const at64 = brushNetResiduals.map((s) => residualShape(s, 1, 64, 64).slice(1).join('x'));
    expect(at64).toEqual([
      ...Array(3).fill('320x64x64'), '320x32x32', '640x32x32', '640x32x32', '640x16x16', '1280x16x16', '1280x16x16', ...Array(3).fill('1280x8x8'),
      '1280x8x8',
      ...Array(3).fill('1280x8x8'), ...Array(4).fill('1280x16x16'), '1280x32x32', ...Array(3).fill('640x32x32'), '640x64x64', ...Array(3).fill('320x64x64'),
    ]);
    expect(residualElements(1, 64, 64)).toBe(18_104_320);
    expect(residualElements(2, 64, 64) * 2).toBe(72_417_280);
    // Split with host duplication at B = 1, fp16: 36.2 MB out of the branch, 72.4 MB into the UNet.
    expect(residualTraffic(1, 2, 64, 64, 2)).toEqual({ deviceToHost: 36_208_640, hostToDevice: 72_417_280, total: 108_625_920 });
  });

  it('the branch graph really returns 28 tensors of those shapes', async () => {
    const x = guidedStepInputs(1, 64, 64);
    const out = await graphs.branch.run({
      sample: new Tensor('float32', x.sample.subarray(0, 4 * 64 * 64), [1, 4, 64, 64]),
      timestep: new Tensor('float32', Float32Array.of(x.timestep), [1]),
      brushnet_cond: new Tensor('float32', x.cond.subarray(0, 5 * 64 * 64), [1, 5, 64, 64]),
      conditioning_scale: new Tensor('float32', Float32Array.of(1), [1]),
    });
    expect(Object.keys(out)).toHaveLength(28);
    for (const spec of brushNetResiduals) expect(out[spec.name].dims).toEqual(residualShape(spec, 1, 64, 64));
  }, 30_000);
});

describe('split step vs fused step', () => {
  const cases: [number, number, number][] = [
    [1, 64, 64],
    [2, 32, 48],
    [1, 65, 80], // 520×640: odd sides, residual sizes rounded up as the real UNet does
  ];
  it.each(cases)('B = %i at %i×%i latent: same noise_pred, branch at batch B', async (samples, h, w) => {
    const x = guidedStepInputs(samples, h, w, samples * 7 + h);
    const fused = await fusedDenoiser(graphs.fused).denoise(x);
    const split = createSplitDenoiser(graphs.branch, graphs.unet);
    const viaSplit = await split.denoise(x);
    expectClose(viaSplit, fused);
    expect(split.stats.halvedSteps).toBe(1);
    expect(split.stats.residualBytesOut).toBe(residualElements(samples, h, w) * 4);
    expect(split.stats.residualBytesIn).toBe(residualElements(2 * samples, h, w) * 4);

    const tiling = createSplitDenoiser(graphs.branch, graphs.unetTiling, { unetTilesResiduals: true });
    expectClose(await tiling.denoise(x), fused);
    expect(tiling.stats.residualBytesIn).toBe(residualElements(samples, h, w) * 4);
    expect(tiling.stats.residualBytesOut).toBe(residualElements(samples, h, w) * 4);

    expectClose(await fusedDenoiser(graphs.fusedHalfBranch, { condBatch: 'half' }).denoise(x), fused);
  }, 30_000);

  it('the guidance halves really differ (text) so equality is not vacuous', async () => {
    const x = guidedStepInputs(1, 64, 64);
    const out = await fusedDenoiser(graphs.fused).denoise(x);
    expect(identicalHalves(out)).toBe(false);
    const scaled = await fusedDenoiser(graphs.fused).denoise({ ...x, conditioningScale: 0 });
    expect(scaled[0]).not.toBeCloseTo(out[0], 4); // the residuals reach noise_pred
  });

  it('runs the branch at the full batch when the halves differ (no guidance, or different latents)', async () => {
    const x = guidedStepInputs(1, 64, 64);
    const skewed: DenoiseInputs = { ...x, sample: Float32Array.from(x.sample, (v, i) => (i === x.sample.length - 1 ? v + 1 : v)) };
    const split = createSplitDenoiser(graphs.branch, graphs.unet);
    expectClose(await split.denoise(skewed), await fusedDenoiser(graphs.fused).denoise(skewed));
    expect(split.stats.halvedSteps).toBe(0);
    expect(split.stats.residualBytesIn).toBe(split.stats.residualBytesOut); // nothing duplicated
    expect(split.stats.residualBytesOut).toBe(residualElements(2, 64, 64) * 4);
    const tiling = createSplitDenoiser(graphs.branch, graphs.unetTiling, { unetTilesResiduals: true });
    await expect(tiling.denoise(skewed)).rejects.toThrow(/identical halves/);
  }, 30_000);
});

describe('inside the real pipeline', () => {
  let weights: string;
  let models: LoadedBrushNet;
  beforeAll(async () => {
    weights = path.join(dir, 'weights');
    writeTinyBrushNet(weights);
    models = await loadBrushNetModels(weights, tinyBrushNetId, readBrushNetFolder(weights, tinyBrushNetId), 'cpu');
  });
  afterAll(async () => {
    await models?.release();
  });

  it('the pipeline’s guided steps qualify for the half-batch branch, and the images match the fused graph’s', async () => {
    const image = { width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).fill(90) };
    const hole = { width: 64, height: 48, data: new Uint8Array(64 * 48).map((_, i) => (i % 64 > 20 && i % 64 < 44 ? 1 : 0)) };
    const request = { image, hole, prompt: 'a cat', seed: 3, steps: 4, guidance: 7.5, conditioningScale: 1, samples: 2 };
    const options = { createScheduler: (steps: number) => createScheduler('ddim', steps, readBrushNetFolder(weights, tinyBrushNetId).schedule) };
    const split = createSplitDenoiser(graphs.branch, graphs.unet);
    const fused = await createBrushNetPipeline({ ...models, denoise: fusedDenoiser(graphs.fused).denoise }).run(request, options);
    const viaSplit = await createBrushNetPipeline({ ...models, denoise: split.denoise }).run(request, options);
    expect(split.stats.steps).toBe(4);
    expect(split.stats.halvedSteps).toBe(4);
    for (let k = 0; k < 2; k++) {
      let worst = 0;
      fused.images[k].data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - viaSplit.images[k].data[i]))));
      expect(worst).toBeLessThanOrEqual(1);
    }
  });
});
