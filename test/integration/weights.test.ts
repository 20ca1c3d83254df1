import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { isBrushtalkError } from '../../src/errors.ts';
import { runWeightsCommand } from '../../weights/cli.ts';
import { LOCK_FILE, listModels, lockPath, pullModel, readLock, requireModel, verifyModel } from '../../weights/manager.ts';
import { loadManifest, parseManifest, type Manifest } from '../../weights/manifest.ts';
import { tempDataDir } from '../helpers/env.ts';
import { identityGraph } from '../helpers/onnx-graphs.ts';

const REPO = 'test-org/tiny-detector';
const REVISION = '0123456789abcdef0123456789abcdef01234567';
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** A stand-in for the hub on 127.0.0.1: serves `/<repo>/resolve/<rev>/<path>`, honours Range, misbehaves on request. */
interface Hub {
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

let hub: Hub;
let temp: { dir: string; cleanup(): void };
let weightsDir: string;

// Buffers are compared by hash: vitest's deep equality walks 300 kB byte by byte.
// A detector-shaped model: a pinned config, a big-ish data file and a graph, both trust-on-first-use.
const config = Buffer.from(JSON.stringify({ model_type: 'grounding-dino' }));
const blob = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251));
const graph = Buffer.from(identityGraph(['input_ids', 'attention_mask', 'pixel_values'], ['logits', 'pred_boxes']));

