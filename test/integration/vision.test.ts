import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { decodeImage, decodeMask } from '../../src/images/codec.ts';
import { defaultDecodeLimits } from '../../src/images/codec.ts';
import { createDefaultVision } from '../../src/vision/models.ts';
import { fakeEngine } from '../helpers/fake-engine.ts';
import { silentLog, tempDataDir, testConfig } from '../helpers/env.ts';
import { recordingAdapter, recordingReply } from '../helpers/reply.ts';
import { brightSquarePicture, writeTinyVision } from '../helpers/tiny-vision.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const square = { x: 50, y: 30, w: 40, h: 24 };

function setup() {
  const temp = tempDataDir();
  cleanups.push(temp.cleanup);
  const env = writeTinyVision(path.join(temp.dir, 'weights'));
  const config = testConfig(temp.dir, env);
  return { temp, env, config };
}

function maskError(mask: { width: number; data: Uint8Array }, box: typeof square): number {
  let wrong = 0;
  for (let i = 0; i < mask.data.length; i++) {
    const x = i % mask.width;
    const y = Math.floor(i / mask.width);
    const inside = x >= box.x && x < box.x + box.w && y >= box.y && y < box.y + box.h;
    if (Boolean(mask.data[i]) !== inside) wrong++;
  }
  return wrong;
}

describe('vision service on tiny models, in its worker thread', () => {
  it('detects the object, segments it, and reuses the cached embedding for the next prompt', async () => {
    const { config } = setup();
    const vision = createDefaultVision(config, silentLog);
    cleanups.push(() => vision.close());
    const image = await decodeImage(await brightSquarePicture(160, 100, square), defaultDecodeLimits);
    const detected = await vision.detect(image, 'square');
    const best = detected.value[0];
    expect(best.score).toBeGreaterThan(0.9);
    for (const key of ['x', 'y', 'w', 'h'] as const) expect(Math.abs(best.box[key] - square[key])).toBeLessThanOrEqual(3);
    const first = await vision.segment(image, 'blob-1', [best.box]);
    expect(first.timings.embedding_computed).toBe(1);
    expect(maskError(first.value.mask, square)).toBeLessThan(160 * 2 * 3); // within a couple of pixels along the edges
    const again = await vision.segment(image, 'blob-1', [{ x: 0, y: 0, w: 20, h: 20 }]);
    expect(again.timings.embedding_memory).toBe(1);
    expect(first.timings['embed.encoder']).toBeGreaterThan(0);
    expect(again.timings['embed.encoder']).toBeUndefined(); // the encoder did not run again
  }, 60_000);

  it('a turn "find the square" then "remove it" masks the square and edits it', async () => {
    const { config } = setup();
    const app = await createApp({ config, log: silentLog, engine: fakeEngine() });
    const adapter = recordingAdapter('test');
    app.attach(adapter);
    app.startWorker();
    cleanups.push(() => app.close());
    const ref = { platform: 'test', scope: 's', channelId: 'c' };
    const say = async (text: string, images: { bytes: Uint8Array }[] = []) => {
      const reply = recordingReply();
      await app.core.handleTurn({ ref, messageId: randomUUID(), userId: 'u', text, images }, reply);
      await app.core.settled(ref);
      return reply;
    };
    await say('', [{ bytes: await brightSquarePicture(160, 100, square) }]);
    const found = await say('find the square');
    expect(found.errors).toEqual([]);
    expect(found.texts[0]).toMatch(/^Found \d+ × "square"/);
    const session = app.sessions.loadByRef(ref)!;
    const head = session.versions.at(-1)!;
    expect(head.detections?.selected).toEqual([expect.any(Number)]);
    const mask = await decodeMask(await app.blobs.get(head.maskId!), 160, 100, defaultDecodeLimits);
    expect(maskError(mask, square)).toBeLessThan(160 * 2 * 3);
    await say('remove it');
    expect(adapter.reply.images.map((i) => i.details.role)).toEqual(['result', 'mask', 'compare']);
  }, 60_000);
});

