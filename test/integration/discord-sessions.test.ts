import { ClientUser, PermissionFlagsBits, type Client } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeMaskPng } from '../../src/images/codec.ts';
import { createMask } from '../../src/images/raster.ts';
import { deliver, fixture, snowflake } from '../helpers/discord-payloads.ts';
import { callback, channelId, customIds, editPayload, editToResult, followUp, guildId, line, onCdn, original, owner, ref, startDiscord, stranger, type DiscordRig, type RigOptions } from '../helpers/discord-rig.ts';
import { botUser } from '../helpers/discord-stub.ts';
import { pictureFile } from '../helpers/images.ts';

/** The Discord flows that continue a session: uploaded masks, settings, server rules, shared channels, plain messages. */

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const start = (options: RigOptions = {}) => startDiscord(cleanups, options);

function slash(name: string, user: typeof owner, options: { name: string; type: number; value: unknown }[] = [], permissions?: bigint) {
  const payload = fixture('edit-command', { ...user, instruction: '', filename: 'x.png', size: 1, url: 'http://unused.invalid/x.png', content_type: 'image/png', attachment_size_limit: 10 * 1024 * 1024 });
  payload.data = { id: snowflake(), name, type: 1, guild_id: guildId, options };
  if (permissions !== undefined) payload.member.permissions = String(permissions);
  return payload;
}

function uploadSubmit(env: DiscordRig, customId: string, file: ReturnType<typeof onCdn>) {
  const payload = fixture('modal-submit', { ...owner, custom_id: customId, field: 'unused', value: '' });
  const attachmentId = snowflake();
  payload.data.components = [{ type: 18, id: 1, component: { type: 19, id: 2, custom_id: 'mask', values: [attachmentId] } }];
  payload.data.resolved = { attachments: { [attachmentId]: { id: attachmentId, filename: file.filename, size: file.size, url: file.url, proxy_url: file.url, content_type: file.content_type, ephemeral: true } } };
  return payload;
}

/** What READY does: the bot knows who it is (the adapter ignores its own messages and finds replies to them). */
function loggedIn(client: Client): void {
  (client as unknown as { user: ClientUser }).user = new (ClientUser as unknown as new (client: Client, data: unknown) => ClientUser)(client, botUser);
}

/** What a gateway MESSAGE_CREATE does. */
async function say(env: DiscordRig, data: Record<string, unknown>) {
  const author = { id: owner.user_id, username: owner.username, discriminator: '0', global_name: owner.username, avatar: null };
  const message = {
    id: snowflake(), channel_id: channelId, guild_id: guildId, type: 0, content: '', author, attachments: [], embeds: [], components: [], mentions: [],
    mention_roles: [], mention_everyone: false, pinned: false, tts: false, timestamp: new Date().toISOString(), edited_timestamp: null, flags: 0,
    member: { roles: [], joined_at: '2025-01-01T00:00:00.000000+00:00', deaf: false, mute: false, flags: 0 }, ...data,
  };
  (env.adapter.client as unknown as { actions: { MessageCreate: { handle(d: unknown): void } } }).actions.MessageCreate.handle(message);
  await env.adapter.idle();
  return message;
}

/** A second reply to the result, whose first POST Discord answers with a 429 (per-route limit, 0.3 s). */
async function countRateLimited(env: DiscordRig, resultMessage: { id: string }) {
  let limited = false;
  env.stub.override = (call) => {
    if (limited || call.method !== 'POST' || call.path !== `/channels/${channelId}/messages`) return undefined;
    limited = true;
    const headers = { 'retry-after': '0.3', 'x-ratelimit-scope': 'user', 'x-ratelimit-bucket': 'b1', 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '0.3' };
    return { status: 429, json: { message: 'You are being rate limited.', retry_after: 0.3, global: false }, headers };
  };
  const before = env.stub.calls.length;
  await say(env, { type: 19, content: 'history', message_reference: { message_id: resultMessage.id, channel_id: channelId, guild_id: guildId }, referenced_message: resultMessage });
  await env.settle();
  env.stub.override = undefined;
  return env.stub.calls.slice(before).filter((c) => c.path === `/channels/${channelId}/messages`);
}