function manifestFor(overrides: { outputs?: string[]; optionalInputs?: string[] } = {}): Manifest {
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

function output() {
  const out = { text: '', write: (s: string) => ((out.text += s), true) };
  return out;
}

beforeAll(async () => {
  hub = await startHub();
});
afterAll(() => hub.close());
beforeEach(() => {
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
});
afterEach(() => temp.cleanup());

describe('weights pull', () => {
  it('downloads every file into <weightsDir>/<id>/, checks pinned hashes and records the others in the lock file', async () => {
    const [entry] = manifestFor().models;
    const result = await pullModel(entry, weightsDir);
    const dir = path.join(weightsDir, 'tiny-detector');
    expect(result.dir).toBe(dir);
    expect(sha(fs.readFileSync(path.join(dir, 'onnx/model.onnx')))).toBe(sha(graph));
    expect(sha(fs.readFileSync(path.join(dir, 'weights.bin')))).toBe(sha(blob));
    expect(result.files.map((f) => [f.path, f.action, f.hashSource])).toEqual([
      ['config.json', 'downloaded', 'pinned'],
      ['weights.bin', 'downloaded', 'recorded'],
      ['onnx/model.onnx', 'downloaded', 'recorded'],
    ]);
    expect(fs.readdirSync(path.join(dir, 'onnx'))).toEqual(['model.onnx']); // no .partial left behind
    expect(lockPath(weightsDir, 'tiny-detector')).toBe(path.join(dir, LOCK_FILE));
    const lock = JSON.parse(fs.readFileSync(path.join(dir, '.brushtalk-lock.json'), 'utf8'));
    expect(lock).toMatchObject({ id: 'tiny-detector', repo: REPO, revision: REVISION, commit: REVISION, verifiedAt: null });
    expect(lock.files['onnx/model.onnx']).toMatchObject({ sha256: sha(graph), bytes: graph.length });
    expect(lock.files['weights.bin']).toMatchObject({ sha256: sha(blob), bytes: blob.length });

    const verified = await verifyModel(entry, weightsDir);
    expect(verified.ok).toBe(true);
    expect(verified.files.map((f) => f.hashSource)).toEqual(['pinned', 'recorded', 'recorded']);
  });

  it('skips files that are already present and valid on a second pull', async () => {
    const [entry] = manifestFor().models;
    await pullModel(entry, weightsDir);
    const before = hub.requests.length;
    const again = await pullModel(entry, weightsDir);
    expect(again.files.every((f) => f.action === 'skipped')).toBe(true);
    expect(hub.requests.length).toBe(before);
  });

  it('leaves a .partial when the connection drops half-way, and the next pull resumes it with a Range request', async () => {
    const [entry] = manifestFor().models;
    hub.dropOnce.add('weights.bin');
    const failure = await pullModel(entry, weightsDir, { retries: 0 }).catch((e: unknown) => e);
    expect(isBrushtalkError(failure) && failure.code).toBe('weights.download_failed');
    expect(isBrushtalkError(failure) && failure.retryable).toBe(true);
    const dir = path.join(weightsDir, 'tiny-detector');
    expect(fs.existsSync(path.join(dir, 'weights.bin'))).toBe(false);
    const partialSize = fs.statSync(path.join(dir, 'weights.bin.partial')).size;
    expect(partialSize).toBeGreaterThan(0);
    expect(partialSize).toBeLessThan(blob.length);

    const result = await pullModel(entry, weightsDir);
    expect(hub.requests.filter((r) => r.path === 'weights.bin').at(-1)?.range).toBe(`bytes=${partialSize}-`);
    expect(result.files.find((f) => f.path === 'weights.bin')?.action).toBe('resumed');
    expect(result.files.find((f) => f.path === 'config.json')?.action).toBe('skipped');
    expect(sha(fs.readFileSync(path.join(dir, 'weights.bin')))).toBe(sha(blob));
    expect(fs.existsSync(path.join(dir, 'weights.bin.partial'))).toBe(false);
    expect(readLock(entry, weightsDir)?.files['weights.bin'].sha256).toBe(sha(blob));
  });

  it('resumes within one pull when retries are allowed', async () => {
    const [entry] = manifestFor().models;
    hub.dropOnce.add('weights.bin');
    const result = await pullModel(entry, weightsDir, { retries: 1 });
    expect(result.files.find((f) => f.path === 'weights.bin')?.action).toBe('resumed');
    expect(sha(fs.readFileSync(path.join(weightsDir, 'tiny-detector', 'weights.bin')))).toBe(sha(blob));
  });

  it('starts over when the server ignores Range and answers 200', async () => {
    const [entry] = manifestFor().models;
    const dir = path.join(weightsDir, 'tiny-detector');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'weights.bin.partial'), Buffer.alloc(1000, 0xaa)); // garbage from an old attempt
    hub.ignoreRange = true;
    const result = await pullModel(entry, weightsDir);
    expect(hub.requests.find((r) => r.path === 'weights.bin')?.range).toBe('bytes=1000-');
    expect(result.files.find((f) => f.path === 'weights.bin')?.action).toBe('downloaded');
    expect(sha(fs.readFileSync(path.join(dir, 'weights.bin')))).toBe(sha(blob));
  });

  it('refuses bytes that do not match the pinned sha256: weights.corrupt, and nothing left in place', async () => {
    const [entry] = manifestFor().models;
    hub.corrupt.add('config.json');
    const failure = await pullModel(entry, weightsDir).catch((e: unknown) => e);
    expect(isBrushtalkError(failure) && failure.code).toBe('weights.corrupt');
    const dir = path.join(weightsDir, 'tiny-detector');
    expect(fs.existsSync(path.join(dir, 'config.json'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'config.json.partial'))).toBe(false);
  });

  it('reports a missing file on the hub as weights.download_failed naming the URL', async () => {
    const [entry] = manifestFor().models;
    hub.files.delete('onnx/model.onnx');
    const failure = await pullModel(entry, weightsDir).catch((e: unknown) => e);
    expect(isBrushtalkError(failure) && failure.code).toBe('weights.download_failed');
    expect(isBrushtalkError(failure) && failure.userMessage).toMatch(/onnx\/model\.onnx failed: the server answered 404/);
  });
});

