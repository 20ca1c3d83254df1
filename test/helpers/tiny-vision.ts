import fs from 'node:fs';
import sharp from 'sharp';
import type { Box } from '../../src/contracts.ts';
import { writeTinyDetector, tinyDetectorId } from './tiny-detector.ts';
import { writeTinySam } from './tiny-sam.ts';

export const tinySamId = 'tiny-sam';

/** A weights folder holding the tiny detector and segmenter; returns the env that selects them. */
export function writeTinyVision(weightsDir: string): Record<string, string> {
  fs.mkdirSync(weightsDir, { recursive: true });
  writeTinyDetector(weightsDir, tinyDetectorId);
  writeTinySam(weightsDir, tinySamId, { withBoxes: true });
  return { WEIGHTS_DIR: weightsDir, DETECTOR_MODEL: tinyDetectorId, SEGMENTER_MODEL: tinySamId };
}

/** A dark picture with one bright square: the tiny detector's "object". */
export async function brightSquarePicture(width: number, height: number, square: Box): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 30, g: 40, b: 50 } } })
    .composite([{ input: { create: { width: square.w, height: square.h, channels: 3, background: '#fff' } }, left: square.x, top: square.y }])
    .png()
    .toBuffer();
}
