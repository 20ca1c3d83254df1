import { InferenceSession } from 'onnxruntime-node';

/**
 * The one module that imports onnxruntime-node (transformers.js brings the same pinned copy for its own
 * sessions). Everything else asks this module for what it needs, so the runtime's options, providers and
 * version live in one place.
 */

export interface GraphSignature {
  inputs: string[];
  outputs: string[];
}

/**
 * The input and output names of an ONNX graph, read by really loading it (so a truncated or corrupt file
 * fails here, not at the first edit). The session is released at once: this is a check, not a model cache.
 */
export async function graphSignature(file: string): Promise<GraphSignature> {
  const session = await InferenceSession.create(file, { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled' });
  try {
    return { inputs: [...session.inputNames], outputs: [...session.outputNames] };
  } finally {
    await session.release();
  }
}
