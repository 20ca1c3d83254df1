import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import type { ConversationRef, IncomingTurn, TurnAction } from '../../src/contracts.ts';
import { decodeImage, defaultDecodeLimits, encodeMaskPng } from '../../src/images/codec.ts';
import { createMask } from '../../src/images/raster.ts';
import { fakeEngine } from '../helpers/fake-engine.ts';
import { silentLog, tempDataDir, testConfig } from '../helpers/env.ts';
import { pictureFile } from '../helpers/images.ts';
import { recordingAdapter, recordingReply } from '../helpers/reply.ts';

const shared: ConversationRef = { platform: 'test', scope: 'server-1', channelId: 'general' };
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(dir = tempDataDir()) {
  const app = await createApp({ config: testConfig(dir.dir), log: silentLog, engine: fakeEngine() });
  const adapter = recordingAdapter('test');
  app.attach(adapter);
  app.startWorker();
  cleanups.push(() => app.close());
  return { app, adapter, dir };
}

async function turn(app: App, userId: string, extra: Partial<IncomingTurn>, ref = shared) {
  const reply = recordingReply();
  await app.core.handleTurn({ ref, messageId: randomUUID(), userId, text: '', images: [], ...extra }, reply);
  await app.core.settled(ref);
  return reply;
}

const picture = async (w = 64, h = 48) => [{ bytes: await pictureFile(w, h) }];
const box = { kind: 'box', box: { x: 8, y: 8, w: 16, h: 12 } } as const;
const press = (action: TurnAction['action'], details: { sessionId?: string; versionId?: string }): Partial<IncomingTurn> => ({
  action: { action, sessionId: details.sessionId!, versionId: details.versionId! },
});

function sourceParams(app: App): { author: string | null; params: Record<string, unknown> }[] {
  const rows = app.database.sqlite.prepare("SELECT author_id AS author, params FROM versions WHERE kind = 'source' ORDER BY number").all() as { author: string | null; params: string }[];
  return rows.map((r) => ({ author: r.author, params: JSON.parse(r.params) as Record<string, unknown> }));
}

describe('a shared channel: each picture belongs to whoever brought it', () => {
  it("lets each person press their own result's buttons, and refuses the other's", async () => {
    const { app, adapter } = await start();
    await turn(app, 'ann', { text: 'remove it', images: await picture(), mask: box });
    const annResult = adapter.reply.images.find((i) => i.details.role === 'result')!.details;
    await turn(app, 'bob', { text: 'remove it', images: await picture(80, 60), mask: box });
    const bobResult = adapter.reply.images.filter((i) => i.details.role === 'result').at(-1)!.details;
    expect(bobResult.versionId).not.toBe(annResult.versionId);
    expect(sourceParams(app).map((s) => s.author)).toEqual(['ann', 'bob']);
    // Results and masks carry their picture's author down the graph.
    const authors = app.database.sqlite.prepare('SELECT kind, author_id AS author FROM versions ORDER BY number').all();
    expect(authors).toEqual([
      { kind: 'source', author: 'ann' },
      { kind: 'result', author: 'ann' },
      { kind: 'source', author: 'bob' },
      { kind: 'result', author: 'bob' },
    ]);

    expect((await turn(app, 'bob', press('accept', bobResult))).errors).toEqual([]);
    expect((await turn(app, 'bob', press('grow', annResult))).errors[0]).toMatch(/Only the person who brought this picture can use its buttons/);
    const annGrow = await turn(app, 'ann', press('grow', annResult));
    expect(annGrow.errors).toEqual([]);
    const view = (await app.core.view(shared))!;
    // Ann's edit redone from her photo with the grown mask: v5, a sibling of v2.
    expect(view.versions.slice(4).map((v) => [v.number, v.kind, v.parentNumber])).toEqual([[5, 'result', 1]]);
    expect(app.sessions.loadByRef(shared)!.versions.find((v) => v.kind === 'mask')).toMatchObject({ note: 'mask grow 12', authorId: 'ann' });
  });
});

describe('Upload mask', () => {
  it("replaces the mask with the uploaded picture and runs the edit again from that result's input photo", async () => {
    const { app, adapter } = await start();
    await turn(app, 'ann', { text: 'remove it', images: await picture(), mask: box });
    const result = adapter.reply.images.find((i) => i.details.role === 'result')!.details;

    const uploaded = createMask(64, 48);
    for (let y = 30; y < 44; y++) for (let x = 40; x < 60; x++) uploaded.data[y * 64 + x] = 1;
    const reply = await turn(app, 'ann', { ...press('mask', result), mask: { kind: 'image', bytes: await encodeMaskPng(uploaded) } });
    expect(reply.errors).toEqual([]);
    expect(reply.texts[0]).toMatch(/Mask updated/);

    const view = (await app.core.view(shared))!;
    const rerun = view.versions[2];
    const mask = app.sessions.loadByRef(shared)!.versions.find((v) => v.note === 'mask from picture')!;
    expect(app.sessions.loadByRef(shared)!.versions.find((v) => v.id === mask.parentId)!.picture).toBe(2);
    expect(rerun).toMatchObject({ number: 3, kind: 'result', parentNumber: 1, maskId: mask.maskId });
    // The new result is painted where the upload was white, and not where the first box was.
    const out = await decodeImage((await app.core.picture(shared, rerun.imageId))!, defaultDecodeLimits);
    const at = (x: number, y: number) => [...out.data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3)];
    expect(at(50, 37)).toEqual([255, 0, 255]);
    const first = await decodeImage((await app.core.picture(shared, view.versions[1].imageId))!, defaultDecodeLimits);
    expect(at(2, 2)).toEqual([...first.data.subarray((2 * 64 + 2) * 3, (2 * 64 + 2) * 3 + 3)]);

    const without = await turn(app, 'ann', press('mask', result));
    expect(without.errors[0]).toMatch(/Attach the mask as a picture/);
  });
});

