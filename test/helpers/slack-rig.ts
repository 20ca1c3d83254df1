import { expect } from 'vitest';
import { createSlackAdapter, type SlackAdapter, type SlackAdapterOptions } from '../../adapters/slack/adapter.ts';
import { createApp, type App } from '../../src/app.ts';
import type { ConversationRef } from '../../src/contracts.ts';
import type { InpaintEngine } from '../../src/engines/engine.ts';
import { fakeEngine } from './fake-engine.ts';
import { fakeVision } from './fake-vision.ts';
import { silentLog, tempDataDir, testConfig } from './env.ts';
import { pictureFile } from './images.ts';
import { eventEnvelope, interactionBody, postSigned, startSlackStub, type SlackCall, type SlackStub, type SlackStubOptions } from './slack-api.ts';

/**
 * One Slack test world: the real app (SQLite, worker, fake engine and vision) behind the real Slack adapter, with
 * its Web API pointed at the loopback stub. HTTP mode by default (signed requests to Bolt's receiver).
 */

export const botToken = 'xoxb-test-token';
export const signingSecret = 'signing-secret-for-tests';
export const parentTs = '1700000000.000100';
export const ref: ConversationRef = { platform: 'slack', scope: 'T1', channelId: 'C1', threadId: parentTs };
export const resultButtons = ['reroll', 'grow', 'shrink', 'invert', 'undo', 'caption', 'mask', 'accept'];
const scene = { square: [{ box: { x: 10, y: 10, w: 16, h: 12 }, score: 0.9 }] };

export interface SlackWorld {
  app: App;
  slack: SlackAdapter;
  stub: SlackStub;
  /** HTTP mode: a signed POST to /slack/events. */
  send(body: string, options?: { contentType?: string; headers?: Record<string, string>; secret?: string }): Promise<{ status: number; text: string }>;
  settle(where?: ConversationRef): Promise<void>;
  versions(): Promise<{ kind: string; id: string }[]>;
  jobs(): number;
}

export interface SlackWorldOptions {
  stub?: Omit<SlackStubOptions, 'botToken'>;
  /** Overrides for the adapter (e.g. `appToken` for Socket Mode). */
  adapter?: Partial<SlackAdapterOptions>;
  /** The engine edits run on (default: the fake fill-only engine). */
  engine?: InpaintEngine;
  /** An existing data dir (a restart after a crash); default: a fresh one, removed afterwards. */
  dataDir?: string;
}

