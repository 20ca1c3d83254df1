import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBrushtalkError } from '../../src/errors.ts';
import { runWeightsCommand } from '../../weights/cli.ts';
import { LOCK_FILE, lockPath, pullModel, readLock, verifyModel } from '../../weights/manager.ts';
import { identityGraph } from '../helpers/onnx-graphs.ts';
import { REPO, REVISION, blob, graph, hub, manifestFor, output, sha, temp, useWeightsHub, weightsDir } from '../helpers/weights-hub.ts';

/** `weights pull` and `weights verify` against a stand-in hub: resumable, checksummed, honest about what it can vouch for. */
useWeightsHub();

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