describe('discord: continuing a session', () => {
  it('Upload mask: the button opens a File Upload modal; the submitted picture becomes the mask and the edit runs again', async () => {
    const env = await start();
    const first = await editToResult(env);
    const maskId = customIds(first.result)[6];
    expect(maskId).toMatch(/^v1:mask:/);
    const before = env.stub.calls.length;
    const press = fixture('button', { ...owner, custom_id: maskId, message_id: snowflake() });
    await deliver(env.adapter, press);
    expect(env.stub.calls.slice(before).map(line)).toEqual([callback(press)]);
    expect(env.stub.calls[before].body).toMatchObject({
      type: 9,
      data: { custom_id: maskId, title: 'Upload mask', components: [{ type: 18, label: 'Mask picture', component: { type: 19, custom_id: 'mask', max_values: 1, required: true } }] },
    });

    const drawn = createMask(96, 48);
    for (let y = 20; y < 40; y++) for (let x = 60; x < 90; x++) drawn.data[y * 96 + x] = 1;
    const file = onCdn(env.stub, 'mask.png', await encodeMaskPng(drawn), 'image/png');
    const submit = uploadSubmit(env, maskId, file);
    await deliver(env.adapter, submit);
    await env.settle();
    const calls = env.stub.calls.slice(before + 1);
    expect(calls.map(line).slice(0, 2)).toEqual([callback(submit), original(submit)]);
    expect(calls[0].body).toEqual({ type: 5, data: { flags: 64 } });
    expect(calls[1].body.content).toMatch(/Mask updated[\s\S]*Editing with fake-fill/);
    expect(env.stub.cdnHits.at(-1)).toBe(new URL(file.url).pathname.slice('/cdn/'.length));
    const result = calls.find((c) => line(c) === followUp(submit))!;
    expect(result.files.map((f) => f.name)).toEqual(['v3.png', 'v3-mask.png', 'v3-compare.png']);
    const versions = (await env.app.core.view(ref))!.versions;
    // Redone from the photo, with the uploaded mask: v3 is a sibling of v2, the mask a step of it.
    expect(versions.map((v) => [v.number, v.kind, v.note, v.parentNumber])).toEqual([
      [1, 'source', 'new picture', null],
      [2, 'result', 'remove the bird', 1],
      [3, 'result', 'remove the bird', 1],
    ]);
    const steps = env.app.sessions.loadByRef(ref)!.versions.filter((v) => v.picture === null);
    expect(steps.map((v) => v.note)).toEqual(['find bird', 'mask from picture']);
    expect(versions[2].maskId).toBe(steps[1].maskId);
  });

  it('Upload mask with a file that is not a picture: refused privately, nothing downloaded, nothing changed', async () => {
    const env = await start();
    const first = await editToResult(env);
    const count = (await env.app.core.view(ref))!.versions.length;
    const hits = env.stub.cdnHits.length;
    const file = onCdn(env.stub, 'mask.pdf', new TextEncoder().encode('%PDF-1.4'), 'application/pdf');
    const submit = uploadSubmit(env, customIds(first.result)[6], file);
    const before = env.stub.calls.length;
    await deliver(env.adapter, submit);
    await env.settle();
    expect(env.stub.calls.slice(before).map(line)).toEqual([callback(submit)]);
    expect(env.stub.calls[before].body).toMatchObject({ type: 4, data: { flags: 64, content: '"mask.pdf" is not a picture (application/pdf). Attach a PNG, JPEG or WebP image.' } });
    expect(env.stub.cdnHits).toHaveLength(hits);
    expect((await env.app.core.view(ref))!.versions).toHaveLength(count);
  });

  it('/settings stores your defaults (privately answered) and the next /edit you start uses them; reset forgets them', async () => {
    const env = await start();
    const set = slash('settings', owner, [{ name: 'strength', type: 10, value: 0.5 }, { name: 'samples', type: 4, value: 2 }]);
    await deliver(env.adapter, set);
    expect(env.stub.calls.map(line)).toEqual([callback(set), original(set)]);
    expect(env.stub.calls[0].body).toEqual({ type: 5, data: { flags: 64 } });
    expect(env.stub.calls[1].body.content).toBe('Your defaults for new pictures: strength 0.5, samples 2.');
    const stored = env.app.database.sqlite.prepare('SELECT platform, user_id AS user, params FROM user_defaults').all();
    expect(stored).toEqual([{ platform: 'discord', user: owner.user_id, params: JSON.stringify({ strength: 0.5, samples: 2 }) }]);

    await editToResult(env);
    const source = env.app.sessions.loadByRef(ref)!.versions[0];
    expect(source.params).toMatchObject({ strength: 0.5, samples: 2, steps: 50 });

    const reset = slash('settings', owner, [{ name: 'reset', type: 5, value: true }]);
    await deliver(env.adapter, reset);
    expect(env.stub.calls.at(-1)!.body.content).toMatch(/Your defaults are forgotten/);
    expect(env.app.database.sqlite.prepare('SELECT count(*) AS n FROM user_defaults').get()).toEqual({ n: 0 });
  });

  it("/server-settings: a member without Manage Server is refused; an admin opens the buttons to everyone", async () => {
    const env = await start();
    const first = await editToResult(env);
    const denied = slash('server-settings', stranger, [{ name: 'buttons', type: 3, value: 'everyone' }]);
    await deliver(env.adapter, denied);
    expect(env.stub.calls.at(-1)!.body.content).toMatch(/Only admins of this server or workspace can change/);

    const admin = slash('server-settings', stranger, [{ name: 'buttons', type: 3, value: 'everyone' }], PermissionFlagsBits.ManageGuild | PermissionFlagsBits.SendMessages);
    await deliver(env.adapter, admin);
    expect(env.stub.calls.at(-1)!.body.content).toBe('From now on anyone here may press result buttons.');
    expect(env.app.database.sqlite.prepare('SELECT scope, others_may_act AS open FROM scope_settings').all()).toEqual([{ scope: guildId, open: 1 }]);

    const before = env.stub.calls.length;
    const press = fixture('button', { ...stranger, custom_id: customIds(first.result)[7], message_id: snowflake() });
    await deliver(env.adapter, press);
    expect(env.stub.calls.slice(before).map(line)).toEqual([callback(press), original(press)]);
    expect(env.stub.calls.at(-1)!.body.content).toMatch(/Kept v2/);
  });

  it('a shared channel: a second person\'s /edit is theirs — their buttons work for them, the first person\'s do not', async () => {
    const env = await start();
    const ann = await editToResult(env, owner);
    const bob = await editToResult(env, stranger);
    expect(bob.reroll).not.toBe(ann.reroll);
    const before = env.stub.calls.length;
    const own = fixture('button', { ...stranger, custom_id: bob.reroll, message_id: snowflake() });
    await deliver(env.adapter, own);
    await env.settle();
    expect(env.stub.calls.slice(before).some((c) => line(c) === followUp(own) && c.files.length === 3)).toBe(true);

    const other = fixture('button', { ...stranger, custom_id: ann.reroll, message_id: snowflake() });
    await deliver(env.adapter, other);
    expect(env.stub.calls.at(-1)!.body.content).toMatch(/Only the person who brought this picture/);
  });

  it('a reply to a result continues the session, answered in the channel with a reference to the reply', async () => {
    const env = await start();
    loggedIn(env.adapter.client);
    const first = await editToResult(env);
    const resultMessage = first.result.response;
    const before = env.stub.calls.length;
    const reply = await say(env, {
      type: 19,
      content: 'mask grow 8',
      message_reference: { message_id: resultMessage.id, channel_id: channelId, guild_id: guildId },
      referenced_message: resultMessage,
    });
    await env.settle();
    const calls = env.stub.calls.slice(before);
    // A change to the result's mask redoes its edit: the words, then the new result, both replying to the message.
    expect(calls.map(line)).toEqual([`POST /channels/${channelId}/messages`, `POST /channels/${channelId}/messages`]);
    expect(calls[0].auth).toBe('Bot bot-token');
    expect(calls[0].body).toMatchObject({ content: expect.stringMatching(/^Mask updated: v2 with mask grow 8 [\s\S]*Editing with fake-fill/), message_reference: { message_id: reply.id } });
    expect(calls[1].files.map((f) => f.name)).toEqual(['v3.png', 'v3-mask.png', 'v3-compare.png']);
    expect((await env.app.core.view(ref))!.versions.at(-1)).toMatchObject({ number: 3, kind: 'result', note: 'remove the bird', parentNumber: 1 });

    // Discord's 429 is respected: discord.js waits retry_after and sends the same message again, once.
    const again = await countRateLimited(env, resultMessage);
    expect(again.map((c) => c.status)).toEqual([429, 200]);
    expect(again[1].at - again[0].at).toBeGreaterThanOrEqual(250);
    expect(again[1].body).toEqual(again[0].body);

    // An ordinary message that replies to nobody is not for us.
    const seen = env.stub.calls.length;
    await say(env, { content: 'nice picture' });
    expect(env.stub.calls).toHaveLength(seen);
  });

  it('with MESSAGE_CONTENT, a plain message in a thread the bot started continues that thread\'s session', async () => {
    const env = await start({ threadPerSession: true, messageContent: true });
    loggedIn(env.adapter.client);
    const payload = editPayload(onCdn(env.stub, 'photo.png', await pictureFile(96, 48), 'image/png'));
    await deliver(env.adapter, payload);
    const threadId = env.stub.calls.find((c) => c.path.endsWith('/threads'))!.response.id as string;
    const threadRef = { ...ref, threadId };
    await env.settle(threadRef);
    // What THREAD_CREATE does: the thread (owned by the bot) enters the cache.
    const guild = env.adapter.client.guilds.cache.get(guildId)!;
    (env.adapter.client.channels as unknown as { _add(data: unknown, guild: unknown): unknown })._add(
      { id: threadId, type: 11, guild_id: guildId, parent_id: channelId, owner_id: botUser.id, name: 'remove the bird', thread_metadata: { archived: false, locked: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString() } },
      guild,
    );

    const before = env.stub.calls.length;
    await say(env, { channel_id: threadId, content: 'undo' });
    await env.settle(threadRef);
    const calls = env.stub.calls.slice(before);
    expect(calls.map(line)).toEqual([`POST /channels/${threadId}/messages`]);
    expect(calls[0].body.content).toMatch(/^Undone/);
    const view = (await env.app.core.view(threadRef))!;
    expect(view.versions.find((v) => v.id === view.pictureId)!.kind).toBe('source');
  });
});

