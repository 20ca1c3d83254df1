import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { InferenceSession, Tensor, listSupportedBackends } from 'onnxruntime-node';
import { BrushtalkError } from './errors.ts';

/**
 * The one module that imports onnxruntime-node (transformers.js brings the same pinned copy for its own
 * sessions). Everything else asks this module for what it needs, so the runtime's options, providers and
 * version live in one place.
 */

export { Tensor };
export type OnnxSession = InferenceSession;
export type OnnxFeeds = InferenceSession.FeedsType;

/** The execution providers brushtalk knows how to ask for. */
export type OnnxProvider = 'cpu' | 'cuda' | 'webgpu';

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

// The CUDA provider is not in the npm tarball: onnxruntime-node's install script downloads these next to the
// binding, and package.json turns that script off by default, so most installs lack them.
const cudaLibraries = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];
const cudaHowTo =
  'Install them with: ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node ' +
  '(needs internet once, plus the CUDA 12 and cuDNN 9 runtime libraries on the library path), or set ONNX_PROVIDER=cpu.';

function bindingDir(): string {
  const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
  return path.join(path.dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

/**
 * Fail early, with the fix in the message, when a provider's native parts are not installed. Checking the
 * files first also keeps onnxruntime's own multi-line "Failed to load shared library" noise out of the logs.
 */
export function checkProvider(provider: OnnxProvider): void {
  if (provider === 'cpu') return;
  const backend = listSupportedBackends().find((b) => b.name === provider);
  if (!backend) {
    throw new BrushtalkError('engine.unavailable', `This onnxruntime-node build (${process.platform}/${process.arch}) has no ${provider} provider. Set ONNX_PROVIDER=cpu.`);
  }
  if (provider === 'cuda' && !backend.bundled) {
    const dir = bindingDir();
    const missing = cudaLibraries.filter((file) => !fs.existsSync(path.join(dir, file)));
    if (missing.length > 0) {
      throw new BrushtalkError('engine.unavailable', `ONNX_PROVIDER=cuda, but onnxruntime-node's CUDA binaries are not installed (${dir} lacks ${missing.join(', ')}). ${cudaHowTo}`);
    }
  }
}

export interface OpenSessionOptions {
  provider?: OnnxProvider;
}

/**
 * Load a graph for repeated runs on one provider. A provider that cannot start (a CUDA library that will not
 * load, no WebGPU adapter) becomes 'engine.unavailable'; other load errors (a corrupt file) are rethrown as is
 * for the caller to word.
 */
export async function openSession(file: string, options: OpenSessionOptions = {}): Promise<OnnxSession> {
  const provider = options.provider ?? 'cpu';
  checkProvider(provider);
  try {
    return await InferenceSession.create(file, { executionProviders: [provider], graphOptimizationLevel: 'all' });
  } catch (cause) {
    const text = cause instanceof Error ? cause.message : String(cause);
    if (provider === 'cuda' && /shared librar|cuda|cudnn|cublas/i.test(text)) {
      throw new BrushtalkError('engine.unavailable', `The CUDA provider failed to start: ${firstLine(text)}. ${cudaHowTo}`, { cause });
    }
    if (provider === 'webgpu' && /adapter|webgpu|vulkan/i.test(text)) {
      throw new BrushtalkError('engine.unavailable', `The WebGPU provider found no usable GPU adapter (${firstLine(text)}). Install GPU drivers with Vulkan support, or set ONNX_PROVIDER=cpu.`, { cause });
    }
    throw cause;
  }
}

/** The element type a session expects for an input ('float32', 'int64', …), or undefined for non-tensors. */
export function inputType(session: OnnxSession, name: string): string | undefined {
  const meta = session.inputMetadata.find((m) => m.name === name);
  return meta?.isTensor ? meta.type : undefined;
}

/** The declared shape of a tensor input: numbers for fixed axes, strings for named (dynamic) ones; undefined if unknown. */
export function inputShape(session: OnnxSession, name: string): ReadonlyArray<number | string> | undefined {
  const meta = session.inputMetadata.find((m) => m.name === name);
  return meta?.isTensor && meta.shape.length > 0 ? meta.shape : undefined;
}

function firstLine(text: string): string {
  return text.split('\n')[0].slice(0, 300);
}
