import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { parseManifest, type Manifest } from '../../weights/manifest.ts';
import { tempDataDir } from './env.ts';
import { identityGraph } from './onnx-graphs.ts';

/**
 * The weights tests' world: a stand-in hub on 127.0.0.1, a detector-shaped model on it, and a fresh weights
 * folder per test. `useWeightsHub()` registers the hooks; `hub`, `temp` and `weightsDir` are live bindings
 * the hooks reassign, so tests read them as plain names.
 */
export const REPO = 'test-org/tiny-detector';
export const REVISION = '0123456789abcdef0123456789abcdef01234567';
export const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** A stand-in for the hub on 127.0.0.1: serves `/<repo>/resolve/<rev>/<path>`, honours Range, misbehaves on request. */
export interface Hub {
  url: string;
  files: Map<string, Buffer>;
  requests: { path: string; range: string | null }[];
  dropOnce: Set<string>;
  corrupt: Set<string>;
  ignoreRange: boolean;
  close(): Promise<void>;
}

async function startHub(): Promise<Hub> {
  const hub = { files: new Map<string, Buffer>(), requests: [], dropOnce: new Set<string>(), corrupt: new Set<string>(), ignoreRange: false } as Omit<Hub, 'url' | 'close'>;
  const server = http.createServer((req, res) => {
    const prefix = `/${REPO}/resolve/${REVISION}/`;
    const file = req.url?.startsWith(prefix) ? decodeURIComponent(req.url.slice(prefix.length)) : '';
    hub.requests.push({ path: file, range: req.headers.range ?? null });
    let body = hub.files.get(file);
    if (!body) return void res.writeHead(404).end('not found');
    if (hub.corrupt.has(file)) body = Buffer.concat([body.subarray(0, body.length - 1), Buffer.from([body[body.length - 1] ^ 0xff])]);
    res.setHeader('x-repo-commit', REVISION);
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && !hub.ignoreRange) {
      const start = Number(range[1]);
      if (start >= body.length) return void res.writeHead(416).end();
      res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
      return void res.end(body.subarray(start));
    }
    res.writeHead(200, { 'content-length': body.length });
    if (hub.dropOnce.delete(file)) {
      // Half the file, then the connection dies, as on a flaky network.
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(hub, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as Hub;
}

export let hub: Hub;
export let temp: { dir: string; cleanup(): void };
export let weightsDir: string;

// Buffers are compared by hash: vitest's deep equality walks 300 kB byte by byte.
// A detector-shaped model: a pinned config, a big-ish data file and a graph, both trust-on-first-use.
export const config = Buffer.from(JSON.stringify({ model_type: 'grounding-dino' }));
export const blob = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251));
export const graph = Buffer.from(identityGraph(['input_ids', 'attention_mask', 'pixel_values'], ['logits', 'pred_boxes']));

export function manifestFor(overrides: { outputs?: string[]; optionalInputs?: string[] } = {}): Manifest {
  return parseManifest({
    version: 1,
    models: [
      {
        id: 'tiny-detector',
        task: 'zero-shot-object-detection',
        family: 'grounding-dino',
        description: 'test model',
        source: { repo: REPO, revision: REVISION, baseUrl: hub.url },
        license: 'Apache-2.0',
        files: [
          { path: 'config.json', sha256: sha(config), bytes: config.length },
          { path: 'weights.bin', sha256: null, bytes: null },
          { path: 'onnx/model.onnx', sha256: null, bytes: null },
        ],
        graphs: [
          {
            path: 'onnx/model.onnx',
            inputs: ['input_ids', 'attention_mask', 'pixel_values'],
            optionalInputs: overrides.optionalInputs ?? [],
            outputs: overrides.outputs ?? ['logits', 'pred_boxes'],
          },
        ],
      },
    ],
  });
}

export function output() {
  const out = { text: '', write: (s: string) => ((out.text += s), true) };
  return out;
}

export function useWeightsHub(): void {
  beforeAll(async () => {
    hub = await startHub();
  });
  afterAll(() => hub.close());
  beforeEach(resetWorld);
  afterEach(() => temp.cleanup());
}

function resetWorld(): void {
  temp = tempDataDir();
  weightsDir = path.join(temp.dir, 'weights');
  hub.files = new Map([
    ['config.json', config],
    ['weights.bin', blob],
    ['onnx/model.onnx', graph],
  ]);
  hub.requests = [];
  hub.dropOnce.clear();
  hub.corrupt.clear();
  hub.ignoreRange = false;
}
