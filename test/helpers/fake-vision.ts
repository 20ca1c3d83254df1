import type { Box } from '../../src/contracts.ts';
import { BrushtalkError } from '../../src/errors.ts';
import { boxMask, unionMask } from '../../src/images/mask-ops.ts';
import type { RgbImage } from '../../src/images/raster.ts';
import type { VisionService } from '../../src/vision/service.ts';

/**
 * A vision service we own, for turn tests: "finds" the boxes it was given for a phrase and segments a box as
 * its exact rectangle. The real detector and segmenter are tested on tiny ONNX models elsewhere.
 */
export function fakeVision(found: Record<string, { box: Box; score: number }[]>, options: { segmenter?: boolean } = {}) {
  const calls = { detect: [] as string[], segment: [] as Box[][] };
  const service: VisionService = {
    async detect(_image: RgbImage, phrase: string) {
      calls.detect.push(phrase);
      return { value: (found[phrase] ?? []).map((d) => ({ ...d, label: phrase })), timings: { detect: 1 } };
    },
    async segment(image: RgbImage, _key: string, boxes: Box[]) {
      calls.segment.push(boxes);
      if (options.segmenter === false) throw new BrushtalkError('weights.missing', 'The segmenter model is not installed. Run: npx brushtalk weights pull slimsam-77');
      const mask = boxes.map((b) => boxMask(image.width, image.height, b)).reduce((a, b) => unionMask(a, b));
      return { value: { mask, score: 0.9 }, timings: { decode: 1 } };
    },
    async close() {},
  };
  return { service, calls };
}
