import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { isBrushtalkError } from '../../src/errors.ts';
import { runWeightsCommand } from '../../weights/cli.ts';
import { LOCK_FILE, listModels, pullModel, requireModel, verifyModel } from '../../weights/manager.ts';
import { loadManifest, parseManifest, type Manifest } from '../../weights/manifest.ts';
import { identityGraph } from '../helpers/onnx-graphs.ts';
import { blob, config, graph, hub, manifestFor, output, sha, temp, useWeightsHub, weightsDir } from '../helpers/weights-hub.ts';

/** `weights list`, requireModel, the real manifest, and models made by an export script. */
useWeightsHub();

describe('weights list and requireModel', () => {
  it('lists id, task, size and state as aligned columns, with hashes and licence wrapped under each, within 100 columns', async () => {
    const manifestPath = path.join(temp.dir, 'manifest.json');
    const manifest = manifestFor();
    fs.writeFileSync(manifestPath, JSON.stringify(manifest));
    const list = async () => {
      const out = output();
      expect(await runWeightsCommand(['list'], { manifestPath, weightsDir, stdout: out, stderr: output() })).toBe(0);
      return out.text;
    };
    const before = await list();
    expect(before.split('\n')[0]).toMatch(/^id\s+task\s+size\s+state$/);
    expect(before).toMatch(/tiny-detector\s+zero-shot-object-detection\s+unknown\s+not installed\n {4}sha256: 1 pinned, 0 recorded, 2 on first pull · license: Apache-2\.0\n/);

    await pullModel(manifest.models[0], weightsDir);
    const total = config.length + blob.length + graph.length;
    expect(listModels(manifest, weightsDir)[0]).toMatchObject({ installed: true, verified: false, pinned: 1, recorded: 2, totalBytes: total });
    expect(await list()).toMatch(/tiny-detector .*300\.\d kB\s+installed \(run verify\)\n {4}sha256: 1 pinned, 2 recorded ·/);
    await verifyModel(manifest.models[0], weightsDir);
    expect(await list()).toMatch(/tiny-detector .*\s+verified\n/);

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

  it('answers usage mistakes and unknown ids with exit code 2 and a worded error', async () => {
    const manifestPath = path.join(temp.dir, 'manifest.json');
    fs.writeFileSync(manifestPath, JSON.stringify(manifestFor()));
    const err = output();
    expect(await runWeightsCommand(['frobnicate'], { manifestPath, weightsDir, stdout: output(), stderr: err })).toBe(2);
    expect(err.text).toContain('Unknown weights command "frobnicate"');
    expect(await runWeightsCommand(['pull'], { manifestPath, weightsDir, stdout: output(), stderr: output() })).toBe(2);
    const unknown = output();
    expect(await runWeightsCommand(['pull', 'nope'], { manifestPath, weightsDir, stdout: output(), stderr: unknown })).toBe(2);
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
