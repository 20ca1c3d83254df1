/**
 * The GPU start-up checks (src/onnx.ts) on a machine without a GPU: each provider either proves it runs a
 * graph (profiled node placement, CPU fallback off) or fails in words naming the fix — never a crash, a hang
 * or a silent run on the CPU. The real onnxruntime runs here; only the binding directory and the backend list
 * are injected where a GPU box would differ.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  assertPlacement,
  checkProvider,
  executionProviderName,
  explainProviderError,
  nodePlacement,
  probeGraphBase64,
  probeProvider,
  verifyProvider,
} from '../../src/onnx.ts';
import { selectEngine } from '../../src/engines/select.ts';
import { serviceStatus } from '../../src/status.ts';
import { createLogger } from '../../src/log.ts';
import { testConfig } from '../helpers/env.ts';
import { buildGraph } from '../helpers/onnx-graphs.ts';
import { tinyBrushNetId, writeTinyBrushNet } from '../helpers/tiny-brushnet.ts';
import { cudaInstalled } from '../helpers/providers.ts';

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-providers-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const caught = async (promise: Promise<unknown>): Promise<{ code?: string; message: string } | undefined> =>
  promise.then(
    () => undefined,
    (error: { code?: string; message: string }) => error,
  );

describe('CUDA: the binaries check', () => {
  const cudaBackend = [{ name: 'cpu', bundled: true }, { name: 'cuda', bundled: false }];

  it('a binding directory without the CUDA libraries names both, the directory and the rebuild command', () => {
    const dir = tempDir();
    expect(() => checkProvider('cuda', { bindingDir: dir, backends: cudaBackend })).toThrow(
      expect.objectContaining({
        code: 'engine.unavailable',
        message:
          `ONNX_PROVIDER=cuda, but onnxruntime-node's CUDA binaries are not installed (${dir} lacks libonnxruntime_providers_shared.so, libonnxruntime_providers_cuda.so). ` +
          'Install them with: ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node (needs internet once, plus the CUDA 12 and cuDNN 9 runtime libraries on the library path), or set ONNX_PROVIDER=cpu.',
      }),
    );
  });

  it('names only the library that is missing, and passes once both are there', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'libonnxruntime_providers_shared.so'), '');
    expect(() => checkProvider('cuda', { bindingDir: dir, backends: cudaBackend })).toThrow(/lacks libonnxruntime_providers_cuda\.so\)/);
    fs.writeFileSync(path.join(dir, 'libonnxruntime_providers_cuda.so'), '');
    expect(() => checkProvider('cuda', { bindingDir: dir, backends: cudaBackend })).not.toThrow();
  });

  it('a build without the provider at all says so', () => {
    expect(() => checkProvider('webgpu', { backends: [{ name: 'cpu', bundled: true }] })).toThrow(
      expect.objectContaining({ code: 'engine.unavailable', message: expect.stringMatching(/has no webgpu provider\. Set ONNX_PROVIDER=cpu\.$/) }),
    );
  });

  it.skipIf(cudaInstalled)('verifyProvider(cuda) on this install fails in words before onnxruntime is asked', async () => {
    const error = await caught(verifyProvider('cuda'));
    expect(error).toMatchObject({ code: 'engine.unavailable', message: expect.stringContaining('ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node') });
  });
});

describe('onnxruntime errors worded with their fix', () => {
  // Messages as onnxruntime-node 1.30 prints them.
  it('CUDA: a provider library that will not load, and a machine with no usable GPU', () => {
    expect(explainProviderError('cuda', new Error('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library'))).toMatchObject({
      code: 'engine.unavailable',
      message: expect.stringMatching(/^The CUDA provider failed to start: .*Failed to load shared library\. Install them with: ONNXRUNTIME_NODE_INSTALL=cuda12/),
    });
    expect(explainProviderError('cuda', new Error('CUDA failure 100: no CUDA-capable device is detected ; GPU=0'))?.message).toMatch(/could not use a GPU .*`nvidia-smi` lists a GPU.*ONNX_PROVIDER=cpu\.$/);
  });

  it('WebGPU without an adapter names Vulkan and the CPU way out', () => {
    const text = 'webgpu_context.cc:136 Initialize adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters';
    expect(explainProviderError('webgpu', new Error(text))?.message).toMatch(/^The WebGPU provider found no usable GPU adapter \(.*No supported adapters\)\. Install GPU drivers with Vulkan support .*ONNX_PROVIDER=cpu\.$/);
  });

  it('errors that are not about the provider are left for the caller', () => {
    expect(explainProviderError('cuda', new Error('Protobuf parsing failed.'))).toBeUndefined();
    expect(explainProviderError('webgpu', new Error('Load model from x failed: file not found'))).toBeUndefined();
  });
});

describe('the provider really active: profiled placement', () => {
  it('the embedded check graph is the one the test helpers build (z = x · y on [1, 4])', () => {
    const rebuilt = buildGraph({ name: 'provider-check', inputs: [{ name: 'x', shape: [1, 4] }, { name: 'y', shape: [1, 4] }], outputs: [{ name: 'z', shape: [1, 4] }], nodes: [{ op: 'Mul', inputs: ['x', 'y'], outputs: ['z'] }] });
    expect(Buffer.from(rebuilt).toString('base64')).toBe(probeGraphBase64);
  });

  it('cpu: the check graph runs, computes the right answer, and the profile puts its node on the CPU provider', async () => {
    const report = await probeProvider('cpu');
    expect(report).toMatchObject({ provider: 'cpu', executionProvider: 'CPUExecutionProvider', nodes: { CPUExecutionProvider: 1 } });
    expect(Object.keys(report.nodes)).toEqual(['CPUExecutionProvider']);
  });

  it('a provider that leaves the graph to the CPU is refused by onnxruntime itself (fallback off) and worded', async () => {
    // On cpu the no-fallback rule cannot be met, which is exactly what a GPU provider that takes no nodes looks like.
    const error = await caught(probeProvider('cpu', { cpuFallback: false }));
    expect(error).toMatchObject({ code: 'engine.unavailable', message: expect.stringContaining('ONNX_PROVIDER=cpu is set, but the provider is not really active: onnxruntime wanted to run nodes of the check graph on the CPU') });
  });

  it('a profile with every node on the CPU fails cuda and webgpu in words; one node on the GPU passes', () => {
    const profile = [
      { cat: 'Session', name: 'model_run', args: {} },
      { cat: 'Node', name: 'mul_0_kernel_time', args: { op_name: 'Mul', provider: 'CPUExecutionProvider' } },
    ];
    const nodes = nodePlacement(profile);
    expect(nodes).toEqual({ CPUExecutionProvider: 1 });
    expect(() => assertPlacement('cuda', nodes)).toThrow(
      expect.objectContaining({ code: 'engine.unavailable', message: expect.stringMatching(/^ONNX_PROVIDER=cuda is set, but the provider is not really active: onnxruntime ran the check graph on CPUExecutionProvider \(1 node\), not on CUDAExecutionProvider\. Check that `nvidia-smi`/) }),
    );
    expect(() => assertPlacement('webgpu', nodes)).toThrow(/not on WebGpuExecutionProvider\. Install GPU drivers with Vulkan support/);
    expect(() => assertPlacement('cuda', { CPUExecutionProvider: 2, [executionProviderName.cuda]: 5 })).not.toThrow();
    expect(nodePlacement('not a profile')).toEqual({});
  });
});

describe('WebGPU on this machine', () => {
  // The timeout is the hang guard: no adapter must be an answer, not a wait.
  it('either proves itself on WebGpuExecutionProvider or fails in words', async () => {
    const outcome = await probeProvider('webgpu').then(
      (report) => ({ report }),
      (error: { code?: string; message: string }) => ({ error }),
    );
    if ('report' in outcome) {
      expect(outcome.report.nodes[executionProviderName.webgpu]).toBeGreaterThan(0);
    } else {
      expect(outcome.error).toMatchObject({ code: 'engine.unavailable', message: expect.stringContaining('ONNX_PROVIDER=cpu') });
      expect(outcome.error.message).toMatch(/WebGPU|webgpu/);
    }
  }, 30_000);
});

describe('start-up: the engine a GPU provider gets', () => {
  it('ONNX_PROVIDER=webgpu with a BrushNet folder: BrushNet only when WebGPU proves itself, else the classical engine and the reason in the log and status', async () => {
    const dir = tempDir();
    writeTinyBrushNet(path.join(dir, 'weights'), tinyBrushNetId);
    const config = testConfig(dir, { WEIGHTS_DIR: path.join(dir, 'weights'), BRUSHNET_MODEL: tinyBrushNetId, ONNX_PROVIDER: 'webgpu' });
    const lines: string[] = [];
    const log = createLogger('info', { format: 'json', destination: { write: (line: string) => lines.push(line) } });
    const webgpu = await caught(probeProvider('webgpu'));
    const engine = await selectEngine(config, log, () => {});
    try {
      const said = lines.map((line) => JSON.parse(line) as { msg: string; reason?: string; executionProvider?: string });
      if (webgpu) {
        expect(engine.name).toBe('classical');
        expect(said).toContainEqual(expect.objectContaining({ msg: 'engine: classical (BrushNet is not available)', reason: webgpu.message }));
        // The studio's status panel says why, not "export BrushNet weights" (they are there).
        expect(serviceStatus(config, engine, () => {}).engine.hint).toContain(`Removals work now. BrushNet is installed but cannot run: ${webgpu.message}`);
        expect(webgpu.message).not.toMatch(/::|\.cc:\d+/); // onnxruntime's source location is not for a user
      } else {
        expect(engine.name).toBe('brushnet');
        expect(said).toContainEqual(expect.objectContaining({ msg: 'engine: brushnet', executionProvider: 'WebGpuExecutionProvider' }));
      }
    } finally {
      await engine.close();
    }
  }, 30_000);
});
