import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventEnvelope } from '../helpers/slack-api.ts';
import { form, mention, ref, startSlackWorld } from '../helpers/slack-rig.ts';

const cleanups: (() => unknown)[] = [];
// An unhandled rejection ends a real process; here it is recorded and must not happen.
const unhandled: unknown[] = [];
const record = (reason: unknown) => void unhandled.push(reason);
beforeAll(() => void process.on('unhandledRejection', record));
afterAll(() => void process.off('unhandledRejection', record));
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  expect(unhandled).toEqual([]);
});

/** Correctly signed requests whose bodies are not Slack payloads: each gets a worded 4xx and the receiver keeps serving. */
const hostileJson = ['null', '[]', '"x"', '123', 'true', '{"type":"event_callback","event":', '', '{"type":"event_callback","event":null}', '{"type":"event_callback","event":"x"}'];
const hostileForms = ['payload=null', 'payload=%5B%5D', 'payload=7', 'payload=%7B', 'payload=%22x%22'];

describe('the Slack HTTP receiver and hostile bodies', { timeout: 30_000 }, () => {
  it('answers every signed non-payload body with a worded 4xx and keeps serving', async () => {
    const world = await startSlackWorld(cleanups);
    for (const body of hostileJson) {
      const res = await world.send(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.text).toMatch(/not a Slack (event|request)/i);
    }
    for (const body of hostileForms) {
      const res = await world.send(body, form);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
    }
    // Other paths and methods: Bolt's 404, from our server.
    const base = `http://127.0.0.1:${world.slack.port()}`;
    expect((await fetch(`${base}/slack/events`)).status).toBe(404);
    expect((await fetch(`${base}/elsewhere`, { method: 'POST', body: 'null' })).status).toBe(404);
    // Still serving: a real mention after all that starts its session.
    expect((await world.send(await mention(world))).status).toBe(200);
    await world.settle();
    expect((await world.app.core.view(ref))?.versions.length).toBeGreaterThan(0);
    expect(world.stub.downloads).toHaveLength(1);
  });

  it('an oversized body is refused with 413 before it is parsed, and a far larger one is cut off', async () => {
    const world = await startSlackWorld(cleanups);
    const res = await world.send(eventEnvelope('Ev-big', { type: 'app_mention', text: 'x'.repeat(5 * 1024 * 1024) }));
    expect(res.status).toBe(413);
    // Far past the cap the connection is cut instead (nothing more is read); the receiver goes on.
    await world.send('x'.repeat(20 * 1024 * 1024)).catch(() => null);
    expect((await world.send(await mention(world))).status).toBe(200);
  });
});