describe('brushtalk detect (command line)', () => {
  const bin = fileURLToPath(new URL('../../adapters/cli/bin.js', import.meta.url));
  const run = async (cwd: string, env: Record<string, string>, ...args: string[]) => {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { cwd, env: { ...process.env, ...env } });
      return { code: 0, stdout, stderr };
    } catch (error) {
      return error as { code: number; stdout: string; stderr: string };
    }
  };

  it('writes the mask and an overlay on the tiny models, runs a whole conversation, and names the pull command when weights are missing', async () => {
    const { temp, env } = setup();
    fs.writeFileSync(path.join(temp.dir, 'photo.png'), await brightSquarePicture(160, 100, square));
    const result = await run(temp.dir, { ...env, DATA_DIR: path.join(temp.dir, 'data') }, 'detect', 'photo.png', 'the square', '--out', 'square.png');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\* 1\. .* at \d+,\d+,\d+,\d+$/m);
    expect(result.stdout).toMatch(/^mask: .*square\.png$/m);
    const mask = await decodeMask(fs.readFileSync(path.join(temp.dir, 'square.png')), 160, 100, defaultDecodeLimits);
    expect(maskError(mask, square)).toBeLessThan(160 * 2 * 3);
    expect(fs.existsSync(path.join(temp.dir, 'square-overlay.png'))).toBe(true);

    // The agent with no LLM, on the tiny models and the classical engine, across four invocations.
    const session = ['--session', 'walk'];
    const data = { ...env, DATA_DIR: path.join(temp.dir, 'data') };
    const first = await run(temp.dir, data, 'edit', 'photo.png', 'remove the bird', ...session);
    expect(first.stdout).toMatch(/Found \d+ × "bird"[\s\S]*result: /);
    expect((await run(temp.dir, data, 'edit', 'make the mask bigger', ...session)).stdout).toMatch(/Mask updated[\s\S]*result: .*v\d+\.png/);
    // The classical engine cannot recolour: it says so in words and nothing is made; a removal of the car runs.
    const red = await run(temp.dir, data, 'edit', 'now make the car red', ...session);
    expect(red.stdout).toMatch(/I can't do "now make the car red" here: the classical engine only fills a marked area/);
    expect(red.stdout).not.toMatch(/result: /);
    expect((await run(temp.dir, data, 'edit', 'now remove the car', ...session)).stdout).toMatch(/Found \d+ × "car"[\s\S]*result: /);
    expect((await run(temp.dir, data, 'undo', ...session)).stdout).toMatch(/Undone\. Now at v3 result: remove the bird/);
    // One line per picture (results carry a second, indented line with their prompts): the photo, the removal of
    // the bird, its redo with the bigger mask (from v1), and the removal of the car on top of that.
    const history = (await run(temp.dir, data, 'history', ...session)).stdout.trimEnd().split('\n').filter((line) => /^[→ ] v\d+/.test(line));
    expect(history.map((line) => /^[→ ] (v\d+ \w+: [a-z ]+) .*?( \(from v\d\))?$/.exec(line)?.slice(1, 3).join(''))).toEqual([
      'v1 source: new picture', 'v2 result: remove the bird', 'v3 result: remove the bird (from v1)', 'v4 result: now remove the car',
    ]);
    expect(history[2]).toMatch(/^→ v3/);
    // The removal of the car was prompted with nothing but told to avoid the car (never "now remove the car").
    expect((await run(temp.dir, data, 'history', ...session)).stdout).toContain('prompt (none) · negative "car, ugly, low quality"');

    const missing = await run(temp.dir, { DATA_DIR: path.join(temp.dir, 'data'), WEIGHTS_DIR: path.join(temp.dir, 'empty') }, 'detect', 'photo.png', 'the square');
    expect(missing.code).toBe(3); // set-up needed
    expect(missing.stderr).toMatch(/not installed\. Run: npx brushtalk weights pull grounding-dino-tiny/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  }, 240_000);
});
