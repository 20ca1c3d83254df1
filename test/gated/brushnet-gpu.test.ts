/**
 * Gated tier: the real BrushNet graphs on a GPU, when exported (weights/convert/README.md) and the CUDA
 * provider is installed (ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node).
 *   GPU=1 ONNX_PROVIDER=cuda BRUSHNET_MODEL=brushnet-sd15 npx vitest run test/gated
 * Skipped in CI (no GPU, no weights).
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createBrushNetEngine } from '../../src/engines/brushnet/engine.ts';
import { blendImages } from '../../src/images/blend.ts';
import { ellipseMask } from '../../src/images/mask-ops.ts';
import { verifyProvider } from '../../src/onnx.ts';
import { testPicture } from '../helpers/images.ts';

describe.skipIf(process.env.GPU !== '1')('BrushNet on a GPU (GPU=1)', () => {
  it('the start-up check proves the provider runs the check graph itself', async () => {
    const provider = loadConfig().brushnet.provider;
    const check = await verifyProvider(provider);
    expect(check.nodes[check.executionProvider]).toBeGreaterThan(0);
    expect(Object.keys(check.nodes).filter((ep) => ep !== check.executionProvider)).toEqual([]);
  }, 120_000);

  it('inpaints 512² in 25 steps: right size, seeded, background kept after blending, and reports its timings', async () => {
    const config = loadConfig();
    const engine = createBrushNetEngine({ weightsDir: config.weightsDir, modelId: config.brushnet.model, provider: config.brushnet.provider, scheduler: config.brushnet.scheduler });
    try {
      const image = testPicture(512, 512);
      const hole = ellipseMask(512, 512, { x: 160, y: 160, w: 192, h: 160 });
      const request = { image, hole, caption: 'a wooden table in a bright kitchen', seed: 42, steps: 25, guidance: 7.5, strength: 1 };
      const first = await engine.inpaint(request, new AbortController().signal, () => {});
      const again = await engine.inpaint(request, new AbortController().signal, () => {});
      expect([first.image.width, first.image.height]).toEqual([512, 512]);
      expect(Buffer.from(first.image.data).equals(Buffer.from(again.image.data))).toBe(true);
      const blended = blendImages(image, first.image, hole);
      expect(blended.data[0]).toBe(image.data[0]);
      console.log('brushnet gpu timings', first.info);
    } finally {
      await engine.close();
    }
  }, 600_000);
});
