import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import type { IncomingTurn, TurnAction } from '../../src/contracts.ts';
import { fakeEngine } from '../helpers/fake-engine.ts';
import { silentLog, tempDataDir, testConfig } from '../helpers/env.ts';
import { pictureFile } from '../helpers/images.ts';
import { recordingAdapter, recordingReply } from '../helpers/reply.ts';

const ref = { platform: 'test', scope: 'g', channelId: 'c' };
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start() {
  const temp = tempDataDir();
  const app = await createApp({ config: testConfig(temp.dir), log: silentLog, engine: fakeEngine() });
  const adapter = recordingAdapter('test');
  app.attach(adapter);
  app.startWorker();
  cleanups.push(temp.cleanup, () => app.close());
  return { app, adapter };
}

async function turn(app: App, extra: Partial<IncomingTurn>, userId = 'owner') {
  const reply = recordingReply();
  await app.core.handleTurn({ ref, messageId: randomUUID(), userId, text: '', images: [], ...extra }, reply);
  await app.core.settled(ref);
  return reply;
}

describe('result buttons', () => {
  it('carry the session and version, act for the owner only, and act on the version they belong to', async () => {
    const { app, adapter } = await start();
    await turn(app, { text: 'remove the square', images: [{ bytes: await pictureFile(64, 48) }], mask: { kind: 'box', box: { x: 10, y: 10, w: 16, h: 12 } } });
    const result = adapter.reply.images.find((i) => i.details.role === 'result')!.details;
    expect(result.actions).toEqual(['reroll', 'grow', 'shrink', 'invert', 'undo', 'caption', 'accept']);
    const press = (action: TurnAction['action'], versionId = result.versionId!, value?: string): Partial<IncomingTurn> => ({
      action: { action, sessionId: result.sessionId!, versionId, ...(value ? { value } : {}) },
    });

    const stranger = await turn(app, press('grow'), 'someone-else');
    expect(stranger.errors[0]).toMatch(/Only the person who brought this picture can use its buttons/);
    // A platform setting (DISCORD_OWNER_ONLY=false) can open the buttons to everyone in the conversation.
    const opened = await turn(app, { ...press('accept'), othersMayAct: true }, 'someone-else');
    expect(opened.errors).toEqual([]);
    expect(opened.texts[0]).toMatch(/Kept v2/);

    await turn(app, press('grow'));
    let view = (await app.core.view(ref))!;
    // The strip shows pictures: the grown mask is a step of the redo, which is a sibling of v2 (made from v1).
    expect(view.versions.map((v) => [v.number, v.kind, v.parentNumber])).toEqual([[1, 'source', null], [2, 'result', 1], [3, 'result', 1]]);
    expect(app.sessions.loadByRef(ref)!.versions.map((v) => v.note)).toContain('mask grow 12');

    // Re-roll on the FIRST result (an older message's button): it is checked out, then re-rolled from there.
    await turn(app, press('reroll'));
    view = (await app.core.view(ref))!;
    const last = view.versions.at(-1)!;
    expect(last.kind).toBe('result');
    // The new seed (a step on v2) redoes v2's edit from its input photo: v4, a sibling of v2.
    expect(last).toMatchObject({ number: 4, parentNumber: 1 });
    const steps = app.sessions.loadByRef(ref)!.versions.filter((v) => v.kind === 'params');
    expect(steps.map((v) => app.sessions.loadByRef(ref)!.versions.find((p) => p.id === v.parentId)?.picture)).toEqual([2]);

    await turn(app, press('caption', result.versionId, 'an empty wooden table'));
    expect((await app.core.view(ref))!.versions.at(-1)!.caption).toBe('an empty wooden table');
    expect((await turn(app, press('caption'))).errors[0]).toMatch(/Type the caption/);
    expect((await turn(app, press('accept'))).texts[0]).toMatch(/Kept v2/);
  });

  it('views and pictures are scoped to the conversation', async () => {
    const { app } = await start();
    await turn(app, { images: [{ bytes: await pictureFile(64, 48) }] });
    const view = (await app.core.view(ref))!;
    expect(view).toMatchObject({ ownerId: 'owner', canUndo: false, canRedo: false, active: [] });
    const imageId = view.versions[0].imageId;
    expect((await app.core.picture(ref, imageId))?.byteLength).toBeGreaterThan(0);
    expect(await app.core.picture({ ...ref, channelId: 'other' }, imageId)).toBeNull();
    expect(await app.core.view({ ...ref, channelId: 'other' })).toBeNull();
    const status = app.core.status();
    expect(status.engine).toMatchObject({ name: 'fake-fill', generative: false });
    expect(status.detector).toMatchObject({ installed: false, hint: expect.stringMatching(/npx brushtalk weights pull grounding-dino-tiny/) });
    expect(status.llm).toMatchObject({ configured: false, hint: expect.stringMatching(/offline instructor/) });
  });
});
