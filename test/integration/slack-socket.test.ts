import { afterEach, describe, expect, it } from 'vitest';
import { eventEnvelope } from '../helpers/slack-api.ts';
import { botToken, expectResultDelivered, mentionEvent, editCallMethods, methods, parentTs, ref, startSlackWorld, type SlackWorld } from '../helpers/slack-rig.ts';
import { startSocketStub, type SocketStub } from '../helpers/slack-socket-stub.ts';

const appToken = 'xapp-1-test-app-token';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The adapter in Socket Mode: apps.connections.open (on the Web API stub, with the app token) hands out the socket stub. */
async function start(): Promise<{ world: SlackWorld; socket: SocketStub }> {
  const socket = await startSocketStub();
  cleanups.push(() => socket.close()); // after the adapter has stopped (cleanups run in reverse)
  const world = await startSlackWorld(cleanups, { stub: { socketUrl: socket.url }, adapter: { appToken } });
  return { world, socket };
}

/** Deliver the mention over the socket; resolve once it is acked and its turn has finished (result delivered). */
async function deliverMention(world: SlackWorld, socket: SocketStub, envelopeId: string) {
  const before = world.stub.calls.length;
  const body = JSON.parse(eventEnvelope(`Ev-${envelopeId}`, await mentionEvent(world))) as Record<string, unknown>;
  socket.sendEvent(envelopeId, body);
  const ack = await socket.acked(envelopeId);
  // Bolt acks an event before its listener runs: wait for the turn's first answer, then for everything it started.
  await world.stub.waitFor((c) => c.method === 'chat.postMessage' && world.stub.calls.indexOf(c) >= before);
  await world.settle();
  return { ack, calls: world.stub.since(before) };
}

// A Socket Mode reconnect waits 5 s inside @slack/socket-mode; the timeout leaves room for a loaded machine.
describe('the Slack adapter in Socket Mode', { timeout: 30_000 }, () => {
  it('connects with the app token, acks the envelope over the socket, and answers exactly as in HTTP mode', async () => {
    const { world, socket } = await start();
    expect(world.slack.port()).toBeNull(); // no HTTP receiver
    expect(world.stub.calls.map((c) => [c.method, c.token])).toEqual([
      ['auth.test', botToken],
      ['apps.connections.open', appToken],
    ]);
    expect(socket.connections()).toBe(1);

    const { ack, calls } = await deliverMention(world, socket, 'env-1');
    expect(ack).toEqual({ envelope_id: 'env-1', payload: {} });
    expect(socket.acks).toEqual([ack]); // one ack per envelope
    expect(socket.other).toEqual([]);

    expect(world.stub.downloads).toEqual([{ name: 'photo.png', authorized: true }]);
    const view = (await world.app.core.view(ref))!;
    expect(view.ownerId).toBe('U1');
    const result = view.versions.at(-1)!;
    expect(result.kind).toBe('result');
    expect(calls.every((c) => c.token === botToken)).toBe(true);
    expect(calls[0]).toMatchObject({ method: 'chat.postMessage', args: { channel: 'C1', thread_ts: parentTs, text: expect.stringMatching(/Got the picture \(64×48, png\)/) } });
    expect(methods(calls)).toEqual(editCallMethods);
    expectResultDelivered(calls, result.number, view.sessionId, result.id);
    expect(world.stub.uploads).toHaveLength(2);

    // Stopping closes the socket from our side with a normal close frame.
    await world.slack.stop();
    expect(await socket.closed(0)).toEqual({ code: 1000, by: 'app' });
  });

  it('when Slack asks for a reconnect (disconnect), it opens a new connection and keeps handling events there', async () => {
    const { world, socket } = await start();
    socket.sendDisconnect('refresh_requested');
    expect(await socket.closed(0)).toEqual({ code: 1000, by: 'app' });
    await socket.connected(2);
    expect(world.stub.calls.filter((c) => c.method === 'apps.connections.open').map((c) => c.token)).toEqual([appToken, appToken]);

    const { ack, calls } = await deliverMention(world, socket, 'env-after-refresh');
    expect(ack).toEqual({ envelope_id: 'env-after-refresh', payload: {} });
    const view = (await world.app.core.view(ref))!;
    expect(view.versions.at(-1)!.kind).toBe('result');
    expectResultDelivered(calls, view.versions.at(-1)!.number, view.sessionId, view.versions.at(-1)!.id);
    expect(socket.closes[1]).toBeNull(); // the new connection is still open
  });
});