describe('weights verify', () => {
  it('catches files damaged on disk after the pull', async () => {
    const [entry] = manifestFor().models;
    await pullModel(entry, weightsDir);
    const dir = path.join(weightsDir, 'tiny-detector');
    const damaged = Buffer.from(blob);
    damaged[1234] ^= 0xff;
    fs.writeFileSync(path.join(dir, 'weights.bin'), damaged);
    fs.writeFileSync(path.join(dir, 'onnx/model.onnx'), graph.subarray(0, graph.length >> 1));
    const result = await verifyModel(entry, weightsDir);
    expect(result.ok).toBe(false);
    expect(Object.fromEntries(result.files.map((f) => [f.path, f.status]))).toEqual({
      'config.json': 'ok',
      'weights.bin': 'hash_mismatch',
      'onnx/model.onnx': 'size_mismatch',
    });
    expect(result.graphs[0].status).toBe('unloadable');
  });

  it('cannot vouch for a trust-on-first-use file whose lock file is gone', async () => {
    const [entry] = manifestFor().models;
    await pullModel(entry, weightsDir);
    fs.rmSync(lockPath(weightsDir, 'tiny-detector'));
    const result = await verifyModel(entry, weightsDir);
    expect(result.ok).toBe(false);
    expect(result.files.map((f) => f.status)).toEqual(['ok', 'unrecorded', 'unrecorded']);
  });

  it('prints the real graph input/output names and flags a mismatch with the manifest', async () => {
    const manifestPath = path.join(temp.dir, 'manifest.json');
    const manifest = manifestFor({ outputs: ['logits', 'pred_boxes', 'pred_masks'] });
    fs.writeFileSync(manifestPath, JSON.stringify(manifest));
    hub.files.set('onnx/model.onnx', Buffer.from(identityGraph(['input_ids', 'attention_mask', 'pixel_values', 'token_type_ids'], ['logits', 'pred_boxes'])));
    const pullOut = output();
    expect(await runWeightsCommand(['pull', 'tiny-detector'], { manifestPath, weightsDir, stdout: pullOut, stderr: output() })).toBe(0);
    expect(pullOut.text).toMatch(/tiny-detector: ready in .*tiny-detector \(3 downloaded, 0 already there\)/);

    const result = await verifyModel(manifest.models[0], weightsDir);
    expect(result.graphs[0]).toMatchObject({
      status: 'mismatch',
      inputs: ['input_ids', 'attention_mask', 'pixel_values', 'token_type_ids'],
      outputs: ['logits', 'pred_boxes'],
      unexpectedInputs: ['token_type_ids'],
      missingOutputs: ['pred_masks'],
    });
    const out = output();
    const err = output();
    expect(await runWeightsCommand(['verify'], { manifestPath, weightsDir, stdout: out, stderr: err })).toBe(1);
    expect(out.text).toContain('tiny-detector: FAILED');
    expect(out.text).toMatch(/onnx\/model\.onnx\s+input_ids, attention_mask, pixel_values, token_type_ids\s+logits, pred_boxes\s+MISMATCH with manifest: unexpected input token_type_ids, missing output pred_masks/);
    expect(err.text).toContain('does not match weights/manifest.json');

    // An input the manifest marks optional is fine.
    const relaxed = manifestFor({ optionalInputs: ['token_type_ids'] });
    expect((await verifyModel(relaxed.models[0], weightsDir)).graphs[0].status).toBe('ok');
  });

  it('prints a per-file and per-graph table for a good model and exits 0', async () => {
    const manifestPath = path.join(temp.dir, 'manifest.json');
    fs.writeFileSync(manifestPath, JSON.stringify(manifestFor()));
    await runWeightsCommand(['pull', '--all'], { manifestPath, weightsDir, stdout: output(), stderr: output() });
    const out = output();
    expect(await runWeightsCommand(['verify', 'tiny-detector'], { manifestPath, weightsDir, stdout: out, stderr: output() })).toBe(0);
    expect(out.text).toContain('tiny-detector: ok');
    expect(out.text).toMatch(/config\.json\s+\d+ B\s+[0-9a-f]{16}…\s+manifest\s+ok/);
    expect(out.text).toMatch(/weights\.bin\s+300\.0 kB\s+[0-9a-f]{16}…\s+lock \(first pull\)\s+ok/);
    expect(out.text).toMatch(/onnx\/model\.onnx\s+input_ids, attention_mask, pixel_values\s+logits, pred_boxes\s+ok/);
  });
});

