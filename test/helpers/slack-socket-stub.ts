import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** What the app sent back over the socket for one envelope (Socket Mode's ack). */
export interface SocketAck {
  envelope_id: string;
  payload: Record<string, unknown>;
}

interface Waiter<T> {
  ready: () => T | undefined;
  resolve: (value: T) => void;
}

/**
 * A loopback stand-in for Slack's Socket Mode endpoint (the URL apps.connections.open hands out): greets every
 * connection with `hello`, delivers envelopes to the newest connection, and records the app's acks
 * (`{ envelope_id, payload }`) and how each connection ended. Waits are event-driven, never timed.
 */
export async function startSocketStub() {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const sockets: WebSocket[] = [];
  /** Per connection, in order: how it closed (null while open); `by` says who sent the close frame first. */
  const closes: ({ code: number; by: 'app' | 'stub' } | null)[] = [];
  const acks: SocketAck[] = [];
  const other: unknown[] = [];
  /** Connections the stub itself is cutting (at close): their end is not the app's doing. */
  const cutting = new Set<WebSocket>();
  let waiters: Waiter<unknown>[] = [];

  function wake(): void {
    const pending = waiters;
    waiters = [];
    for (const waiter of pending) {
      const value = waiter.ready();
      if (value === undefined) waiters.push(waiter);
      else waiter.resolve(value);
    }
  }

  function until<T>(ready: () => T | undefined): Promise<T> {
    const value = ready();
    if (value !== undefined) return Promise.resolve(value);
    return new Promise<T>((resolve) => waiters.push({ ready, resolve } as Waiter<unknown>));
  }

  server.on('connection', (socket) => {
    const index = sockets.push(socket) - 1;
    closes.push(null);
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as Record<string, unknown>;
      if (typeof message.envelope_id === 'string') acks.push(message as unknown as SocketAck);
      else other.push(message);
      wake();
    });
    socket.on('close', (code) => {
      closes[index] = { code, by: cutting.has(socket) ? 'stub' : 'app' };
      wake();
    });
    // What Slack sends first on every connection; the client reports itself connected only after it.
    socket.send(JSON.stringify({ type: 'hello', num_connections: sockets.length, debug_info: { host: 'stub', approximate_connection_time: 18060 }, connection_info: { app_id: 'A1' } }));
    wake();
  });

  function newest(): WebSocket {
    const socket = sockets.at(-1);
    if (!socket || socket.readyState !== socket.OPEN) throw new Error('no open Socket Mode connection');
    return socket;
  }

  const port = (server.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/link/?ticket=stub-ticket&app_id=A1`,
    acks,
    closes,
    /** Messages from the app that were not acks (there should be none). */
    other,
    connections: () => sockets.length,
    /** An Events API delivery: `body` is what HTTP mode would POST (the event_callback). */
    sendEvent(envelopeId: string, body: Record<string, unknown>, retry = { attempt: 0, reason: '' }): void {
      newest().send(JSON.stringify({ envelope_id: envelopeId, type: 'events_api', accepts_response_payload: false, retry_attempt: retry.attempt, retry_reason: retry.reason, payload: body }));
    },
    /** Slack asks the app to reconnect (it does this routinely, e.g. `refresh_requested`). */
    sendDisconnect(reason: string): void {
      newest().send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'stub' } }));
    },
    /** Resolves with the app's ack of this envelope. */
    acked: (envelopeId: string) => until(() => acks.find((a) => a.envelope_id === envelopeId)),
    /** Resolves once `count` connections have been opened (and greeted). */
    connected: (count: number) => until(() => (sockets.length >= count ? true : undefined)),
    /** Resolves with how connection `index` (0-based) closed. */
    closed: (index: number) => until(() => closes[index] ?? undefined),
    async close(): Promise<void> {
      for (const socket of sockets) {
        cutting.add(socket);
        socket.terminate();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type SocketStub = Awaited<ReturnType<typeof startSocketStub>>;
