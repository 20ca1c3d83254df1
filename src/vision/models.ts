import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrushtalkError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { loadManifest, type Manifest } from '../../weights/manifest.ts';
import { requireModel } from '../../weights/manager.ts';
import { createVisionService, type VisionService } from './service.ts';

export const manifestPath = fileURLToPath(new URL('../../weights/manifest.json', import.meta.url));

/**
 * Check a configured model before use. Models in weights/manifest.json are checked against it (and the
 * missing-model message names the pull command); a custom id (your own export) only needs its folder.
 */
export function checkModel(manifest: Manifest, weightsDir: string, role: string, id: string, marker = 'config.json'): void {
  if (manifest.models.some((m) => m.id === id)) {
    requireModel(id, manifest, weightsDir);
    return;
  }
  if (!fs.existsSync(path.join(weightsDir, id, marker))) {
    throw new BrushtalkError(
      'weights.missing',
      `The ${role} model "${id}" is not in weights/manifest.json and ${path.join(weightsDir, id)} has no ${marker}. ` +
        'Put a transformers.js model folder there, or pick a listed model (npx brushtalk weights list).',
    );
  }
}

export interface VisionConfig {
  weightsDir: string;
  dataDir: string;
  models: { detector: string; segmenter: string };
}

/** Checks the configured detector or segmenter; throws the worded 'weights.missing' when absent. */
export function modelChecker(config: VisionConfig): (kind: 'detector' | 'segmenter') => void {
  const manifest = loadManifest(manifestPath);
  return (kind) => checkModel(manifest, config.weightsDir, kind, config.models[kind]);
}

/** The default vision service: the configured detector and segmenter under WEIGHTS_DIR, in a worker thread. */
export function createDefaultVision(config: VisionConfig, log: Logger): VisionService {
  return createVisionService({
    weightsDir: config.weightsDir,
    detectorId: config.models.detector,
    segmenterId: config.models.segmenter,
    cacheDir: path.join(config.dataDir, 'cache', 'embeddings'),
    log,
    requireModel: modelChecker(config),
  });
}