describe('weights list and requireModel', () => {
  it('lists id, task, licence, size, pinned vs recorded hashes and state as plain aligned columns', async () => {
    const manifestPath = path.join(temp.dir, 'manifest.json');
    const manifest = manifestFor();
    fs.writeFileSync(manifestPath, JSON.stringify(manifest));
    const list = async () => {
      const out = output();
      expect(await runWeightsCommand(['list'], { manifestPath, weightsDir, stdout: out, stderr: output() })).toBe(0);
      return out.text;
    };
    const before = await list();
    expect(before.split('\n')[0]).toMatch(/^id\s+task\s+license\s+size\s+sha256\s+state$/);
    expect(before).toMatch(/tiny-detector\s+zero-shot-object-detection\s+Apache-2\.0\s+unknown\s+1 pinned, 0 recorded, 2 on first pull\s+not installed/);

    await pullModel(manifest.models[0], weightsDir);
    const total = config.length + blob.length + graph.length;
    expect(listModels(manifest, weightsDir)[0]).toMatchObject({ installed: true, verified: false, pinned: 1, recorded: 2, totalBytes: total });
    expect(await list()).toMatch(/tiny-detector .*300\.\d kB\s+1 pinned, 2 recorded\s+installed \(run verify\)/);
    await verifyModel(manifest.models[0], weightsDir);
    expect(await list()).toMatch(/1 pinned, 2 recorded\s+verified/);
  });

  it('requireModel names the pull command in one message when a model is missing, and returns the folder once pulled', async () => {
    const manifest = manifestFor();
    const failure = (() => {
      try {
        return requireModel('tiny-detector', manifest, weightsDir);
      } catch (error) {
        return error;
      }
    })();
    expect(isBrushtalkError(failure) && failure.code).toBe('weights.missing');
    const message = isBrushtalkError(failure) ? failure.userMessage : '';
    expect(message).toBe(
      `The detector model tiny-detector is not installed. Run: npx brushtalk weights pull tiny-detector (needs internet once; files go to ${path.join(weightsDir, 'tiny-detector')})`,
    );
    expect(hub.requests).toEqual([]); // nothing downloads at run time

    await pullModel(manifest.models[0], weightsDir);
    expect(requireModel(manifest.models[0], manifest, weightsDir)).toBe(path.join(weightsDir, 'tiny-detector'));
    fs.truncateSync(path.join(weightsDir, 'tiny-detector', 'weights.bin'), 10);
    expect(() => requireModel('tiny-detector', manifest, weightsDir)).toThrow(/damaged \(weights\.bin has the wrong size\)\. Run: npx brushtalk weights pull tiny-detector/);
    expect(() => requireModel('no-such-model', manifest, weightsDir)).toThrow(/There is no model called "no-such-model"\. Known models: tiny-detector/);
  });

  it('answers usage mistakes with exit code 2 and unknown ids with a worded error', async () => {
    const manifestPath = path.join(temp.dir, 'manifest.json');
    fs.writeFileSync(manifestPath, JSON.stringify(manifestFor()));
    const err = output();
    expect(await runWeightsCommand(['frobnicate'], { manifestPath, weightsDir, stdout: output(), stderr: err })).toBe(2);
    expect(err.text).toContain('Unknown weights command "frobnicate"');
    expect(await runWeightsCommand(['pull'], { manifestPath, weightsDir, stdout: output(), stderr: output() })).toBe(2);
    const unknown = output();
    expect(await runWeightsCommand(['pull', 'nope'], { manifestPath, weightsDir, stdout: output(), stderr: unknown })).toBe(1);
    expect(unknown.text).toContain('There is no model called "nope"');
  });
});