describe('per-user defaults', () => {
  it('apply to every new picture that person brings, survive a restart, and can be forgotten', async () => {
    const first = await start();
    const set = await turn(first.app, 'ann', { text: 'defaults strength 0.6 samples 2' });
    expect(set.errors).toEqual([]);
    expect(set.texts[0]).toBe('Your defaults for new pictures: strength 0.6, samples 2.');
    expect((await turn(first.app, 'ann', { text: 'defaults steps 30' })).texts[0]).toBe('Your defaults for new pictures: strength 0.6, samples 2, steps 30.');
    expect((await turn(first.app, 'ann', { text: 'defaults strength 7' })).errors[0]).toMatch(/strength must be a number from 0 to 1\.1, not "7"/);
    expect((await turn(first.app, 'ann', { text: 'defaults colour red' })).errors[0]).toMatch(/"colour" is not a setting/);
    await first.app.close();

    // Another process on the same data directory: the defaults were stored, not held in memory.
    const second = await start(first.dir);
    cleanups.push(first.dir.cleanup);
    await turn(second.app, 'ann', { images: await picture() }, { ...shared, channelId: 'elsewhere' });
    await turn(second.app, 'bob', { images: await picture() });
    const [ann, bob] = sourceParams(second.app);
    expect(ann).toMatchObject({ author: 'ann', params: { strength: 0.6, samples: 2, steps: 30, guidance: 7.5 } });
    expect(bob).toMatchObject({ author: 'bob', params: { strength: 1, samples: 1, steps: 50 } });

    // Setting defaults while on your own picture changes it there too; on someone else's it does not.
    const here = await turn(second.app, 'bob', { text: 'defaults guidance 5' });
    // The fill-only engine here has no guidance: kept as a default, said in words for this picture.
    expect(here.texts[0]).toMatch(/^Your defaults for new pictures: guidance 5\. Here: The fake engine fills from the surroundings without a diffusion model, so guidance would change nothing here\./);
    const notHere = await turn(second.app, 'ann', { text: 'defaults guidance 9' });
    expect(notHere.texts[0]).toBe('Your defaults for new pictures: strength 0.6, samples 2, steps 30, guidance 9.');

    expect((await turn(second.app, 'ann', { text: 'defaults clear' })).texts[0]).toMatch(/forgotten/);
    expect((await turn(second.app, 'ann', { text: 'defaults' })).texts[0]).toMatch(/You have no defaults yet/);
  });
});

describe("a server's own button rule", () => {
  it("only its admins change it; it overrides the bot's default and is stored", async () => {
    const { app, adapter } = await start();
    await turn(app, 'ann', { text: 'remove it', images: await picture(), mask: box });
    const result = adapter.reply.images.find((i) => i.details.role === 'result')!.details;

    expect((await turn(app, 'bob', { text: 'buttons' })).texts[0]).toMatch(/only whoever brought a picture may press/);
    expect((await turn(app, 'bob', { text: 'buttons everyone' })).errors[0]).toMatch(/Only admins of this server or workspace can change/);
    expect((await turn(app, 'bob', press('accept', result))).errors[0]).toMatch(/Only the person who brought this picture/);

    expect((await turn(app, 'admin', { text: 'buttons everyone', scopeAdmin: true })).texts[0]).toBe('From now on anyone here may press result buttons.');
    expect((await turn(app, 'bob', press('accept', result))).texts[0]).toMatch(/Kept v2/);
    expect(app.database.sqlite.prepare('SELECT platform, scope, others_may_act AS open, updated_by AS who FROM scope_settings').all()).toEqual([
      { platform: 'test', scope: 'server-1', open: 1, who: 'admin' },
    ]);
    // Another server keeps the bot's default; the server's choice wins over a bot default that opens buttons.
    await turn(app, 'admin', { text: 'buttons owner', scopeAdmin: true });
    expect((await turn(app, 'bob', { ...press('accept', result), othersMayAct: true })).errors[0]).toMatch(/Only the person who brought this picture/);
  });
});
