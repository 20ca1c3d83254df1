import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, ErrorCode, HTTPReceiver, SocketModeReceiver, type AppOptions } from '@slack/bolt';
import type { ChatAdapter, ConversationRef, Core } from '../../src/contracts.ts';
import type { Logger } from '../../src/log.ts';
import { registerActions } from './actions.ts';
import { registerCommand } from './command.ts';
import { BrushtalkError } from '../../src/errors.ts';
import { slackApiError } from './errors.ts';
import { registerEvents, type Track } from './events.ts';
import { downloadSlackFile, type SlackFile } from './files.ts';
import { guardSlackRequests } from './inbound.ts';
import { placeKey, placeOf, type SlackPlace } from './ids.ts';
import { boltLogger } from './logger.ts';
import { createSlackReply, type SlackReply } from './reply.ts';
import type { TurnDeps } from './turns.ts';

export interface SlackAdapterOptions {
  botToken: string;
  /** HTTP mode: requests are checked against it (Bolt answers 401 to anything unsigned or forged). */
  signingSecret?: string;
  /** Set: Socket Mode (no public URL needed); the signing secret is then not used. */
  appToken?: string;
  /** HTTP mode: where Bolt's receiver listens (`port: 0` picks a free one; no host: all interfaces). */
  listen?: { port: number; host?: string };
  /** The Web API base URL, ending in `/` (a local stub in tests); Socket Mode asks it for its WebSocket URL too. */
  apiUrl?: string;
  /** Largest file downloaded from Slack. */
  maxBytes: number;
  /** What the adapter may ask of the core beyond turns: whether a thread has a session, and help text. */
  core: Pick<Core, 'view' | 'status'>;
  log: Logger;
  /** Status line edits at most this often (default 3 s). */
  statusIntervalMs?: number;
}

export interface SlackAdapter extends ChatAdapter {
  /** The HTTP receiver's port once started (null in Socket Mode). */
  port(): number | null;
  /** Resolves when every event received so far has been handled and its replies sent. */
  idle(): Promise<void>;
}

/**
 * Slack as a chat adapter: Bolt receives (HTTP with the signing secret, or Socket Mode), acks at once, and
 * hands the work to the core; replies go back into the session's thread. Transport only: the core decides.
 */