describe('the real weights/manifest.json', () => {
  const file = fileURLToPath(new URL('../../weights/manifest.json', import.meta.url));

  it('parses with the schema; every entry has a licence, a source and graphs whose files it lists', () => {
    const manifest = loadManifest(file);
    expect(manifest.models.length).toBeGreaterThanOrEqual(4);
    for (const entry of manifest.models) {
      expect(entry.license).toMatch(/\S/);
      expect(entry.source.repo).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(entry.source.revision).toMatch(/^[0-9a-f]{40}$/); // immutable commits, so the bytes cannot change under us
      expect(entry.source.baseUrl).toBeUndefined(); // the real hub
      expect(entry.graphs.length).toBeGreaterThan(0);
      for (const g of entry.graphs) expect(entry.files.map((f) => f.path)).toContain(g.path);
      for (const f of entry.files) expect((f.sha256 === null) === (f.bytes === null)).toBe(true); // pinned together or not at all
    }
  });

  it('holds the models the configuration asks for by default', () => {
    const ids = loadManifest(file).models.map((m) => m.id);
    const defaults = loadConfig({}).models;
    expect(ids).toContain(defaults.detector);
    expect(ids).toContain(defaults.segmenter);
    expect(ids).toEqual(expect.arrayContaining(['grounding-dino-tiny', 'owlv2-base', 'slimsam-77', 'sam-vit-b']));
  });

  it('rejects a manifest whose file path leaves the model folder', () => {
    const bad = JSON.parse(fs.readFileSync(file, 'utf8'));
    bad.models[0].files[0].path = '../../etc/passwd';
    expect(() => parseManifest(bad)).toThrow(/weights\/manifest\.json is invalid at models\.0\.files\.0\.path/);
  });
});

