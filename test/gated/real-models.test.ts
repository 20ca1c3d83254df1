/**
 * Gated tier: the real detector and segmenter, when their files are present.
 *   npx brushtalk weights pull grounding-dino-tiny slimsam-77
 *   WEIGHTS=1 npx vitest run test/gated
 * Skipped in CI (no weights can be downloaded there).
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { decodeImage, defaultDecodeLimits } from '../../src/images/codec.ts';
import { createDefaultVision, manifestPath } from '../../src/vision/models.ts';
import { findModel, loadManifest } from '../../weights/manifest.ts';
import { verifyModel } from '../../weights/manager.ts';
import { silentLog } from '../helpers/env.ts';
import { brightSquarePicture } from '../helpers/tiny-vision.ts';

const enabled = process.env.WEIGHTS === '1';

describe.skipIf(!enabled)('real models (WEIGHTS=1)', () => {
  const config = loadConfig();
  const manifest = loadManifest(manifestPath);

  it.each([config.models.detector, config.models.segmenter])('%s verifies: hashes and graph inputs/outputs match the manifest', async (id) => {
    const result = await verifyModel(findModel(manifest, id), config.weightsDir);
    expect(result.ok, JSON.stringify(result, null, 2)).toBe(true);
  }, 300_000);

  it('finds a white square on a dark picture and segments it inside its box', async () => {
    const vision = createDefaultVision(config, silentLog);
    try {
      const square = { x: 240, y: 160, w: 160, h: 160 };
      const image = await decodeImage(await brightSquarePicture(640, 480, square), defaultDecodeLimits);
      const found = await vision.detect(image, 'white square');
      expect(found.value.length).toBeGreaterThan(0);
      const best = found.value[0].box;
      expect(best.x + best.w / 2).toBeGreaterThan(square.x);
      expect(best.x + best.w / 2).toBeLessThan(square.x + square.w);
      const { value } = await vision.segment(image, 'gated-square', [best]);
      let inside = 0;
      let total = 0;
      for (let i = 0; i < value.mask.data.length; i++) {
        if (!value.mask.data[i]) continue;
        total++;
        const x = i % 640;
        const y = Math.floor(i / 640);
        if (x >= square.x - 8 && x < square.x + square.w + 8 && y >= square.y - 8 && y < square.y + square.h + 8) inside++;
      }
      expect(total).toBeGreaterThan(0);
      expect(inside / total).toBeGreaterThan(0.9);
    } finally {
      await vision.close();
    }
  }, 300_000);
});
