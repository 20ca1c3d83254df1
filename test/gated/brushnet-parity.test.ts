/**
 * Gated tier: the TypeScript BrushNet engine against references made by the official code (TencentARC/BrushNet's
 * models and schedulers) on tiny random models. weights/convert/parity_harness.py writes the folder and the
 * references, runs this file with BRUSHNET_PARITY_DIR=<its --out>, and prints the table from <out>/results.json:
 *   python weights/convert/parity_harness.py --brushnet-repo BrushNet --out /tmp/bt-parity [--fp16]
 * Skipped without BRUSHNET_PARITY_DIR (CI has no BrushNet clone). ONNX_PROVIDER=cuda runs it on the GPU.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBrushNetFolder, type BrushNetFolder } from '../../src/engines/brushnet/folder.ts';
import { loadBrushNetModels, type LoadedBrushNet } from '../../src/engines/brushnet/models.ts';
import { createBrushNetPipeline } from '../../src/engines/brushnet/pipeline.ts';
import type { SchedulerName } from '../../src/engines/brushnet/scheduler.ts';
import { createScheduler } from '../../src/engines/brushnet/schedulers/index.ts';
import type { OnnxProvider } from '../../src/onnx.ts';
import { writeClipTokenizer } from '../helpers/tiny-brushnet.ts';

const dir = process.env.BRUSHNET_PARITY_DIR;
const provider = (process.env.ONNX_PROVIDER ?? 'cpu') as OnnxProvider;

interface Fixtures {
  tensors: Record<string, { dims: number[]; file: string }>;
  height: number;
  width: number;
  steps: number;
  guidance: number;
  conditioningScale: number;
  scalingFactor: number;
  timesteps: Record<string, number[]>;
  dtype: 'fp32' | 'fp16';
}

interface Stat {
  max_abs: number;
  rel_l2: number;
}

function compare(got: Float32Array, want: Float32Array): Stat {
  expect(got.length).toBe(want.length);
  let maxAbs = 0;
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    const d = got[i] - want[i];
    maxAbs = Math.max(maxAbs, Math.abs(d));
    num += d * d;
    den += want[i] * want[i];
  }
  return { max_abs: maxAbs, rel_l2: Math.sqrt(num) / (Math.sqrt(den) || 1) };
}

describe.skipIf(!dir)('BrushNet parity with the official code (BRUSHNET_PARITY_DIR)', () => {
  let fx: Fixtures;
  let weights: string;
  let folder: BrushNetFolder;
  let models: LoadedBrushNet;
  const results: Record<string, Stat> = {};
  const read = (name: string): Float32Array => {
    const bytes = fs.readFileSync(path.join(dir!, 'fixtures', fx.tensors[name].file));
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  };
  const fp16 = () => fx.dtype === 'fp16';

  beforeAll(async () => {
    fx = JSON.parse(fs.readFileSync(path.join(dir!, 'fixtures', 'fixtures.json'), 'utf8')) as Fixtures;
    weights = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-parity-'));
    fs.cpSync(path.join(dir!, 'model'), path.join(weights, 'parity'), { recursive: true });
    // A random-init export has no tokenizer; the parity injects the embeddings, so any CLIP tokenizer will do.
    if (!fs.existsSync(path.join(weights, 'parity', 'tokenizer', 'tokenizer.json'))) writeClipTokenizer(path.join(weights, 'parity', 'tokenizer'));
    folder = readBrushNetFolder(weights, 'parity');
    models = await loadBrushNetModels(weights, 'parity', folder, provider);
  });
  afterAll(async () => {
    await models?.release();
    if (weights) fs.rmSync(weights, { recursive: true, force: true });
    if (dir) fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results, null, 1));
  });

  it('one fused step (brushnet() then unet())', async () => {
    const [batch, , h, w] = fx.tensors['step.sample'].dims;
    const got = await models.denoise({
      sample: read('step.sample'),
      timestep: read('step.timestep')[0],
      encoderHiddenStates: read('step.encoder_hidden_states'),
      cond: read('step.brushnet_cond'),
      conditioningScale: read('step.conditioning_scale')[0],
      batch,
      latentHeight: h,
      latentWidth: w,
    });
    results.step = compare(got, read('step.noise_pred'));
    if (fp16()) expect(results.step.rel_l2).toBeLessThanOrEqual(2e-3);
    else expect(results.step.max_abs).toBeLessThanOrEqual(1e-4);
  });

  it('VAE encoder mean and decoder', async () => {
    const [, , height, width] = fx.tensors['vae.image'].dims;
    results.vae_encode = compare(await models.encodeImage(read('vae.image'), 1, height, width), read('vae.latent_mean'));
    const [, , h, w] = fx.tensors['vae.latent'].dims;
    results.vae_decode = compare(await models.decode(read('vae.latent'), 1, h, w), read('vae.decoded'));
    expect(results.vae_encode.rel_l2).toBeLessThanOrEqual(fp16() ? 3e-3 : 1e-4);
    expect(results.vae_decode.rel_l2).toBeLessThanOrEqual(fp16() ? 3e-3 : 1e-4);
  });

  for (const name of ['unipc', 'ddim'] as SchedulerName[]) {
    it(`5-step guided pipeline, ${name}: same timesteps, final latents`, async () => {
      const { width, height } = fx;
      const rgb = read('pipeline.rgb');
      const holeValues = read('pipeline.hole');
      const embeds = read('pipeline.embeds');
      const row = embeds.length / 2;
      let finalLatents: Float32Array | undefined;
      // The embeddings are given (row 0 uncond, row 1 cond): the text encoder is not part of this comparison.
      const pipeline = createBrushNetPipeline(
        {
          ...models,
          tokenize: (text) => [text === 'uncond' ? 0 : 1],
          encodeText: async (ids) => {
            const out = new Float32Array(ids.length * row);
            ids.forEach((r, i) => out.set(embeds.subarray(r[0] * row, (r[0] + 1) * row), i * row));
            return out;
          },
          decode: (latents, ...rest) => ((finalLatents = latents), models.decode(latents, ...rest)),
        },
        folder,
      );
      const scheduler = (steps: number) => createScheduler(name, steps, folder.schedule);
      expect(scheduler(fx.steps).timesteps).toEqual(fx.timesteps[name]);
      await pipeline.run(
        {
          image: { width, height, data: Uint8Array.from(rgb) },
          hole: { width, height, data: Uint8Array.from(holeValues) },
          prompt: 'cond',
          negativePrompt: 'uncond',
          seed: 0,
          steps: fx.steps,
          guidance: fx.guidance,
          conditioningScale: fx.conditioningScale,
          initialNoise: read('pipeline.noise'),
        },
        { createScheduler: scheduler },
      );
      const latents = Float32Array.from(finalLatents!, (v) => v * folder.scalingFactor);
      results[`pipeline_${name}`] = compare(latents, read(`pipeline.${name}.latents`));
      expect(results[`pipeline_${name}`].rel_l2).toBeLessThanOrEqual(fp16() ? 3e-3 : 1e-4);
    });
  }
});
