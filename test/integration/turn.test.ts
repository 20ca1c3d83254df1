import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { createApp, type App } from '../../src/app.ts';
import type { IncomingTurn } from '../../src/contracts.ts';
import { BrushtalkError } from '../../src/errors.ts';
import { fakeEngine } from '../helpers/fake-engine.ts';
import { silentLog, tempDataDir, testConfig } from '../helpers/env.ts';
import { pictureFile, readRgb, testPicture } from '../helpers/images.ts';
import { recordingAdapter, recordingReply } from '../helpers/reply.ts';

const ref = { platform: 'test', scope: 'guild', channelId: 'chan', threadId: 'th' };
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(engine = fakeEngine(), dataDir?: string): Promise<{ app: App; adapter: ReturnType<typeof recordingAdapter>; dir: string }> {
  let dir = dataDir;
  if (!dir) {
    const temp = tempDataDir();
    cleanups.push(temp.cleanup);
    dir = temp.dir;
  }
  const app = await createApp({ config: testConfig(dir), log: silentLog, engine });
  const adapter = recordingAdapter('test');
  app.attach(adapter);
  app.startWorker();
  cleanups.push(() => app.close());
  return { app, adapter, dir };
}

const turn = (text: string, extra: Partial<IncomingTurn> = {}): IncomingTurn => ({ ref, messageId: randomUUID(), userId: 'u1', text, images: [], ...extra });

async function say(app: App, text: string, extra: Partial<IncomingTurn> = {}) {
  const reply = recordingReply();
  await app.core.handleTurn(turn(text, extra), reply);
  await app.core.settled(ref);
  return reply;
}

