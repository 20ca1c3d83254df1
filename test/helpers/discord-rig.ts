import { createDiscordAdapter } from '../../adapters/discord/adapter.ts';
import { createApp } from '../../src/app.ts';
import type { ConversationRef } from '../../src/contracts.ts';
import { shrinkForUpload } from '../../src/images/codec.ts';
import { cacheGuild, deliver, fixture, snowflake } from './discord-payloads.ts';
import { startDiscordStub, type RecordedCall } from './discord-stub.ts';
import { fakeEngine } from './fake-engine.ts';
import { fakeVision } from './fake-vision.ts';
import { silentLog, tempDataDir, testConfig } from './env.ts';
import { pictureFile } from './images.ts';

/** The Discord adapter on a real app (SQLite, fake engine and vision) against the local REST stub. */

export const guildId = '1100000000000000001';
export const channelId = '1110000000000000001';
export const appId = '1300000000000000001';
export const ref: ConversationRef = { platform: 'discord', scope: guildId, channelId };
export const owner = { user_id: '1200000000000000001', username: 'owner' };
export const stranger = { user_id: '1200000000000000002', username: 'stranger' };
const scene = { bird: [{ box: { x: 10, y: 4, w: 12, h: 8 }, score: 0.9 }] };

export interface RigOptions {
  now?: () => number;
  engineDelayMs?: number;
  /** An engine that claims to generate (BrushNet's abilities: steps, guidance and strength mean something). */
  generative?: boolean;
  threadPerSession?: boolean;
  messageContent?: boolean;
}

export async function startDiscord(cleanups: (() => unknown)[], options: RigOptions = {}) {
  const stub = await startDiscordStub(channelId);
  const temp = tempDataDir();
  cleanups.push(temp.cleanup, () => stub.close());
  const config = testConfig(temp.dir);
  const engine = fakeEngine({ delayMs: options.engineDelayMs, generative: options.generative });
  const app = await createApp({ config, log: silentLog, engine, vision: fakeVision(scene).service });
  const adapter = createDiscordAdapter({
    token: 'bot-token',
    log: silentLog,
    maxInputBytes: config.limits.maxBytes,
    shrink: shrinkForUpload,
    apiBase: stub.apiBase,
    connect: false,
    now: options.now,
    threadPerSession: options.threadPerSession,
    messageContent: options.messageContent,
  });
  cacheGuild(adapter.client);
  app.attach(adapter);
  await adapter.start((turn, reply) => app.core.handleTurn(turn, reply));
  app.startWorker();
  cleanups.push(() => app.close(), () => adapter.stop());
  const settle = async (at: ConversationRef = ref) => {
    await adapter.idle();
    await app.core.settled(at);
  };
  return { stub, app, adapter, settle, engine };
}

export type DiscordRig = Awaited<ReturnType<typeof startDiscord>>;
type Stub = DiscordRig['stub'];

export function onCdn(stub: Stub, name: string, bytes: Uint8Array, contentType: string) {
  const key = `attachments/${snowflake()}/${name}`;
  stub.cdn.set(key, { bytes, contentType });
  return { url: `${stub.cdnBase}/${key}`, size: bytes.byteLength, filename: name, content_type: contentType };
}

export function editPayload(file: ReturnType<typeof onCdn>, extra: Record<string, string | number> = {}) {
  return fixture('edit-command', { ...owner, instruction: 'remove the bird', attachment_size_limit: 10 * 1024 * 1024, ...file, ...extra });
}

export const callback = (p: { id: string; token: string }) => `POST /interactions/${p.id}/${p.token}/callback`;
export const original = (p: { token: string }) => `PATCH /webhooks/${appId}/${p.token}/messages/@original`;
export const followUp = (p: { token: string }) => `POST /webhooks/${appId}/${p.token}`;
export const line = (c: RecordedCall) => `${c.method} ${c.path}`;
export const customIds = (call: RecordedCall): string[] =>
  call.body.components.flatMap((row: { components: { custom_id: string }[] }) => row.components.map((b) => b.custom_id));

/** Runs /edit to its result and returns the payload, the calls it made and the result's Re-roll id. */
export async function editToResult(env: DiscordRig, user = owner) {
  const file = onCdn(env.stub, 'photo.png', await pictureFile(96, 48), 'image/png');
  const payload = editPayload(file, user);
  await deliver(env.adapter, payload);
  await env.settle();
  const result = env.stub.calls.find((c) => line(c) === followUp(payload))!;
  return { payload, file, result, reroll: customIds(result)[0] };
}
