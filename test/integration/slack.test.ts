import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationRef } from '../../src/contracts.ts';
import { pictureFile } from '../helpers/images.ts';
import { eventEnvelope, interactionBody } from '../helpers/slack-api.ts';
import { botToken, editCallMethods, editedResult, expectResultDelivered, form, mention, methods, parentTs, ref, startSlackWorld } from '../helpers/slack-rig.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const start = () => startSlackWorld(cleanups);

// A full edit per test: generous for a loaded machine (every wait is on a condition).
describe('the Slack adapter behind Bolt’s HTTP receiver', { timeout: 30_000 }, () => {
  it('a mention with a picture starts a session in its thread and answers with the result and buttons', async () => {
    const world = await start();
    const response = await world.send(await mention(world));
    expect(response.status).toBe(200);
    await world.settle();

    expect(world.stub.downloads).toEqual([{ name: 'photo.png', authorized: true }]);
    const calls = world.stub.since(0);
    const view = (await world.app.core.view(ref))!;
    expect(view.ownerId).toBe('U1');
    const result = view.versions.at(-1)!;
    expect(result.kind).toBe('result');

    // Everything goes into the thread whose parent is the mention itself.
    for (const call of calls.filter((c) => c.method.startsWith('chat.'))) expect(call.args).toMatchObject({ channel: 'C1' });
    expect(calls.filter((c) => c.method === 'chat.postMessage').every((c) => c.args.thread_ts === parentTs)).toBe(true);
    expect(calls.every((c) => c.token === botToken)).toBe(true);
    expect(calls[0]).toMatchObject({ method: 'chat.postMessage', args: { text: expect.stringMatching(/Got the picture \(64×48, png\)[\s\S]*Editing with fake-fill/) } });
    // One status line, posted once and then edited (never a new message per progress step).
    const status = calls.find((c) => c.method === 'chat.postMessage' && /Editing…/.test(String(c.args.text)))!;
    expect(calls.filter((c) => c.method === 'chat.postMessage' && /Editing…/.test(String(c.args.text)))).toHaveLength(1);
    expect(methods(calls)).toEqual(editCallMethods);
    expect(calls.findLast((c) => c.method === 'chat.update')!.args).toMatchObject({ ts: status.result.ts, text: expect.stringMatching(/Done/) });
    expectResultDelivered(calls, result.number, view.sessionId, result.id);
    expect(world.stub.uploads).toHaveLength(2);
    expect(world.stub.uploads.every((u) => u.bytes > 100)).toBe(true);
  });

  it('a follow-up in the thread continues the same session; a thread without one is left alone', async () => {
    const world = await start();
    await world.send(await mention(world));
    await world.settle();
    const before = world.stub.calls.length;
    const sessionId = (await world.app.core.view(ref))!.sessionId;

    const followUp = { type: 'message', channel: 'C1', channel_type: 'channel', user: 'U1', text: 'make the mask bigger', ts: '1700000001.000200', thread_ts: parentTs, event_ts: '1700000001.000200' };
    expect((await world.send(eventEnvelope('Ev-follow', followUp))).status).toBe(200);
    await world.settle();
    const calls = world.stub.since(before);
    expect(calls[0]).toMatchObject({ method: 'chat.postMessage', args: { channel: 'C1', thread_ts: parentTs, text: expect.stringMatching(/Mask updated[\s\S]*Editing/) } });
    const view = (await world.app.core.view(ref))!;
    expect(view.sessionId).toBe(sessionId);
    expect(view.versions.map((v) => [v.number, v.kind, v.parentNumber])).toEqual([[1, 'source', null], [2, 'result', 1], [3, 'result', 1]]);
    const result = view.versions.at(-1)!;
    expectResultDelivered(calls, result.number, sessionId, result.id);

    // A thread without a session, the message event that repeats a mention, our own post: no work at all.
    const after = world.stub.calls.length;
    const stranger = { ...followUp, ts: '1700000002.000300', thread_ts: '1699999999.000001', event_ts: '1700000002.000300' };
    const echo = { ...followUp, ts: '1700000003.000400', text: '<@UBOT> also the collar', event_ts: '1700000003.000400' };
    const own = { ...followUp, ts: '1700000004.000500', user: 'UBOT', bot_id: 'BBOT', text: 'v5 mask', event_ts: '1700000004.000500' };
    await world.send(eventEnvelope('Ev-stranger', stranger));
    await world.send(eventEnvelope('Ev-echo', echo));
    await world.send(eventEnvelope('Ev-own', own));
    await world.settle();
    expect(world.stub.since(after)).toEqual([]);
  });

  it('a redelivered event (x-slack-retry-num, same event_id) does nothing new', async () => {
    const world = await start();
    const body = await mention(world);
    await world.send(body);
    await world.settle();
    const before = { calls: world.stub.calls.length, versions: (await world.versions()).length, jobs: world.jobs() };

    const retry = await world.send(body, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    expect(retry.status).toBe(200);
    await world.settle();
    expect(world.stub.since(before.calls)).toEqual([]);
    expect(world.stub.downloads).toHaveLength(1); // not even the picture again
    expect((await world.versions()).length).toBe(before.versions);
    expect(world.jobs()).toBe(before.jobs);
  });

  it('forged or unsigned requests get 401 and start no work', async () => {
    const world = await start();
    const body = await mention(world);
    expect((await world.send(body, { secret: 'not-the-secret' })).status).toBe(401);
    const unsigned = await fetch(`http://127.0.0.1:${world.slack.port()}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);
    await delay(100);
    await world.settle();
    expect(world.stub.since(0)).toEqual([]);
    expect(world.stub.downloads).toEqual([]);
    expect(await world.app.core.view(ref)).toBeNull();
  });

  it('the owner’s Re-roll re-runs the edit; another person’s press gets an ephemeral hint and no job', async () => {
    const world = await start();
    const { view, press } = await editedResult(world);

    let before = { calls: world.stub.calls.length, jobs: world.jobs() };
    expect((await world.send(press('U2', '1700000700.000001'), form)).status).toBe(200);
    await world.settle();
    expect(world.stub.since(before.calls)).toEqual([
      { method: 'chat.postEphemeral', token: botToken, result: expect.anything(), args: expect.objectContaining({ channel: 'C1', user: 'U2', thread_ts: parentTs, text: expect.stringMatching(/Only the person who brought this picture can use its buttons/) }) },
    ]);
    expect(world.jobs()).toBe(before.jobs);

    before = { calls: world.stub.calls.length, jobs: world.jobs() };
    expect((await world.send(press('U1', '1700000701.000001'), form)).status).toBe(200);
    await world.settle();
    expect(world.jobs()).toBe(before.jobs + 1);
    const after = (await world.app.core.view(ref))!;
    const rerolled = after.versions.at(-1)!;
    expect(rerolled.kind).toBe('result');
    // The new seed is a step on the pressed result; the re-roll redoes its edit from the photo (a sibling).
    expect(rerolled.parentNumber).toBe(1);
    expect(world.app.sessions.loadByRef(ref)!.versions.at(-2)).toMatchObject({ kind: 'params', picture: null });
    const calls = world.stub.since(before.calls);
    expect(calls[0]).toMatchObject({ method: 'chat.postMessage', args: { channel: 'C1', thread_ts: parentTs, text: expect.stringMatching(/seed/i) } });
    expectResultDelivered(calls, rerolled.number, view.sessionId, rerolled.id);

    // Edit caption: the press opens a modal (views.open with the trigger), its submission re-runs with the caption.
    before = { calls: world.stub.calls.length, jobs: world.jobs() };
    const captionId = `v1:caption:${view.sessionId}:${rerolled.id}`;
    await world.send(press('U1', '1700000702.000001', captionId), form);
    await world.settle();
    const open = world.stub.since(before.calls);
    expect(methods(open)).toEqual(['views.open']);
    const modal = open[0].args.view as { callback_id: string; private_metadata: string };
    expect(open[0].args.trigger_id).toBe('trigger-1700000702.000001');
    expect(modal.callback_id).toBe('brushtalk_caption');
    const submission = interactionBody({
      type: 'view_submission',
      team: { id: 'T1', domain: 'acme' },
      user: { id: 'U1', team_id: 'T1' },
      api_app_id: 'A1',
      token: 'legacy',
      trigger_id: 'trigger-submit',
      view: { id: 'V9', type: 'modal', callback_id: 'brushtalk_caption', private_metadata: modal.private_metadata, hash: 'h', state: { values: { caption: { caption_input: { type: 'plain_text_input', value: 'an empty wooden table' } } } } },
    });
    expect((await world.send(submission, form)).status).toBe(200);
    await world.settle();
    const captioned = (await world.app.core.view(ref))!;
    expect(world.app.sessions.loadByRef(ref)!.versions.findLast((v) => v.kind === 'caption')?.caption).toBe('an empty wooden table');
    // The redo was prompted with the new caption.
    expect(captioned.versions.at(-1)).toMatchObject({ kind: 'result', caption: 'an empty wooden table' });
    expect(world.jobs()).toBe(before.jobs + 1);
  });

  it('a mention in a thread finds the picture on the parent; a DM is a conversation too', async () => {
    const world = await start();
    const file = world.stub.addFile('parent.png', await pictureFile(64, 48));
    world.stub.setParent('C1', parentTs, { user: 'U7', text: 'look at this', files: [file] });
    const inThread = { type: 'app_mention', user: 'U1', text: 'hey <@UBOT> remove the square', ts: '1700000005.000100', thread_ts: parentTs, channel: 'C1', event_ts: '1700000005.000100' };
    await world.send(eventEnvelope('Ev-thread', inThread));
    await world.settle();
    const calls = world.stub.since(0);
    expect(calls[0]).toMatchObject({ method: 'conversations.replies', args: { channel: 'C1', ts: parentTs, limit: '1' } });
    expect(world.stub.downloads).toEqual([{ name: 'parent.png', authorized: true }]);
    const view = (await world.app.core.view(ref))!;
    expect(view.ownerId).toBe('U1'); // the person who asked, not the one who posted the picture
    expectResultDelivered(calls, view.versions.at(-1)!.number, view.sessionId, view.versions.at(-1)!.id);

    const before = world.stub.calls.length;
    const dmTs = '1700000020.000100';
    const dmRef: ConversationRef = { platform: 'slack', scope: 'T1', channelId: 'D1', threadId: dmTs };
    const dmFile = world.stub.addFile('dm.png', await pictureFile(64, 48));
    const dm = { type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', text: 'remove the square', ts: dmTs, event_ts: dmTs, files: [dmFile] };
    await world.send(eventEnvelope('Ev-dm', dm));
    await world.settle(dmRef);
    const dmCalls = world.stub.since(before);
    expect((await world.app.core.view(dmRef))?.versions.at(-1)?.kind).toBe('result');
    // The Assistant status is tried first in DMs; this app has none, so the status line is a message.
    expect(dmCalls.find((c) => c.method === 'assistant.threads.setStatus')?.args).toMatchObject({ channel_id: 'D1', thread_ts: dmTs });
    expect(dmCalls.filter((c) => c.method === 'chat.postMessage').every((c) => c.args.channel === 'D1' && c.args.thread_ts === dmTs)).toBe(true);
    expect(dmCalls.filter((c) => c.method === 'files.completeUploadExternal').map((c) => c.args.channel_id)).toEqual(['D1', 'D1']);
  });

  it('a file Slack serves as its sign-in page, or one over the size cap, gets a worded error and no session', async () => {
    const world = await start();
    const file = world.stub.addFile('private.png', await pictureFile(64, 48), { html: true });
    const event = { type: 'app_mention', user: 'U1', text: '<@UBOT> remove the square', ts: parentTs, channel: 'C1', event_ts: parentTs, files: [file] };
    await world.send(eventEnvelope('Ev-html', event));
    await world.settle();
    expect(world.stub.downloads).toEqual([{ name: 'private.png', authorized: true }]);
    const calls = world.stub.since(0);
    expect(calls).toEqual([
      { method: 'chat.postMessage', token: botToken, result: expect.anything(), args: expect.objectContaining({ channel: 'C1', thread_ts: parentTs, text: expect.stringMatching(/^:warning: I can't read that file \("private\.png"\).*files:read.*\(ref T-[0-9A-Z]{6}\)$/) }) },
    ]);
    expect(String(calls[0].args.text)).not.toMatch(/\bat .*\.ts:\d+/);
    expect(await world.app.core.view(ref)).toBeNull();

    const huge = world.stub.addFile('huge.png', await pictureFile(64, 48), { declaredSize: 60 * 1024 * 1024 });
    const other = { ...event, ts: '1700000010.000100', event_ts: '1700000010.000100', files: [huge] };
    await world.send(eventEnvelope('Ev-huge', other));
    await world.settle();
    expect(world.stub.downloads.map((d) => d.name)).toEqual(['private.png']); // never fetched
    expect(world.stub.since(calls.length).at(-1)).toMatchObject({
      method: 'chat.postMessage',
      args: { thread_ts: '1700000010.000100', text: expect.stringMatching(/"huge\.png" is 60\.0 MB; the limit is 25\.0 MB/) },
    });
  });

  it('a message whose only file is not a picture is refused from Slack’s description: nothing is downloaded, no session', async () => {
    const world = await start();
    const pdf = { ...world.stub.addFile('report.pdf', new TextEncoder().encode('%PDF-1.4'), { mimetype: 'application/pdf' }), filetype: 'pdf' };
    const event = { type: 'app_mention', user: 'U1', text: '<@UBOT> remove the square', ts: parentTs, channel: 'C1', event_ts: parentTs, files: [pdf] };
    expect((await world.send(eventEnvelope('Ev-pdf', event))).status).toBe(200);
    await world.settle();
    expect(world.stub.downloads).toEqual([]);
    expect(world.stub.since(0)).toEqual([
      expect.objectContaining({ method: 'chat.postMessage', args: expect.objectContaining({ thread_ts: parentTs, text: expect.stringMatching(/^:warning: "report\.pdf" is not a picture \(application\/pdf\)\. Attach a PNG, JPEG or WebP image\. \(ref T-[0-9A-Z]{6}\)$/) }) }),
    ]);
    expect(await world.app.core.view(ref)).toBeNull();
  });
});
