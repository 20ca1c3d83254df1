import fs from 'node:fs';
import os from 'node:os';
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
const cudaNoDevice = 'Check that `nvidia-smi` lists a GPU, that its driver supports CUDA 12 and that CUDA_VISIBLE_DEVICES does not hide it, or set ONNX_PROVIDER=cpu.';
const webgpuHowTo = 'Install GPU drivers with Vulkan support (`vulkaninfo --summary` must list your GPU; on Debian/Ubuntu: libvulkan1 plus the vendor driver), or set ONNX_PROVIDER=cpu.';

/** The name onnxruntime gives each provider in its profiles and logs. */
export const executionProviderName: Record<OnnxProvider, string> = { cpu: 'CPUExecutionProvider', cuda: 'CUDAExecutionProvider', webgpu: 'WebGpuExecutionProvider' };

export function bindingDir(): string {
  const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
  return path.join(path.dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

export interface ProviderFileCheck {
  /** Where the CUDA provider libraries must be (default: next to onnxruntime-node's binding). */
  bindingDir?: string;
  /** The backends this onnxruntime-node build offers (default: its own listSupportedBackends()). */
  backends?: ReadonlyArray<{ name: string; bundled: boolean }>;
}

/**
 * Fail early, with the fix in the message, when a provider's native parts are not installed. Checking the
 * files first also keeps onnxruntime's own multi-line "Failed to load shared library" noise out of the logs.
 * This only looks at files; verifyProvider proves the provider really runs.
 */
export function checkProvider(provider: OnnxProvider, options: ProviderFileCheck = {}): void {
  if (provider === 'cpu') return;
  const backend = (options.backends ?? listSupportedBackends()).find((b) => b.name === provider);
  if (!backend) {
    throw new BrushtalkError('engine.unavailable', `This onnxruntime-node build (${process.platform}/${process.arch}) has no ${provider} provider. Set ONNX_PROVIDER=cpu.`);
  }
  if (provider === 'cuda' && !backend.bundled) {
    const dir = options.bindingDir ?? bindingDir();
    const missing = cudaLibraries.filter((file) => !fs.existsSync(path.join(dir, file)));
    if (missing.length > 0) {
      throw new BrushtalkError('engine.unavailable', `ONNX_PROVIDER=cuda, but onnxruntime-node's CUDA binaries are not installed (${dir} lacks ${missing.join(', ')}). ${cudaHowTo}`);
    }
  }
}

/**
 * onnxruntime's error from starting a session on `provider`, worded with its fix; undefined when the error is
 * not about the provider (a corrupt file, say), for the caller to word.
 */
export function explainProviderError(provider: OnnxProvider, cause: unknown): BrushtalkError | undefined {
  const text = cause instanceof Error ? cause.message : String(cause);
  const first = firstLine(text);
  if (/fallback to CPU EP has been explicitly disabled/i.test(text)) return notActiveError(provider, `onnxruntime wanted to run nodes of the check graph on the CPU`, cause);
  if (provider === 'cuda' && /no CUDA-capable device|CUDA failure|cudaError|CUDA driver version is insufficient/i.test(text)) {
    return new BrushtalkError('engine.unavailable', `The CUDA provider loaded but could not use a GPU (${first}). ${cudaNoDevice}`, { cause });
  }
  if (provider === 'cuda' && /shared librar|cuda|cudnn|cublas/i.test(text)) {
    return new BrushtalkError('engine.unavailable', `The CUDA provider failed to start: ${first}. ${cudaHowTo}`, { cause });
  }
  if (provider === 'webgpu' && /adapter|webgpu|vulkan|dawn/i.test(text)) {
    return new BrushtalkError('engine.unavailable', `The WebGPU provider found no usable GPU adapter (${first}). ${webgpuHowTo}`, { cause });
  }
  return undefined;
}

function notActiveError(provider: OnnxProvider, what: string, cause?: unknown): BrushtalkError {
  const fix = provider === 'cuda' ? cudaNoDevice : provider === 'webgpu' ? webgpuHowTo : '';
  return new BrushtalkError('engine.unavailable', `ONNX_PROVIDER=${provider} is set, but the provider is not really active: ${what}, not on ${executionProviderName[provider]}. ${fix}`.trim(), { cause });
}

/** How many nodes each execution provider ran, from an onnxruntime profile (a JSON array of trace events). */
export function nodePlacement(profile: unknown): Record<string, number> {
  const counts: Record<string, number> = {};
  if (!Array.isArray(profile)) return counts;
  for (const event of profile as Array<{ cat?: string; args?: { provider?: unknown } }>) {
    const ep = event?.cat === 'Node' ? event.args?.provider : undefined;
    if (typeof ep === 'string') counts[ep] = (counts[ep] ?? 0) + 1;
  }
  return counts;
}

/** Throws the worded 'engine.unavailable' when a profile shows nodes ran, none of them on `provider`. */
export function assertPlacement(provider: OnnxProvider, nodes: Record<string, number>): void {
  const ran = Object.entries(nodes).filter(([, n]) => n > 0);
  if (ran.length === 0 || (nodes[executionProviderName[provider]] ?? 0) > 0) return;
  throw notActiveError(provider, `onnxruntime ran the check graph on ${ran.map(([ep, n]) => `${ep} (${n} node${n === 1 ? '' : 's'})`).join(', ')}`);
}

export interface ProviderReport {
  provider: OnnxProvider;
  executionProvider: string;
  /** Nodes of the check graph per execution provider, as onnxruntime's profile recorded them. */
  nodes: Record<string, number>;
  ms: number;
}

// z = x · y on [1, 4] floats (opset 17): built with onnx-proto by the test helpers and pasted here, so the
// check needs no file and no protobuf library at run time (test/integration/onnx-providers.test.ts rebuilds it).
export const probeGraphBase64 =
  'CAgSD2JydXNodGFsay10ZXN0czpmChUKAXgKAXkSAXoaBW11bF8wIgNNdWwSDnByb3ZpZGVyLWNoZWNrWhMKAXgSDgoMCAESCAoCCAEKAggEWhMKAXkSDgoMCAESCAoCCAEKAggEYhMKAXoSDgoMCAESCAoCCAEKAggEQgQKABAR';
const probeX = [1, 2, 3, 4];
const probeY = [0.5, -1, 2, 0.25];

/**
 * Prove a provider really runs here: a four-number graph is started on `provider` alone with onnxruntime's
 * CPU fallback switched off (a provider that loads but takes no nodes makes session creation fail), run once
 * with profiling on, and its answer and the profile's node placement checked. Errors are 'engine.unavailable'
 * naming the fix. `cpuFallback` defaults to on for cpu only (where the rule cannot apply).
 */
export async function probeProvider(provider: OnnxProvider, options: { cpuFallback?: boolean } = {}): Promise<ProviderReport> {
  checkProvider(provider);
  const started = performance.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-provider-'));
  try {
    const cpuFallback = options.cpuFallback ?? provider === 'cpu';
    let session: InferenceSession;
    try {
      session = await InferenceSession.create(Buffer.from(probeGraphBase64, 'base64'), {
        executionProviders: [provider],
        enableProfiling: true,
        logSeverityLevel: 4, // its failures are worded below; onnxruntime's own red log lines would only repeat them
        profileFilePrefix: path.join(dir, 'check'),
        extra: cpuFallback ? {} : { session: { disable_cpu_ep_fallback: '1' } },
      });
    } catch (cause) {
      throw explainProviderError(provider, cause) ?? cause;
    }
    try {
      const tensor = (values: number[]) => new Tensor('float32', Float32Array.from(values), [1, 4]);
      const z = Array.from((await session.run({ x: tensor(probeX), y: tensor(probeY) })).z.data as Float32Array);
      const want = probeX.map((x, i) => x * probeY[i]);
      if (z.some((v, i) => Math.abs(v - want[i]) > 1e-6)) {
        throw new BrushtalkError('engine.unavailable', `ONNX_PROVIDER=${provider}: the start-up check graph computed [${z.join(', ')}] instead of [${want.join(', ')}]; the ${provider} provider is not computing correctly here. Set ONNX_PROVIDER=cpu.`);
      }
      session.endProfiling();
    } finally {
      await session.release();
    }
    const nodes = nodePlacement(readProfile(dir));
    assertPlacement(provider, nodes);
    return { provider, executionProvider: executionProviderName[provider], nodes, ms: Math.round((performance.now() - started) * 100) / 100 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function readProfile(dir: string): unknown {
  const file = fs.readdirSync(dir).find((name) => name.endsWith('.json'));
  if (!file) return [];
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  } catch {
    return [];
  }
}

const verified = new Map<OnnxProvider, Promise<ProviderReport>>();

/**
 * The start-up check, once per thread and provider: probeProvider's report, or its worded error (not cached,
 * so fixing the machine and retrying works without a restart).
 */
export function verifyProvider(provider: OnnxProvider): Promise<ProviderReport> {
  let pending = verified.get(provider);
  if (!pending) {
    pending = probeProvider(provider);
    verified.set(provider, pending);
    pending.catch(() => verified.delete(provider));
  }
  return pending;
}

export interface OpenSessionOptions {
  provider?: OnnxProvider;
}

/**
 * Load a graph for repeated runs on one provider. A GPU provider is first proven active (verifyProvider); a
 * provider that cannot start (a CUDA library that will not load, no WebGPU adapter) becomes
 * 'engine.unavailable'; other load errors (a corrupt file) are rethrown as is for the caller to word.
 */
export async function openSession(file: string, options: OpenSessionOptions = {}): Promise<OnnxSession> {
  const provider = options.provider ?? 'cpu';
  checkProvider(provider);
  if (provider !== 'cpu') await verifyProvider(provider);
  try {
    return await InferenceSession.create(file, { executionProviders: [provider], graphOptimizationLevel: 'all' });
  } catch (cause) {
    throw explainProviderError(provider, cause) ?? cause;
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

/**
 * The part of an onnxruntime message a person can read: its first line without the C++ file, line and function
 * that raised it ("…/webgpu_context.cc:136 onnxruntime::…::<lambda()> … was false."), cut at a word.
 */
function firstLine(text: string): string {
  const line = text.split('\n')[0];
  const readable = line
    .split(/(?<=\.)\s+/)
    .filter((part) => !/::|\.(cc|cpp|h):\d+/.test(part))
    .join(' ')
    .trim();
  const said = readable || line;
  return said.length <= 200 ? said : `${said.slice(0, 200).replace(/\s+\S*$/, '')}…`;
}
