import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { commandDefinitions, deployCommands } from '../../adapters/discord/commands.ts';
import { buttonId, parseButtonId, parseEditModalId } from '../../adapters/discord/custom-ids.ts';
import { deliver, fixture, snowflake } from '../helpers/discord-payloads.ts';
import { appId, callback, channelId, customIds, editPayload, editToResult, followUp, guildId, line, onCdn, original, owner, ref, startDiscord, stranger, type RigOptions } from '../helpers/discord-rig.ts';
import { startDiscordStub } from '../helpers/discord-stub.ts';
import { pictureFile } from '../helpers/images.ts';
import { rng } from '../helpers/random.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const start = (options: RigOptions = {}) => startDiscord(cleanups, options);


describe('discord adapter: recorded interactions against a stub of the REST API', () => {
  it('/edit: defers, downloads, edits @original with the turn and progress, then posts the result with files and buttons', async () => {
    const env = await start();
    const { payload, file, result } = await editToResult(env);
    expect(env.stub.cdnHits).toEqual([new URL(file.url).pathname.slice('/cdn/'.length)]);

    const [defer, turnEdit, progress, ...rest] = env.stub.calls;
    expect(line(defer)).toBe(callback(payload));
    expect(defer.body).toEqual({ type: 5, data: { flags: 0 } }); // DeferredChannelMessageWithSource, public
    expect(defer.auth).toBeNull(); // interaction callbacks carry the token in the path, not the bot token
    expect(line(turnEdit)).toBe(original(payload));
    expect(turnEdit.body.content).toMatch(/Found 1 × "bird"[\s\S]*Editing with fake-fill/);
    expect(line(progress)).toBe(original(payload));
    expect(progress.body.content).toMatch(/Working… \d+%$/); // one progress edit: the next would be < 3 s later
    expect(rest.map(line)).toEqual([followUp(payload), original(payload)]);

    expect(result.query).toContain('wait=true');
    expect(result.files.map((f) => f.name)).toEqual(['v2.png', 'v2-mask.png', 'v2-compare.png']);
    expect(result.files.every((f) => f.type === 'image/png' || f.name.endsWith('.png'))).toBe(true);
    expect(result.body.content).toMatch(/^\*\*v2 · fake-fill · background PSNR/);
    const view = (await env.app.core.view(ref))!;
    const head = view.versions.at(-1)!;
    expect(result.body.components.map((row: { components: unknown[] }) => row.components.length)).toEqual([5, 3]);
    expect(customIds(result)).toEqual(['reroll', 'grow', 'shrink', 'invert', 'undo', 'caption', 'mask', 'accept'].map((a) => `v1:${a}:${view.sessionId}:${head.id}`));
    expect(customIds(result).every((id) => id.length <= 100)).toBe(true);
    expect(rest[1].body.content).toMatch(/Done: the result is below/);
    expect(env.stub.calls.some((c) => c.path.startsWith('/channels/'))).toBe(false);
    expect(view.ownerId).toBe(owner.user_id);
  });

  it('/edit options become settings turns before the instruction', async () => {
    const env = await start({ generative: true });
    const file = onCdn(env.stub, 'photo.png', await pictureFile(96, 48), 'image/png');
    const payload = editPayload(file);
    payload.data.options.push({ name: 'seed', type: 4, value: 42 }, { name: 'strength', type: 10, value: 0.5 });
    await deliver(env.adapter, payload);
    await env.settle();
    const turnEdit = env.stub.calls[1];
    expect(line(turnEdit)).toBe(original(payload));
    expect(turnEdit.body.content).toMatch(/seed[\s\S]*42[\s\S]*strength[\s\S]*0\.5[\s\S]*Editing with fake-fill/i);
    const head = env.app.sessions.loadByRef(ref)!;
    expect(head.versions.at(-1)!.params).toMatchObject({ seed: 42, strength: 0.5 });
  });

  it("Re-roll by the owner: ephemeral defer, the turn's words, then a new result with fresh buttons", async () => {
    const env = await start();
    const first = await editToResult(env);
    const before = env.stub.calls.length;
    const press = fixture('button', { ...owner, custom_id: first.reroll, message_id: snowflake() });
    await deliver(env.adapter, press);
    await env.settle();

    const calls = env.stub.calls.slice(before);
    expect(calls.map(line).slice(0, 3)).toEqual([callback(press), original(press), original(press)]);
    expect(calls[0].body).toEqual({ type: 5, data: { flags: 64 } }); // ephemeral "thinking…"
    expect(calls[1].body.content).toMatch(/seed/i);
    expect(calls[2].body.content).toMatch(/Working… \d+%/);
    const result = calls.find((c) => line(c) === followUp(press))!;
    expect(result.body.flags ?? 0).toBe(0); // the result itself is public
    expect(result.files.map((f) => f.name)).toEqual(['v3.png', 'v3-mask.png', 'v3-compare.png']);
    const view = (await env.app.core.view(ref))!;
    expect(customIds(result)[0]).toBe(`v1:reroll:${view.sessionId}:${view.versions.at(-1)!.id}`);
    expect(customIds(result)[0]).not.toBe(first.reroll);
    // Nothing went through the first interaction's token after the press.
    expect(calls.some((c) => c.path.includes(first.payload.token))).toBe(false);
  });

  it('Edit caption: the modal is the first response; its submit sets the caption and runs the edit again', async () => {
    const env = await start();
    const first = await editToResult(env);
    const captionId = customIds(first.result)[5];
    expect(captionId).toMatch(/^v1:caption:/);
    const before = env.stub.calls.length;
    const press = fixture('button', { ...owner, custom_id: captionId, message_id: snowflake() });
    await deliver(env.adapter, press);
    expect(env.stub.calls.slice(before).map(line)).toEqual([callback(press)]);
    expect(env.stub.calls[before].body).toMatchObject({ type: 9, data: { custom_id: captionId, components: [{ type: 1, components: [{ type: 4, custom_id: 'caption' }] }] } });

    const submit = fixture('modal-submit', { ...owner, custom_id: captionId, field: 'caption', value: 'an empty blue sky' });
    await deliver(env.adapter, submit);
    await env.settle();
    const calls = env.stub.calls.slice(before + 1);
    expect(calls.map(line).slice(0, 2)).toEqual([callback(submit), original(submit)]);
    expect(calls[0].body).toEqual({ type: 5, data: { flags: 64 } });
    expect(calls.some((c) => line(c) === followUp(submit) && c.files.length === 3)).toBe(true);
    expect((await env.app.core.view(ref))!.versions.at(-1)!.caption).toBe('an empty blue sky');
  });

  it("a stranger's click gets an ephemeral hint and starts no job", async () => {
    const env = await start();
    const first = await editToResult(env);
    const versions = (await env.app.core.view(ref))!.versions.length;
    const before = env.stub.calls.length;
    const press = fixture('button', { ...stranger, custom_id: first.reroll, message_id: snowflake() });
    await deliver(env.adapter, press);
    await env.settle();

    const calls = env.stub.calls.slice(before);
    expect(calls.map(line)).toEqual([callback(press), original(press)]);
    expect(calls[0].body).toEqual({ type: 5, data: { flags: 64 } });
    expect(calls[1].body.content).toMatch(/Only the person who brought this picture can use its buttons/);
    const view = (await env.app.core.view(ref))!;
    expect(view.versions.length).toBe(versions);
    expect(view.active).toEqual([]);
  });

  it('malformed or unknown button ids get an ephemeral hint without reaching the core', async () => {
    const env = await start();
    const press = fixture('button', { ...owner, custom_id: 'v0:paint:abc:def', message_id: snowflake() });
    await deliver(env.adapter, press);
    expect(env.stub.calls.map(line)).toEqual([callback(press)]);
    expect(env.stub.calls[0].body).toMatchObject({ type: 4, data: { flags: 64, content: expect.stringMatching(/older version/) } });
    expect(await env.app.core.view(ref)).toBeNull();
  });

  it('a result after the token window goes out with the bot token as a channel message', async () => {
    let clock = 1_000_000;
    const env = await start({ now: () => clock });
    const file = onCdn(env.stub, 'photo.png', await pictureFile(96, 48), 'image/png');
    const payload = editPayload(file);
    // The turn's reply is the last use of the token: then 15 minutes pass before the job reports.
    env.stub.onCall = (call) => {
      if (line(call) === original(payload)) clock += 15 * 60_000;
    };
    await deliver(env.adapter, payload);
    await env.settle();

    expect(env.stub.calls.map(line)).toEqual([callback(payload), original(payload), `POST /channels/${channelId}/messages`]);
    const late = env.stub.calls[2];
    expect(late.auth).toBe('Bot bot-token');
    expect(late.files.map((f) => f.name)).toEqual(['v2.png', 'v2-mask.png', 'v2-compare.png']);
    expect(late.body.attachments).toEqual([
      { id: 0, filename: 'v2.png' },
      { id: 1, filename: 'v2-mask.png' },
      { id: 2, filename: 'v2-compare.png' },
    ]);
    expect(customIds(late)[0]).toMatch(/^v1:reroll:/);
    expect(late.body.allowed_mentions).toEqual({ parse: [] });
  });

  it('outputs over the upload limit are re-encoded as JPEG under it', async () => {
    const env = await start();
    const rand = rng(7);
    const noise = Buffer.alloc(160 * 120 * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = Math.floor(rand() * 256);
    const png = await sharp(noise, { raw: { width: 160, height: 120, channels: 3 } }).png().toBuffer();
    const limit = 12_000;
    expect(png.byteLength).toBeGreaterThan(limit);
    const file = onCdn(env.stub, 'noise.png', png, 'image/png');
    const payload = editPayload(file, { attachment_size_limit: limit });
    await deliver(env.adapter, payload);
    await env.settle();

    const result = env.stub.calls.find((c) => line(c) === followUp(payload))!;
    expect(result.files.map((f) => f.name)).toEqual(['v2.jpg', 'v2-mask.png', 'v2-compare.jpg'].map((n) => (n === 'v2-mask.png' ? expect.stringMatching(/^v2-mask\.(png|jpg)$/) : n)));
    for (const f of result.files) expect(f.size).toBeLessThanOrEqual(limit);
    const jpeg = result.files[0];
    expect(Buffer.from(jpeg.bytes.subarray(0, 3))).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(result.body.content).toMatch(/re-encoded to fit/);
  });

  it('a text file as the image: a worded ephemeral reply, no download, no session', async () => {
    const env = await start();
    const file = onCdn(env.stub, 'notes.txt', new TextEncoder().encode('not a picture'), 'text/plain; charset=utf-8');
    const payload = editPayload(file);
    await deliver(env.adapter, payload);
    await env.settle();

    expect(env.stub.calls.map(line)).toEqual([callback(payload)]);
    expect(env.stub.calls[0].body).toMatchObject({ type: 4, data: { content: '"notes.txt" is not a picture (text/plain). Attach a PNG, JPEG or WebP image.', flags: 64 } });
    expect(env.stub.cdnHits).toEqual([]);
    expect(await env.app.core.view(ref)).toBeNull();
  });

  it('"Edit image" on a message: the modal is the first response, its submit runs the edit', async () => {
    const env = await start();
    const file = onCdn(env.stub, 'cat.png', await pictureFile(96, 48), 'image/png');
    const messageId = snowflake();
    const menu = fixture('edit-image-menu', { ...owner, ...file, message_id: messageId });
    await deliver(env.adapter, menu);
    expect(env.stub.calls.map(line)).toEqual([callback(menu)]);
    expect(env.stub.calls[0].body).toMatchObject({ type: 9, data: { custom_id: `v1:edit-image:${channelId}:${messageId}`, title: 'Edit image' } });

    const submit = fixture('modal-submit', { ...owner, custom_id: `v1:edit-image:${channelId}:${messageId}`, field: 'instruction', value: 'remove the bird' });
    await deliver(env.adapter, submit);
    await env.settle();
    const calls = env.stub.calls.slice(1);
    expect(calls.map(line).slice(0, 2)).toEqual([callback(submit), original(submit)]);
    expect(calls[0].body).toEqual({ type: 5, data: { flags: 0 } });
    expect(calls.find((c) => line(c) === followUp(submit))!.files.map((f) => f.name)).toEqual(['v2.png', 'v2-mask.png', 'v2-compare.png']);
    expect(env.stub.cdnHits).toHaveLength(1);
  });

  it('one thread per session: the deferred reply starts a thread, and the result is posted in it', async () => {
    const env = await start({ threadPerSession: true });
    const file = onCdn(env.stub, 'photo.png', await pictureFile(96, 48), 'image/png');
    const payload = editPayload(file);
    await deliver(env.adapter, payload);
    const started = env.stub.calls.find((c) => c.path.endsWith('/threads'))!;
    const threadRef = { ...ref, threadId: started.response.id as string };
    await env.app.core.settled(threadRef);

    const starter = env.stub.calls[1];
    expect(env.stub.calls.map(line).slice(0, 4)).toEqual([callback(payload), original(payload), `POST /channels/${channelId}/messages/${starter.response.id}/threads`, original(payload)]);
    expect(started.body).toEqual({ name: 'remove the bird', auto_archive_duration: 1440 });
    const result = env.stub.calls.find((c) => line(c) === `POST /channels/${threadRef.threadId}/messages`)!;
    expect(result.files.map((f) => f.name)).toEqual(['v2.png', 'v2-mask.png', 'v2-compare.png']);
    expect(env.stub.calls.some((c) => line(c) === followUp(payload))).toBe(false);
    expect((await env.app.core.view(threadRef))!.ownerId).toBe(owner.user_id);
    expect(await env.app.core.view(ref)).toBeNull();
  });

  it('deploy-commands PUTs the definitions to the guild (dev) or globally', async () => {
    const stub = await startDiscordStub(channelId);
    cleanups.push(() => stub.close());
    await deployCommands({ token: 'bot-token', applicationId: appId, guildId, apiBase: stub.apiBase });
    await deployCommands({ token: 'bot-token', applicationId: appId, apiBase: stub.apiBase });
    expect(stub.calls.map(line)).toEqual([`PUT /applications/${appId}/guilds/${guildId}/commands`, `PUT /applications/${appId}/commands`]);
    expect(stub.calls[0].body.map((c: { name: string }) => c.name)).toEqual(['edit', 'refine', 'history', 'undo', 'settings', 'server-settings', 'Edit image']);
    expect(stub.calls[0].auth).toBe('Bot bot-token');
    expect(commandDefinitions).toHaveLength(7);
    expect(stub.calls[0].body.find((c: { name: string }) => c.name === 'server-settings')).toMatchObject({ default_member_permissions: '32', contexts: [0] });
  });

  it('custom ids: v1:<action>:<session>:<version>, at most 100 characters, parsed strictly', () => {
    const id = buttonId('reroll', '0b5e4c1a-1111-4222-8333-444455556666', '9f0e4c1a-1111-4222-8333-444455556666')!;
    expect(id.length).toBeLessThanOrEqual(100);
    expect(parseButtonId(id)).toEqual({ action: 'reroll', sessionId: '0b5e4c1a-1111-4222-8333-444455556666', versionId: '9f0e4c1a-1111-4222-8333-444455556666' });
    for (const bad of ['v2:reroll:a:b', 'v1:paint:a:b', 'v1:reroll:a', 'v1:reroll:a:b:c', 'v1:reroll:a b:c', `v1:reroll:${'a'.repeat(41)}:b`]) expect(parseButtonId(bad)).toBeNull();
    expect(buttonId('reroll', 'x'.repeat(60), 'y'.repeat(60))).toBeNull();
    expect(parseEditModalId('v1:edit-image:123:456')).toEqual({ channelId: '123', messageId: '456' });
    expect(parseEditModalId('v1:edit-image:abc:456')).toBeNull();
  });
});