describe('a model made by an export script (producedBy), e.g. BrushNet', () => {
  const graphNames = { inputs: ['sample', 'timestep', 'encoder_hidden_states', 'brushnet_cond', 'conditioning_scale'], outputs: ['noise_pred'] };
  const exported = Buffer.from(identityGraph(graphNames.inputs, graphNames.outputs));
  const info = Buffer.from(JSON.stringify({ scaling_factor: 0.18215 }));

  function withExported(): Manifest {
    const base = manifestFor();
    return parseManifest({
      version: 1,
      models: [
        ...base.models,
        {
          id: 'tiny-brushnet',
          task: 'inpainting',
          family: 'brushnet',
          description: 'test export',
          source: { repo: 'TencentARC/BrushNet', revision: '0f9d9e54ca85c40a11a8f0504b4b5b2e7e8fd14d' },
          license: 'Apache-2.0',
          producedBy: { script: 'weights/convert/export_brushnet.py', instructions: 'weights/convert/README.md' },
          files: [
            { path: 'brushtalk.json', sha256: null, bytes: null },
            { path: 'unet/model.onnx', sha256: null, bytes: null },
          ],
          graphs: [{ path: 'unet/model.onnx', ...graphNames }],
        },
      ],
    });
  }

  /** What export_brushnet.py leaves in its output folder: the files and a lock recording them. */
  function fakeExport(manifest: Manifest): void {
    const entry = manifest.models.find((m) => m.id === 'tiny-brushnet')!;
    const dir = path.join(weightsDir, 'tiny-brushnet');
    fs.mkdirSync(path.join(dir, 'unet'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'brushtalk.json'), info);
    fs.writeFileSync(path.join(dir, 'unet/model.onnx'), exported);
    const files = Object.fromEntries(
      [['brushtalk.json', info] as const, ['unet/model.onnx', exported] as const].map(([p, b]) => [p, { sha256: sha(b), bytes: b.length, pulledAt: new Date().toISOString() }]),
    );
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ version: 1, id: entry.id, repo: entry.source.repo, revision: entry.source.revision, commit: null, files, verifiedAt: null }));
  }

  it('pull <id> downloads nothing and prints how to make it (exit 1 while it is not there)', async () => {
    const manifestPath = path.join(temp.dir, 'manifest.json');
    fs.writeFileSync(manifestPath, JSON.stringify(withExported()));
    const out = output();
    const err = output();
    expect(await runWeightsCommand(['pull', 'tiny-brushnet'], { manifestPath, weightsDir, stdout: out, stderr: err })).toBe(1);
    expect(hub.requests).toEqual([]);
    expect(err.text).toContain('tiny-brushnet cannot be downloaded: no public ONNX export of it exists');
    expect(err.text).toContain('weights/convert/export_brushnet.py (steps in weights/convert/README.md)');
    expect(err.text).toContain(`copy its output folder to ${path.join(weightsDir, 'tiny-brushnet')}, then run: npx brushtalk weights verify tiny-brushnet`);
    expect(fs.existsSync(path.join(weightsDir, 'tiny-brushnet'))).toBe(false);

    const failure = await pullModel(withExported().models[1], weightsDir).catch((e: unknown) => e);
    expect(isBrushtalkError(failure) && failure.code).toBe('weights.missing');
    expect(hub.requests).toEqual([]);
  });

  it('pull --all still downloads the others and only notes the exported model (exit 0)', async () => {
    const manifestPath = path.join(temp.dir, 'manifest.json');
    fs.writeFileSync(manifestPath, JSON.stringify(withExported()));
    const out = output();
    const err = output();
    expect(await runWeightsCommand(['pull', '--all'], { manifestPath, weightsDir, stdout: out, stderr: err })).toBe(0);
    expect(out.text).toMatch(/tiny-detector: ready in/);
    expect(err.text).toContain('tiny-brushnet cannot be downloaded');
    expect(hub.requests.every((r) => !r.path.includes('unet'))).toBe(true);
  });

  it('verify checks an export against the lock the script wrote; pull then says it is there; requireModel names the script', async () => {
    const manifest = withExported();
    const manifestPath = path.join(temp.dir, 'manifest.json');
    fs.writeFileSync(manifestPath, JSON.stringify(manifest));
    const entry = manifest.models[1];
    expect(() => requireModel(entry, manifest, weightsDir)).toThrow(/The inpainting model tiny-brushnet is not installed\. tiny-brushnet cannot be downloaded: .*export_brushnet\.py/);

    fakeExport(manifest);
    const out = output();
    expect(await runWeightsCommand(['verify', 'tiny-brushnet'], { manifestPath, weightsDir, stdout: out, stderr: output() })).toBe(0);
    expect(out.text).toContain('tiny-brushnet: ok');
    expect(out.text).toMatch(/unet\/model\.onnx\s+sample, timestep, encoder_hidden_states, brushnet_cond, conditioning_scale\s+noise_pred\s+ok/);
    expect(requireModel(entry, manifest, weightsDir)).toBe(path.join(weightsDir, 'tiny-brushnet'));

    const pulled = output();
    expect(await runWeightsCommand(['pull', 'tiny-brushnet'], { manifestPath, weightsDir, stdout: pulled, stderr: output() })).toBe(0);
    expect(pulled.text).toContain('tiny-brushnet: made by weights/convert/export_brushnet.py, already in');

    // A damaged export is reported with the export instructions, not a pull that cannot work.
    fs.writeFileSync(path.join(weightsDir, 'tiny-brushnet', 'brushtalk.json'), '{}');
    const err = output();
    expect(await runWeightsCommand(['verify', 'tiny-brushnet'], { manifestPath, weightsDir, stdout: output(), stderr: err })).toBe(1);
    expect(err.text).toContain('cannot be downloaded');
    expect(err.text).not.toContain('weights pull tiny-brushnet');
  });

  it('the real manifest lists brushnet-sd15 (the default BRUSHNET_MODEL) and its fp16 twin with the fused graph contract', () => {
    const manifest = loadManifest(fileURLToPath(new URL('../../weights/manifest.json', import.meta.url)));
    expect(loadConfig({}).brushnet.model).toBe('brushnet-sd15');
    for (const id of ['brushnet-sd15', 'brushnet-sd15-fp16']) {
      const entry = manifest.models.find((m) => m.id === id)!;
      expect(entry).toMatchObject({ task: 'inpainting', family: 'brushnet', producedBy: { script: 'weights/convert/export_brushnet.py' } });
      expect(fs.existsSync(fileURLToPath(new URL(`../../${entry.producedBy!.script}`, import.meta.url)))).toBe(true);
      expect(Object.fromEntries(entry.graphs.map((g) => [g.path, [g.inputs, g.outputs]]))).toEqual({
        'text_encoder/model.onnx': [['input_ids'], ['last_hidden_state']],
        'vae_encoder/model.onnx': [['sample'], ['latent_mean']],
        'unet/model.onnx': [graphNames.inputs, graphNames.outputs],
        'vae_decoder/model.onnx': [['latent_sample'], ['sample']],
      });
      expect(entry.files.map((f) => f.path)).toEqual(expect.arrayContaining(['tokenizer/tokenizer.json', 'tokenizer/tokenizer_config.json', 'brushtalk.json', 'unet/model.onnx_data']));
    }
  });
});