/** Starts a world; everything it starts is stopped by `cleanups` (run in reverse order). */
export async function startSlackWorld(cleanups: (() => unknown)[], options: SlackWorldOptions = {}): Promise<SlackWorld> {
  const stub = await startSlackStub({ botToken, ...options.stub });
  const temp = options.dataDir ? { dir: options.dataDir, cleanup() {} } : tempDataDir();
  const config = testConfig(temp.dir);
  // awaited: createApp may return the app or a promise of it.
  const app = await createApp({ config, log: silentLog, engine: options.engine ?? fakeEngine(), vision: fakeVision(scene).service });
  app.startWorker();
  cleanups.push(temp.cleanup, () => stub.close(), () => app.close());
  const slack = createSlackAdapter({
    botToken,
    signingSecret,
    listen: { port: 0, host: '127.0.0.1' },
    apiUrl: stub.apiUrl,
    maxBytes: config.limits.maxBytes,
    core: app.core,
    log: silentLog,
    ...options.adapter,
  });
  app.attach(slack);
  cleanups.push(() => slack.stop());
  await slack.start((turn, reply) => app.core.handleTurn(turn, reply));
  return {
    app,
    slack,
    stub,
    send: (body, sendOptions = {}) =>
      postSigned(`http://127.0.0.1:${slack.port()}/slack/events`, body, { secret: sendOptions.secret ?? signingSecret, contentType: sendOptions.contentType, headers: sendOptions.headers }),
    async settle(where = ref) {
      await slack.idle();
      await app.core.settled(where);
      await slack.idle();
    },
    async versions() {
      return ((await app.core.view(ref))?.versions ?? []).map((v) => ({ kind: v.kind, id: v.id }));
    },
    jobs: () => (app.database.sqlite.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n,
  };
}

/** The app_mention "<@UBOT> remove the square" with a picture, in channel C1: the message that starts the thread. */
export async function mentionEvent(world: SlackWorld, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const file = world.stub.addFile('photo.png', await pictureFile(64, 48));
  return { type: 'app_mention', user: 'U1', text: '<@UBOT> remove the square', ts: parentTs, channel: 'C1', event_ts: parentTs, files: [file], ...extra };
}

/** The same mention inside its Events API envelope (HTTP mode's request body). */
export async function mention(world: SlackWorld, extra: Record<string, unknown> = {}): Promise<string> {
  return eventEnvelope('Ev-mention', await mentionEvent(world, extra));
}

/** A press on one of our result buttons in C1's session thread (form-encoded block_actions). */
export function buttonPress(fields: { user: string; actionTs: string; actionId: string; resultId: string; messageText: string }): string {
  return interactionBody({
    type: 'block_actions',
    team: { id: 'T1', domain: 'acme' },
    user: { id: fields.user, team_id: 'T1' },
    api_app_id: 'A1',
    token: 'legacy',
    trigger_id: `trigger-${fields.actionTs}`,
    container: { type: 'message', message_ts: '1700000600.000100', channel_id: 'C1', is_ephemeral: false, thread_ts: parentTs },
    channel: { id: 'C1', name: 'general' },
    message: { type: 'message', ts: '1700000600.000100', thread_ts: parentTs, text: fields.messageText, user: 'UBOT', bot_id: 'BBOT' },
    actions: [{ type: 'button', action_id: fields.actionId, block_id: `result:${fields.resultId}`, value: fields.actionId, action_ts: fields.actionTs, text: { type: 'plain_text', text: 'Re-roll' } }],
  });
}

export const form = { contentType: 'application/x-www-form-urlencoded' };

/**
 * A mention edited to its result: the view, the result version, the message carrying its buttons, each button's
 * id, and a press of one of them as Slack posts it (`action` defaults to Re-roll).
 */
export async function editedResult(world: SlackWorld) {
  await world.send(await mention(world));
  await world.settle();
  const view = (await world.app.core.view(ref))!;
  const result = view.versions.at(-1)!;
  const buttons = world.stub.calls.find((c) => c.method === 'chat.postMessage' && c.args.blocks)!;
  const idOf = (action: string) => `v1:${action}:${view.sessionId}:${result.id}`;
  const press = (user: string, actionTs: string, actionId = idOf('reroll')) =>
    buttonPress({ user, actionTs, actionId, resultId: result.id, messageText: String(buttons.args.text) });
  return { view, result, buttons, idOf, press };
}

export const methods = (calls: SlackCall[]) => calls.map((c) => c.method);

/** The Web API calls of one edit from a mention, in order (HTTP and Socket Mode alike). */
export const editCallMethods = [
  'chat.postMessage', // the turn's answer: got the picture, found the square, editing
  'chat.postMessage', // the status line
  'chat.update', // … edited, last to "Done"
  'files.getUploadURLExternal',
  'files.completeUploadExternal', // the result
  'chat.postMessage', // its buttons
  'files.getUploadURLExternal',
  'files.completeUploadExternal', // the mask overlay
];

export const actionIds = (call: SlackCall) =>
  (call.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find((b) => b.type === 'actions')!.elements!.map((e) => e.action_id);

/** The Web API calls one finished edit makes: result upload, its buttons, then the mask overlay upload. */
export function expectResultDelivered(calls: SlackCall[], version: number, sessionId: string, versionId: string): void {
  const uploads = calls.filter((c) => c.method === 'files.completeUploadExternal');
  expect(uploads.map((u) => u.args)).toEqual([
    expect.objectContaining({ channel_id: 'C1', thread_ts: parentTs, initial_comment: expect.stringMatching(new RegExp(`^v${version} · fake-fill · background PSNR`)) }),
    expect.objectContaining({ channel_id: 'C1', thread_ts: parentTs, initial_comment: `v${version} mask` }),
  ]);
  expect(calls.filter((c) => c.method === 'files.getUploadURLExternal').map((c) => c.args.filename)).toEqual([`v${version}.png`, `v${version}-mask.png`]);
  const buttons = calls.find((c) => c.method === 'chat.postMessage' && c.args.blocks)!;
  expect(buttons.args).toMatchObject({ channel: 'C1', thread_ts: parentTs });
  expect(actionIds(buttons)).toEqual(resultButtons.map((a) => `v1:${a}:${sessionId}:${versionId}`));
  // Order in the thread: result, its buttons, then the overlay.
  const order = methods(calls).filter((m) => m === 'files.completeUploadExternal' || m === 'chat.postMessage');
  expect(order.slice(-3)).toEqual(['files.completeUploadExternal', 'chat.postMessage', 'files.completeUploadExternal']);
}
