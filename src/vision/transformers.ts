import * as transformers from '@huggingface/transformers';

/**
 * The one module that imports @huggingface/transformers. It is configured offline-only: models load from
 * `<weightsDir>/<model id>/` in the transformers.js folder layout and nothing is ever fetched from a hub at
 * run time (`npx brushtalk weights pull` is the only thing that downloads). transformers.js runs on the
 * same onnxruntime-node as src/onnx.ts (one copy in the tree, pinned to the same version).
 */
export function offlineTransformers(weightsDir: string): typeof transformers {
  const { env } = transformers;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = weightsDir.endsWith('/') ? weightsDir : `${weightsDir}/`;
  env.useBrowserCache = false;
  return transformers;
}

/** Options every from_pretrained call uses: local files only, fp32 graphs, onnxruntime's CPU provider. */
export const localModelOptions = { local_files_only: true, dtype: 'fp32', device: 'cpu' } as const;