describe('the turn', () => {
  it('refine = redo: the same instruction after "mask shrink" redoes the edit from its input photo; a new one builds on the result', async () => {
    const { app } = await start();
    const png = await pictureFile(96, 64);
    const original = testPicture(96, 64);
    expect((await say(app, 'remove the square', { images: [{ bytes: png }], mask: { kind: 'box', box: { x: 16, y: 8, w: 64, h: 48 } } })).errors).toEqual([]);
    expect((await say(app, 'mask shrink 16')).errors).toEqual([]);
    expect((await say(app, 'remove the square')).errors).toEqual([]);
    const session = app.sessions.loadByRef(ref)!;
    expect(session.versions.map((v) => [v.number, v.kind, session.versions.find((p) => p.id === v.parentId)?.number ?? null])).toEqual([
      [1, 'source', null], [2, 'result', 1], [3, 'mask', 2], [4, 'result', 1],
    ]);
    const redo = await readRgb(await app.blobs.get(session.versions[3].imageId));
    // The shrunk hole is 32×16 at 32,24; beyond the blend's 10-px feather, inside the first box, is where the
    // first pass's fill would show if the edit ran on its result.
    let checked = 0;
    let changed = 0;
    for (let y = 8; y < 56; y++) {
      for (let x = 16; x < 80; x++) {
        if (x >= 32 - 11 && x < 64 + 11 && y >= 24 - 11 && y < 40 + 11) continue;
        checked++;
        const i = (y * 96 + x) * 3;
        if ([0, 1, 2].some((c) => redo.data[i + c] !== original.data[i + c])) changed++;
      }
    }
    expect(checked).toBeGreaterThan(500);
    expect(changed).toBe(0);
    const centre = (48 + 32 * 96) * 3;
    expect([redo.data[centre], redo.data[centre + 1], redo.data[centre + 2]]).toEqual([255, 0, 255]);

    // A new instruction applies to the current result: the redo's fill stays where the new mask is not.
    expect((await say(app, 'remove the dot', { mask: { kind: 'box', box: { x: 2, y: 2, w: 8, h: 8 } } })).errors).toEqual([]);
    const after = app.sessions.loadByRef(ref)!;
    const last = after.versions.at(-1)!;
    expect(after.versions.find((v) => v.id === last.parentId)?.number).toBe(5);
    const next = await readRgb(await app.blobs.get(last.imageId));
    expect([next.data[centre], next.data[centre + 1], next.data[centre + 2]]).toEqual([255, 0, 255]);
  });

  it('the engine gets the target caption and a negative prompt, never the instruction (remove / add / change)', async () => {
    const engine = fakeEngine({ generative: true });
    const { app } = await start(engine);
    const box = { kind: 'box' as const, box: { x: 30, y: 20, w: 24, h: 16 } };
    expect((await say(app, 'remove the square', { images: [{ bytes: await pictureFile(96, 64) }], mask: box })).errors).toEqual([]);
    expect((await say(app, 'add a red hat', { mask: box })).errors).toEqual([]);
    expect((await say(app, 'turn the square into a green ball', { mask: box })).errors).toEqual([]);
    expect((await say(app, 'caption: "a wooden table"')).errors).toEqual([]);
    expect(engine.prompts).toHaveLength(4);
    const [removal, addition, change, captioned] = engine.prompts;
    expect(removal).toEqual({ caption: '', negativePrompt: 'square, ugly, low quality' });
    expect(addition.caption).toMatch(/\bhat\b/);
    expect(addition.caption).not.toMatch(/\badd\b/);
    expect(addition.negativePrompt).toBe('ugly, low quality');
    expect(change.caption).toMatch(/green ball/);
    expect(change.caption).not.toMatch(/\bturn\b|\binto\b/);
    expect(captioned.caption).toBe('a wooden table');
    const history = (await say(app, 'history')).texts.join('\n');
    expect(history).toContain('prompt (none) · negative "square, ugly, low quality"');
    expect(history).toContain('prompt "a wooden table"');
  });

  it('a picture with a box and an instruction becomes a result version; pixels away from the mask are untouched', async () => {
    const { app, adapter } = await start();
    const png = await pictureFile(96, 64);
    const first = await say(app, 'remove the square', { images: [{ bytes: png }], mask: { kind: 'box', box: { x: 30, y: 20, w: 24, h: 16 } } });
    expect(first.errors).toEqual([]);
    expect(first.texts.join('\n')).toMatch(/Got the picture \(96×64, png\)[\s\S]*Editing with fake-fill/);
    const session = app.sessions.loadByRef(ref)!;
    expect(session.versions.map((v) => [v.number, v.kind])).toEqual([[1, 'source'], [2, 'result']]);
    const result = session.versions[1];
    expect(result).toMatchObject({ parentId: session.versions[0].id, engine: 'fake-fill', caption: '', negativePrompt: 'square, ugly, low quality', maskCoverage: (24 * 16) / (96 * 64) });
    expect(result.metrics).toMatchObject({ engineWidth: 768, engineHeight: 512 });
    const output = await readRgb(await app.blobs.get(result.imageId));
    const original = testPicture(96, 64);
    let inside = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 96; x++) {
        const i = (y * 96 + x) * 3;
        const far = x < 30 - 10 || x >= 54 + 10 || y < 20 - 10 || y >= 36 + 10;
        if (far) expect([output.data[i], output.data[i + 1], output.data[i + 2]]).toEqual([original.data[i], original.data[i + 1], original.data[i + 2]]);
        if (x >= 33 && x < 51 && y >= 23 && y < 33 && output.data[i] > 240 && output.data[i + 1] < 15 && output.data[i + 2] > 240) inside++;
      }
    }
    expect(inside).toBe(18 * 10); // the hole's core took the engine's colour
    const roles = adapter.reply.images.map((i) => i.details.role);
    expect(roles).toEqual(['result', 'mask', 'compare']);
    expect(adapter.reply.images[0].details.caption).toMatch(/^v2 · fake-fill · background PSNR/);
    const compare = await sharp(Buffer.from(adapter.reply.images[2].png)).metadata();
    expect([compare.width, compare.height]).toEqual([96 * 2 + 8, 64]);
    expect(adapter.reply.fractions.length).toBeGreaterThan(0);
  });

  it('versions are pictures: steps belong to the picture they prepare; undo/redo/version/history walk the pictures', async () => {
    const { app } = await start();
    await say(app, '', { images: [{ bytes: await pictureFile(64, 48) }] });
    expect((await say(app, 'mask box 10,10,20,10')).texts[0]).toBe('Mask updated: v1 with mask box 10,10,20,10 · mask 6.5% for the next edit.');
    expect((await say(app, 'mask grow 2')).texts[0]).toMatch(/mask 10\.9%/);
    expect((await say(app, 'seed 99')).texts[0]).toBe('Set seed 99.');
    expect((await say(app, 'undo')).texts[0]).toBe('Undone. Now at v1 with mask box 10,10,20,10, mask grow 2 · mask 10.9% for the next edit.');
    expect((await say(app, 'redo')).texts[0]).toMatch(/^Redone\. Now at v1 with mask box 10,10,20,10, mask grow 2, seed 99 · /);
    expect((await say(app, 'remove the square')).errors).toEqual([]);
    expect((await say(app, 'version 1')).texts[0]).toMatch(/^Now at v1 source: new picture · 64×48 · no mask\. /);
    expect((await say(app, 'version 3')).errors[0]).toMatch(/There is no version 3: versions run from 1 to 2\./);
    await say(app, 'mask box 0,0,8,8');
    await say(app, 'caption a quiet table');
    const history = (await say(app, 'history')).texts[0];
    expect(history.split('\n')).toEqual([
      '→ v1 source: new picture · 64×48 · no mask',
      '    next edit: mask box 0,0,8,8, caption: a quiet table · mask 2.1% · caption "a quiet table"',
      expect.stringMatching(/^  v2 result: remove the square · 64×48 · mask 10\.9% · fake-fill · background PSNR /),
      '    prompt (none) · negative "square, ugly, low quality"',
    ]);
    const session = app.sessions.loadByRef(ref)!;
    // Seven steps in the graph, two pictures; the branch started before the seed change.
    expect(session.versions.map((v) => [v.kind, v.picture])).toEqual([
      ['source', 1], ['mask', null], ['mask', null], ['params', null], ['result', 2], ['mask', null], ['caption', null],
    ]);
    expect(session.versions.at(-1)!.params.seed).not.toBe(99);
  });

  it('refuses bad input with a worded error and a reference, losing nothing', async () => {
    const { app } = await start();
    const bad = async (text: string, extra: Partial<IncomingTurn> = {}) => (await say(app, text, extra)).errors[0] ?? '';
    expect(await bad('mask grow 3')).toMatch(/no picture in this conversation yet.*\(ref T-[0-9A-Z]{6}\)/);
    expect(await bad('remove it', { images: [{ bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') }] })).toMatch(/svg/i);
    expect(await bad('remove it', { images: [{ bytes: (await pictureFile(64, 48)).subarray(0, 60) }] })).toMatch(/\(ref T-/);
    expect(app.sessions.loadByRef(ref)).toBeNull();
    await say(app, '', { images: [{ bytes: await pictureFile(64, 48) }] });
    // No mask drawn and no detector installed: the agent says what to run, and nothing is queued.
    expect((await say(app, 'remove the cup')).texts.join('\n')).toMatch(/not installed\. Run: npx brushtalk weights pull grounding-dino-tiny/);
    expect(await app.queue.activeJobs(app.sessions.loadByRef(ref)!.id)).toEqual([]);
    expect(await bad('mask grow 4')).toMatch(/no mask yet to change/);
    expect(await bad('mask box 100,100,5,5')).toMatch(/outside the 64×48 picture/);
    expect(await bad('/dance')).toMatch(/don't know the command/);
    const black = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#000' } }).png().toBuffer();
    expect(await bad('', { mask: { kind: 'image', bytes: black } })).toMatch(/mask is empty/);
    expect(app.sessions.loadByRef(ref)!.versions).toHaveLength(1);
  });

  it('a mask picture of another size is resized to the image', async () => {
    const { app } = await start();
    const half = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#000' } })
      .composite([{ input: { create: { width: 16, height: 24, channels: 3, background: '#fff' } }, left: 0, top: 0 }])
      .png()
      .toBuffer();
    await say(app, '', { images: [{ bytes: await pictureFile(64, 48) }], mask: { kind: 'image', bytes: half } });
    expect(app.sessions.loadByRef(ref)!.versions[0].maskCoverage).toBeCloseTo(0.5, 1);
  });

  it('ignores a re-delivered message id', async () => {
    const { app } = await start();
    const t = turn('', { images: [{ bytes: await pictureFile(64, 48) }] });
    const a = recordingReply();
    const b = recordingReply();
    await app.core.handleTurn(t, a);
    await app.core.handleTurn(t, b);
    expect(a.texts).toHaveLength(1);
    expect(b.texts).toHaveLength(0);
    expect(app.sessions.loadByRef(ref)!.versions).toHaveLength(1);
  });

  it('concurrent turns on one conversation never lose an update, within a process and across two', async () => {
    const { app, dir } = await start();
    const other = (await start(fakeEngine(), dir)).app; // a second process on the same SQLite file
    await say(app, 'mask box 0,0,8,8', { images: [{ bytes: await pictureFile(64, 48) }] });
    const turns = Array.from({ length: 16 }, (_, i) => (i % 2 ? other : app).core.handleTurn(turn(`caption take ${i}`), recordingReply()));
    await Promise.all(turns);
    const session = app.sessions.loadByRef(ref)!;
    expect(session.versions).toHaveLength(18); // source, mask, and one caption per turn
    expect(new Set(session.versions.map((v) => v.caption))).toEqual(new Set([null, ...Array.from({ length: 16 }, (_, i) => `take ${i}`)]));
    expect(session.versions.map((v) => v.number)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
    expect(session.undo).toHaveLength(17);
  });

  it('reports an engine failure as a worded error with the job reference', async () => {
    const { app, adapter } = await start(fakeEngine({ failWith: new BrushtalkError('engine.failed', 'The GPU ran out of memory.') }));
    await say(app, 'remove it', { images: [{ bytes: await pictureFile(64, 48) }], mask: { kind: 'box', box: { x: 1, y: 1, w: 9, h: 9 } } });
    expect(adapter.reply.errors).toEqual([expect.stringMatching(/^The edit failed: The GPU ran out of memory\. \(ref T-/)]);
    expect(app.sessions.loadByRef(ref)!.versions).toHaveLength(1);
  });

  it('cancel stops a running edit', async () => {
    const { app, adapter } = await start(fakeEngine({ delayMs: 5000 }));
    await app.core.handleTurn(turn('remove it', { images: [{ bytes: await pictureFile(64, 48) }], mask: { kind: 'box', box: { x: 1, y: 1, w: 9, h: 9 } } }), recordingReply());
    const session = app.sessions.loadByRef(ref)!;
    while ((await app.queue.activeJobs(session.id)).every((j) => j.state !== 'running')) await new Promise((r) => setTimeout(r, 10));
    const reply = recordingReply();
    await app.core.handleTurn(turn('cancel'), reply);
    expect(reply.texts[0]).toBe('Cancelled 1 edit.');
    await app.core.settled(ref);
    expect(adapter.reply.texts.at(-1)).toMatch(/^Edit cancelled/);
    expect(app.sessions.loadByRef(ref)!.versions).toHaveLength(1);
  });
});

describe('honest engines (issue 12)', () => {
  const box = { kind: 'box', box: { x: 30, y: 20, w: 24, h: 16 } } as const;
  const jobCount = (app: App) => (app.database.sqlite.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
  const versionCount = (app: App) => app.sessions.loadByRef(ref)!.versions.length;
  const words = (reply: Awaited<ReturnType<typeof say>>) => [...reply.texts, ...reply.errors].join('\n');

  it('a fill-only engine answers restyles, new backgrounds, additions and changes in words, queuing nothing', async () => {
    const { app } = await start(fakeEngine({ generative: false }));
    await say(app, '', { images: [{ bytes: await pictureFile(96, 64) }] });
    const refusals = {
      'make it winter': /restyle the whole picture/,
      'make it look like a painting': /restyle the whole picture/,
      'put her on a beach': /paint a new background/,
      'add a hat': /draw something that is not in the picture/,
      'make the car red': /change how something looks/,
      'turn the cat into a dog': /change how something looks/,
    };
    for (const [instruction, why] of Object.entries(refusals)) {
      const reply = await say(app, instruction);
      expect(reply.errors).toEqual([]);
      expect(reply.texts.join('\n')).toMatch(why);
      expect(reply.texts.join('\n')).toMatch(/It can remove things .* fill an area you paint from its surroundings\..*weights\/convert\/README\.md/);
    }
    expect((await say(app, 'make it winter')).texts).toEqual([
      'I can\'t do "make it winter" here: the fake engine only fills a marked area from the pixels around it, so it cannot restyle the whole picture (seasons, weather, painting styles). ' +
        'It can remove things ("remove the cup") or fill an area you paint from its surroundings. Adding, changing, restyling and new backgrounds need BrushNet: weights/convert/README.md says how to get its weights.',
    ]);
    // With the user's own mask too: a painted area is filled, never turned into a hat.
    await say(app, 'mask box 30,20,24,16');
    expect(words(await say(app, 'add a hat'))).toMatch(/can't do "add a hat"/);
    expect(words(await say(app, 'make it winter'))).toMatch(/can't do "make it winter"/);
    expect(jobCount(app)).toBe(0);
    expect(versionCount(app)).toBe(2); // the picture and the mask: nothing was made for the refused edits
    expect(app.sessions.loadByRef(ref)!.versions.map((v) => v.kind)).toEqual(['source', 'mask']);

    // A removal still runs on the same engine, and so does a vague description of the area the user marked.
    const removal = await say(app, 'remove the cup');
    expect(removal.texts.join('\n')).toMatch(/Editing with fake-fill/);
    expect(jobCount(app)).toBe(1);
    expect(app.sessions.loadByRef(ref)!.versions.map((v) => v.kind)).toEqual(['source', 'mask', 'result']);
    await say(app, 'mask box 30,20,24,16');
    expect(words(await say(app, 'an empty wooden table'))).toMatch(/Editing with fake-fill/);
    expect(jobCount(app)).toBe(2);
  });

  it('a fill-only engine refuses a mask over 98% of the picture: nothing is left to fill from', async () => {
    const { app } = await start();
    await say(app, '', { images: [{ bytes: await pictureFile(96, 64) }] });
    await say(app, 'mask all');
    const reply = await say(app, 'remove the cup');
    expect(words(reply)).toMatch(/^The mask covers 100% of the picture\. The fake engine fills a marked area from the pixels around it, and with 98% or more marked there is nothing left to fill from\./);
    expect(jobCount(app)).toBe(0);
    expect(versionCount(app)).toBe(2);
    await say(app, 'mask box 2,2,92,60'); // 96 % of the picture: there is still a ring to fill from
    expect((await say(app, 'remove the cup')).texts.join('\n')).toMatch(/Editing with fake-fill/);
    expect(jobCount(app)).toBe(1);
  });

  it('a deterministic engine answers re-rolls and samples in words and adds no identical versions', async () => {
    const { app, adapter } = await start(fakeEngine({ deterministic: true }));
    await say(app, 'remove the square', { images: [{ bytes: await pictureFile(96, 64) }], mask: box });
    const result = adapter.reply.images.find((i) => i.details.role === 'result')!.details;
    expect(result.actions).toEqual(['grow', 'shrink', 'invert', 'undo', 'caption', 'accept']); // no re-roll button
    const same = /^The fake engine gives the same picture for every seed, so another seed would only repeat this result\. For a different result change the mask/;
    for (const text of ['another seed', 'try again', 'seed']) {
      const reply = await say(app, text);
      expect(reply.errors).toEqual([]);
      expect(reply.texts.join('\n')).toMatch(same);
    }
    expect((await say(app, 'seed 42')).texts).toEqual(['The fake engine gives the same picture for every seed, so the seed stays as it is.']);
    expect((await say(app, 'samples 3')).texts).toEqual(['The fake engine gives the same picture every time, so 3 samples would be 3 identical copies; it makes one.']);
    expect(words(await say(app, 'give me 2 samples'))).toMatch(/2 samples would be 2 identical copies/);
    // An old message's re-roll button says the same.
    const pressed = await say(app, '', { action: { action: 'reroll', sessionId: result.sessionId!, versionId: result.versionId! } });
    expect(pressed.errors[0]).toMatch(same);
    expect(jobCount(app)).toBe(1);
    expect(app.sessions.loadByRef(ref)!.versions.map((v) => v.kind)).toEqual(['source', 'result']);
    expect(app.core.status().engine).toMatchObject({ generative: false, deterministic: true, hint: expect.stringMatching(/same picture for every seed/) });
    // Discord's /edit sends its options as `seed 42` with the picture: the picture is kept, the seed is explained.
    const withPicture = await say(app, 'seed 42', { images: [{ bytes: await pictureFile(64, 48) }] });
    expect(withPicture.texts).toEqual([expect.stringMatching(/^Got the picture \(64×48, png\)[\s\S]*\nThe fake engine gives the same picture for every seed, so the seed stays as it is\.$/)]);
    expect(versionCount(app)).toBe(3);
  });

  it('an engine that generates runs the same requests: restyle, addition, re-roll', async () => {
    const { app } = await start(fakeEngine({ generative: true }));
    await say(app, 'mask box 30,20,24,16', { images: [{ bytes: await pictureFile(96, 64) }] });
    expect((await say(app, 'make it winter')).texts.join('\n')).toMatch(/Editing with fake-fill/);
    expect((await say(app, 'another seed')).texts.join('\n')).toMatch(/New seed \d+\.[\s\S]*Editing with fake-fill/);
    expect((await say(app, 'add a hat')).texts.join('\n')).toMatch(/Editing with fake-fill/);
    expect(jobCount(app)).toBe(3);
    expect(app.sessions.loadByRef(ref)!.versions.filter((v) => v.kind === 'result')).toHaveLength(3);
    expect(app.core.status().engine).toMatchObject({ generative: true, deterministic: false, hint: null });
  });
});