export function createSlackAdapter(options: SlackAdapterOptions): SlackAdapter {
  const { log, botToken } = options;
  const socketMode = Boolean(options.appToken);
  // Socket Mode: our own receiver with its own copy of the client options. Bolt's default one shares the App's
  // object, and the Socket Mode client writes 100 retries into it (for its reconnects), which every Web API
  // call of ours would then inherit. HTTP: listeners only register their work (see track), so holding the
  // response until they return still acks at once — and a 200 then means the event was taken in. Its request
  // listener is mounted on our own server, behind the body checks of inbound.ts.
  const httpReceiver = socketMode ? null : new HTTPReceiver({ signingSecret: options.signingSecret ?? '', processBeforeResponse: true, logger: boltLogger(log) });
  const receiver =
    httpReceiver ??
    new SocketModeReceiver({ appToken: options.appToken!, logger: boltLogger(log), installerOptions: { clientOptions: options.apiUrl ? { slackApiUrl: options.apiUrl } : {} } });
  const appOptions: AppOptions = {
    token: botToken,
    logger: boltLogger(log),
    // auth.test runs in start(), where a bad token can be reported in words instead of an unhandled rejection.
    deferInitialization: true,
    ...(options.apiUrl ? { clientOptions: { slackApiUrl: options.apiUrl } } : {}),
    receiver,
  };
  const app = new App(appOptions);
  const replies = new Map<string, SlackReply>();
  const inflight = new Set<Promise<void>>();
  let server: http.Server | null = null;
  const claimed = new Set<string>();
  const claim = (messageId: string) => {
    if (claimed.has(messageId)) return false;
    claimed.add(messageId);
    // A bounded memory: Slack redelivers within minutes, and the core remembers every message for good.
    if (claimed.size > 5000) claimed.delete(claimed.values().next().value as string);
    return true;
  };

  function replyFor(place: SlackPlace): SlackReply {
    const key = placeKey(place);
    let reply = replies.get(key);
    if (!reply) {
      reply = createSlackReply({ client: app.client, place, log: log.child({ slack: key }), statusIntervalMs: options.statusIntervalMs ?? 3000 });
      replies.set(key, reply);
    }
    return reply;
  }

  const track: Track = (work) => {
    const run = work().catch((error: unknown) => log.error({ err: error }, 'slack handler failed'));
    inflight.add(run);
    void run.finally(() => inflight.delete(run));
  };

  async function parentFiles(place: SlackPlace): Promise<SlackFile[]> {
    try {
      const found = await app.client.conversations.replies({ channel: place.channel, ts: place.threadTs, limit: 1, inclusive: true });
      return (found.messages?.[0]?.files ?? []) as SlackFile[];
    } catch (error) {
      log.info({ error: slackApiError(error) }, 'could not read the thread parent; going on without its picture');
      return [];
    }
  }

  return {
    platform: 'slack',
    async start(onTurn) {
      const deps: TurnDeps = {
        core: options.core,
        onTurn,
        replyFor,
        download: (file) => downloadSlackFile(file, { botToken, maxBytes: options.maxBytes }),
        maxBytes: options.maxBytes,
        parentFiles,
        claim,
        log,
      };
      registerEvents(app, deps, track);
      registerActions(app, deps, track);
      registerCommand(app, deps, track);
      app.error(async (error) => {
        log.error({ err: error, code: (error as { code?: string }).code }, 'slack event failed');
      });
      try {
        await app.init();
      } catch (error) {
        // A configuration problem, worded like the others so `npm start` prints it without a stack trace.
        throw new BrushtalkError('config.invalid', `Slack refused SLACK_BOT_TOKEN (${slackApiError(error) ?? 'no answer'}). Check the token, or reinstall the app.`, { cause: error });
      }
      if (!httpReceiver) {
        await app.start();
        log.info('slack adapter connected (Socket Mode)');
      } else {
        server = await listen(httpReceiver, options.listen ?? { port: 3000 }, log);
        log.info({ port: (server.address() as AddressInfo).port }, 'slack adapter listening (HTTP, events at /slack/events)');
      }
    },
    replyTo: (ref: ConversationRef) => replyFor(placeOf(ref)),
    port: () => (server ? (server.address() as AddressInfo).port : null),
    async idle() {
      while (inflight.size > 0) await Promise.all([...inflight]);
      await Promise.all([...replies.values()].map((reply) => reply.flush()));
    },
    async stop() {
      for (const reply of replies.values()) reply.close();
      if (!httpReceiver) await app.stop().catch((error: unknown) => log.warn({ err: error }, 'slack receiver did not stop cleanly'));
      const closing = server;
      server = null;
      if (closing) await new Promise<void>((resolve) => (closing.close(() => resolve()), closing.closeAllConnections()));
    },
  };
}

/** Bolt's own receiver start, minus its body parsing: our server, Bolt's listener behind the guard (404 for other paths). */
async function listen(receiver: HTTPReceiver, at: { port: number; host?: string }, log: Logger): Promise<http.Server> {
  const guarded = guardSlackRequests(receiver.requestListener, { log, path: '/slack/events', maxBytes: 4 * 1024 * 1024 });
  const server = http.createServer((req, res) => {
    try {
      guarded(req, res);
    } catch (error) {
      // Bolt throws for a path it does not serve (its own server answers those 404 too).
      const unrouted = (error as { code?: string }).code === ErrorCode.HTTPReceiverDeferredRequestError;
      if (!unrouted) log.error({ err: error }, 'slack request failed');
      res.writeHead(unrouted ? 404 : 500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(unrouted ? 'Not found: Slack posts to /slack/events.\n' : 'Something went wrong on our side; the server log has the details.\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => resolve());
  });
  return server;
}
