import { afterEach, describe, expect, it } from 'vitest';
import { deliver, fixture, snowflake } from '../helpers/discord-payloads.ts';
import { callback, channelId, line, onCdn, owner, ref, startDiscord } from '../helpers/discord-rig.ts';
import { pictureFile } from '../helpers/images.ts';

/** The "Edit image" form names its message in its custom id: what a crafted, stale or incomplete form gets. */

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const start = () => startDiscord(cleanups);

/** A message with a picture, as GET /channels/{c}/messages/{m} returns it. */
async function messageWithPicture(env: Awaited<ReturnType<typeof startDiscord>>, channel: string) {
  const file = onCdn(env.stub, 'secret.png', await pictureFile(96, 48), 'image/png');
  const id = snowflake();
  env.stub.messages.set(`${channel}/${id}`, { id, channel_id: channel, attachments: [{ id: snowflake(), filename: file.filename, size: file.size, url: file.url, content_type: file.content_type }] });
  return id;
}

const submit = (customId: string, field = 'instruction', value = 'remove the bird') => fixture('modal-submit', { ...owner, custom_id: customId, field, value });

/** The interaction's only answer: a private message (type 4, ephemeral flag). */
function privateAnswer(env: Awaited<ReturnType<typeof startDiscord>>, payload: { id: string; token: string }) {
  expect(env.stub.calls.map(line)).toEqual([callback(payload)]);
  expect(env.stub.calls[0].body).toMatchObject({ type: 4, data: { flags: 64 } });
  return env.stub.calls[0].body.data.content as string;
}

describe('discord "Edit image" forms', () => {
  it('a form naming a message in another channel is refused in words: that message is never fetched, nothing is edited', async () => {
    const env = await start();
    const elsewhere = '1110000000000000999';
    const messageId = await messageWithPicture(env, elsewhere);
    const payload = submit(`v1:edit-image:${elsewhere}:${messageId}`);
    await deliver(env.adapter, payload);
    await env.settle();
    expect(privateAnswer(env, payload)).toBe('That form is for a message in another channel. Use Edit image on a message in this channel.');
    expect(env.stub.calls.some((c) => c.path.includes(messageId))).toBe(false);
    expect(env.stub.cdnHits).toEqual([]);
    expect(await env.app.core.view(ref)).toBeNull();
  });

  it('the same form for a message in this channel (after a restart: no pending download) fetches it and edits', async () => {
    const env = await start();
    const messageId = await messageWithPicture(env, channelId);
    await deliver(env.adapter, submit(`v1:edit-image:${channelId}:${messageId}`));
    await env.settle();
    expect(env.stub.lines()).toContain(`GET /channels/${channelId}/messages/${messageId}`);
    expect((await env.app.core.view(ref))?.versions.map((v) => v.kind)).toContain('result');
  });

  it('a deleted message (404 Unknown Message) gets its own words, not "something went wrong"', async () => {
    const env = await start();
    const payload = submit(`v1:edit-image:${channelId}:${snowflake()}`);
    await deliver(env.adapter, payload);
    const [fetched, answer] = env.stub.calls;
    expect(fetched).toMatchObject({ method: 'GET', status: 404, response: { code: 10008 } });
    expect(line(answer)).toBe(callback(payload));
    expect(answer.body).toMatchObject({ type: 4, data: { content: 'That message was deleted, so there is no picture to edit any more.', flags: 64 } });
    expect(env.stub.calls).toHaveLength(2);
  });

  it('a form without its text field is told so in words, and nothing is fetched', async () => {
    const env = await start();
    const messageId = await messageWithPicture(env, channelId);
    const payload = submit(`v1:edit-image:${channelId}:${messageId}`, 'something-else');
    await deliver(env.adapter, payload);
    expect(privateAnswer(env, payload)).toBe('The form came back without an instruction. Use Edit image again and say what should change.');
    const caption = submit(`v1:caption:0b5e4c1a-1111-4222-8333-444455556666:9f0e4c1a-1111-4222-8333-444455556666`, 'something-else');
    env.stub.calls.length = 0;
    await deliver(env.adapter, caption);
    expect(privateAnswer(env, caption)).toMatch(/^The form came back without a caption\./);
    expect(env.stub.cdnHits).toEqual([]);
  });
});
