import type { Config } from '../config.ts';
import { isBrushtalkError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { checkModel, manifestPath } from '../vision/models.ts';
import { loadManifest } from '../../weights/manifest.ts';
import { createClassicalEngine } from './classical.ts';
import type { InpaintEngine } from './engine.ts';

/**
 * BrushNet when its model folder is complete and its provider really runs (verifyProvider), else the classical engine — and the
 * log (and every edit's reply) says which. `checkModel` compares the folder with the manifest or the lock
 * file by size: hashing gigabytes at every start would be too slow (`npx brushtalk weights verify` does that).
 * The BrushNet engine (and onnxruntime with it) is only imported once its model folder is there.
 */
export async function selectEngine(config: Config, log: Logger, checkModel: (id: string) => void): Promise<InpaintEngine> {
  const { model, provider, scheduler } = config.brushnet;
  try {
    checkModel(model);
    const { createBrushNetEngine } = await import('./brushnet/engine.ts');
    // A GPU provider must prove it really runs (a tiny graph, no CPU fallback) before BrushNet is chosen.
    const { verifyProvider } = await import('../onnx.ts');
    const check = provider === 'cpu' ? undefined : await verifyProvider(provider);
    const engine = createBrushNetEngine({ weightsDir: config.weightsDir, modelId: model, provider, scheduler });
    log.info({ model, provider, scheduler, ...(check && { executionProvider: check.executionProvider, checkMs: check.ms }) }, 'engine: brushnet');
    return engine;
  } catch (error) {
    if (!isBrushtalkError(error) || !['weights.missing', 'weights.corrupt', 'engine.unavailable'].includes(error.code)) throw error;
    log.info({ model, reason: error.userMessage }, 'engine: classical (BrushNet is not available)');
    // Missing weights are the ordinary case (the status panel says how to get them); a failure is worth showing.
    const classical = createClassicalEngine();
    return error.code === 'weights.missing' ? classical : Object.assign(classical, { standingInFor: error.userMessage });
  }
}

/** The engine this install can run, judged from the weights folder (workers and the embedded service alike). */
export function createDefaultEngine(config: Config, log: Logger): Promise<InpaintEngine> {
  return selectEngine(config, log, (id) => checkModel(loadManifest(manifestPath), config.weightsDir, 'inpainting', id, 'brushtalk.json'));
}