describe('discord: the conversation the README promises', () => {
  it('/edit "remove the bird" → /refine "make it bigger" → /undo: each answered on its own token, the versions as said', async () => {
    const env = await start();
    const first = await editToResult(env);
    expect(first.result.files.map((f) => f.name)).toEqual(['v2.png', 'v2-mask.png', 'v2-compare.png']);

    const refine = slash('refine', owner, [{ name: 'instruction', type: 3, value: 'make it bigger' }]);
    const before = env.stub.calls.length;
    await deliver(env.adapter, refine);
    await env.settle();
    const refined = env.stub.calls.slice(before);
    expect(refined.map(line).slice(0, 2)).toEqual([callback(refine), original(refine)]);
    expect(refined[0].body).toEqual({ type: 5, data: { flags: 0 } });
    expect(refined[1].body.content).toMatch(/Editing with fake-fill/);
    const second = refined.find((c) => line(c) === followUp(refine))!;
    expect(second.files.map((f) => f.name)).toEqual(['v3.png', 'v3-mask.png', 'v3-compare.png']);
    let view = (await env.app.core.view(ref))!;
    const grown = env.app.sessions.loadByRef(ref)!.versions.findLast((v) => v.kind === 'mask')!;
    expect(grown.note).toMatch(/^mask grow/);
    const picture = (n: number) => view.versions.find((v) => v.number === n)!;
    const maskOf = (n: number) => env.app.sessions.loadByRef(ref)!.versions.find((v) => v.picture === n)!.maskCoverage;
    expect(grown.maskCoverage).toBeGreaterThan(maskOf(2) * 1.2); // "bigger" grew the bird's mask
    // Refining redoes the edit from the photo it started from (v1), with the grown mask: v3, a sibling of v2.
    expect(picture(3)).toMatchObject({ kind: 'result', parentNumber: 1, maskId: grown.maskId });

    const undo = slash('undo', owner);
    await deliver(env.adapter, undo);
    await env.settle();
    expect(env.stub.calls.at(-1)!.body.content).toMatch(/^Undone\. Now at v2/);
    view = (await env.app.core.view(ref))!;
    expect(view.versions.find((v) => v.id === view.pictureId)!.number).toBe(2);
    expect(view.canRedo).toBe(true);
  });
});
