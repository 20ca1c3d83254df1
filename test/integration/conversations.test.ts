import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createStudioAdapter } from '../../adapters/studio/studio.ts';
import { createApp } from '../../src/app.ts';
import type { ConversationRef, IncomingTurn } from '../../src/contracts.ts';
import { recordedConversation } from '../helpers/conversation-script.ts';
import { deliver, fixture, snowflake } from '../helpers/discord-payloads.ts';
import { appId, editPayload, guildId, onCdn, owner, ref as discordRef, startDiscord } from '../helpers/discord-rig.ts';
import { fakeEngine } from '../helpers/fake-engine.ts';
import { silentLog, tempDataDir, testConfig } from '../helpers/env.ts';
import { recordingAdapter, recordingReply } from '../helpers/reply.ts';
import { eventEnvelope } from '../helpers/slack-api.ts';
import { parentTs, ref as slackRef, startSlackWorld } from '../helpers/slack-rig.ts';

/**
 * Issue 13's recorded conversation (helpers/conversation-script.ts) on every surface, each through its own
 * transport: what a person types there, what the platform's API receives back. The CLI's own run of it, on the
 * classical engine, is in cli.test.ts.
 */

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('one conversation, every surface', { timeout: 60_000 }, () => {
  it('chat: the core turn, as the CLI chat and every adapter call it', async () => {
    const temp = tempDataDir();
    const engine = fakeEngine({ generative: true });
    const app = await createApp({ config: testConfig(temp.dir), log: silentLog, engine });
    app.attach(recordingAdapter('test'));
    app.startWorker();
    cleanups.push(temp.cleanup, () => app.close());
    const ref = { platform: 'test', scope: 'local', channelId: 'chat', threadId: 'one' };
    const send = async (text: string, extra: Partial<IncomingTurn> = {}) => {
      const reply = recordingReply();
      await app.core.handleTurn({ ref, messageId: randomUUID(), userId: 'u1', text, images: [], ...extra }, reply);
      await app.core.settled(ref);
      return [...reply.texts, ...reply.errors].join('\n');
    };
    await recordedConversation({ app, ref, engine, begin: (png, text) => send(text, { images: [{ bytes: png }] }), say: (text) => send(text) });
  });

  it('studio: the page’s HTTP API with its cookie (upload, then turns)', async () => {
    const temp = tempDataDir();
    const engine = fakeEngine({ generative: true });
    const app = await createApp({ config: testConfig(temp.dir), log: silentLog, engine });
    const studio = createStudioAdapter({ core: app.core, log: silentLog, host: '127.0.0.1', port: 0, maxUploadBytes: 1024 * 1024 });
    app.attach(studio);
    app.startWorker();
    await studio.start(app.core.handleTurn);
    cleanups.push(temp.cleanup, () => app.close(), () => studio.stop());
    const origin = new URL(studio.url()).origin;
    const jar = ((await fetch(`${origin}/`)).headers.get('set-cookie') ?? '').split(';')[0];
    const ref: ConversationRef = { platform: 'studio', scope: 'local', channelId: jar.split('=')[1], threadId: 'main' };
    const post = async (path: string, body: BodyInit, type: string) => {
      const res = await fetch(`${origin}${path}`, { method: 'POST', headers: { origin, cookie: jar, 'content-type': type, 'x-file-name': 'photo.png' }, body });
      const answer = (await res.json()) as { messages: string[]; errors: string[] };
      await app.core.settled(ref);
      return [...answer.messages, ...answer.errors].join('\n');
    };
    const say = (text: string) => post('/api/turn', JSON.stringify({ text }), 'application/json');
    await recordedConversation({
      app,
      ref,
      engine,
      begin: async (png, text) => `${await post('/api/upload', new Uint8Array(png), 'application/octet-stream')}\n${await say(text)}`,
      say,
    });
    // What the page draws: the pictures only, and the current one's prompts.
    const state = (await (await fetch(`${origin}/api/state`, { headers: { cookie: jar } })).json()) as { view: { versions: { number: number }[] } };
    expect(state.view.versions.map((v) => v.number)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('Slack: a mention with the picture starts the thread; the rest are messages in it', async () => {
    const engine = fakeEngine({ generative: true });
    const world = await startSlackWorld(cleanups, { engine });
    let n = 0;
    const post = async (event: Record<string, unknown>) => {
      const before = world.stub.calls.length;
      n++;
      expect((await world.send(eventEnvelope(`Ev-${n}`, event))).status).toBe(200);
      await world.settle();
      // The turn's words: what was posted into the thread, without the status line the edit keeps updating.
      return world.stub
        .since(before)
        .filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts === parentTs && !/^(Editing…|Working…)/.test(String(c.args.text)))
        .map((c) => String(c.args.text))
        .join('\n');
    };
    await recordedConversation({
      app: world.app,
      ref: slackRef,
      engine,
      begin: async (png, text) => {
        const file = world.stub.addFile('photo.png', png);
        return post({ type: 'app_mention', user: 'U1', text: `<@UBOT> ${text}`, ts: parentTs, channel: 'C1', event_ts: parentTs, files: [file] });
      },
      say: (text) => {
        const ts = `17000001${String(n).padStart(2, '0')}.000100`;
        return post({ type: 'message', channel: 'C1', channel_type: 'channel', user: 'U1', text, ts, thread_ts: parentTs, event_ts: ts });
      },
    });
  });

  it('Discord: /edit with the picture, then /refine for every follow-up', async () => {
    const env = await startDiscord(cleanups, { generative: true });
    const run = async (payload: { token: string }) => {
      const before = env.stub.calls.length;
      await deliver(env.adapter, payload);
      await env.settle();
      // The turn's words: the interaction's first edit of its original response (later ones show progress).
      const words = env.stub.calls.slice(before).find((c) => c.method === 'PATCH' && c.path === `/webhooks/${appId}/${payload.token}/messages/@original`);
      return String(words?.body.content ?? '');
    };
    await recordedConversation({
      app: env.app,
      ref: discordRef,
      engine: env.engine,
      begin: (png, text) => run(editPayload(onCdn(env.stub, 'photo.png', png, 'image/png'), { instruction: text })),
      say: (text) => {
        const payload = fixture('edit-command', { ...owner, instruction: '', filename: 'x.png', size: 1, url: 'http://unused.invalid/x.png', content_type: 'image/png', attachment_size_limit: 10 * 1024 * 1024 });
        payload.data = { id: snowflake(), name: 'refine', type: 1, guild_id: guildId, options: [{ name: 'instruction', type: 3, value: text }] };
        return run(payload);
      },
    });
  });
});
