import { createHash, randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buttonActions, type ButtonAction, type ChatAdapter, type ConversationRef, type Core, type IncomingTurn, type SessionView } from '../../src/contracts.ts';
import { cliSessionRef, localUserId } from '../../src/local-user.ts';
import type { Logger } from '../../src/log.ts';
import { buildStudioAssets, type StudioAssets } from './assets.ts';
import { createEventHub, type StreamLimits } from './events.ts';
import { StudioHttpError, cookieHeader, hostAllowed, isLoopback, newCookieId, readBody, readCookieId, sameOrigin, send, sendJson } from './http.ts';

/**
 * The local web studio as a chat adapter: each browser (one HttpOnly cookie) is a channel on the 'studio'
 * platform, each named session a thread in it. Turns go through the same core as Discord and Slack; the
 * page reads versions with core.view, pictures with core.picture (scoped to the cookie's conversation) and
 * the install's capabilities with core.status.
 */

export interface StudioOptions {
  core: Core;
  log: Logger;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Largest picture upload, in bytes (the core's own decode limit is the same by default). */
  maxUploadBytes: number;
  /** Live-update streams allowed per browser and in all (default 4 and 64). */
  streams?: StreamLimits;
}

export interface StudioAdapter extends ChatAdapter {
  /** The address the studio answers on, once started. */
  url(): string;
}

const sessionNamePattern = /^[\w.-]{1,40}$/;
/** A command-line session opened in the studio: "cli:kitchen" is `--session kitchen`. */
const cliPrefix = 'cli:';

interface Caller {
  ref: ConversationRef;
  userId: string;
}

/** The upload's name, for replies only (formats are sniffed from the bytes, never from the name). */
function fileName(header: string | string[] | undefined): string {
  try {
    return decodeURIComponent(String(header ?? 'upload')).slice(0, 200);
  } catch {
    return 'upload';
  }
}

/** A turn request's JSON: an object, or a worded 400 (`null`, a list or a number is not a request the page sends). */
function parseTurnBody(raw: Buffer): { text?: unknown; mask?: unknown; action?: unknown; value?: unknown } {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    body = undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new StudioHttpError(400, 'The studio sent a request it could not read; reload the page.');
  return body;
}

/** Strip what the page has no use for: the owner id is derived from the cookie, the page never needs it. */
function publicView(view: SessionView | null) {
  if (!view) return null;
  const { ownerId: _owner, ...rest } = view;
  return rest;
}

export function createStudioAdapter(options: StudioOptions): StudioAdapter {
  const { core, log } = options;
  const hub = createEventHub(options.streams);
  let server: http.Server | null = null;
  let assets: StudioAssets | null = null;
  let onTurn: ((turn: IncomingTurn, reply: ReturnType<typeof hub.turnChannel>) => Promise<void>) | null = null;

  function caller(req: IncomingMessage, url: URL): Caller {
    const id = readCookieId(req);
    if (!id) throw new StudioHttpError(401, 'This page has no studio cookie yet: reload it.');
    const session = url.searchParams.get('session') ?? 'main';
    const cli = session.startsWith(cliPrefix);
    const name = cli ? session.slice(cliPrefix.length) : session;
    if (!sessionNamePattern.test(name)) throw new StudioHttpError(400, 'A session name is 1–40 letters, digits, dots, dashes or underscores.');
    if (cli) {
      // The command line's sessions belong to the person at this machine: only a studio bound to loopback is theirs.
      if (!isLoopback(options.host)) throw new StudioHttpError(403, 'Command-line sessions open only in a studio bound to localhost (STUDIO_HOST=127.0.0.1).');
      return { ref: cliSessionRef(name), userId: localUserId() };
    }
    // The owner id is a hash of the cookie, so nothing stored or shown can be replayed as the cookie itself.
    const userId = `studio-${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;
    return { ref: { platform: 'studio', scope: 'local', channelId: id, threadId: session }, userId };
  }

  async function runTurn(res: ServerResponse, who: Caller, extra: Partial<IncomingTurn>): Promise<void> {
    if (!onTurn) throw new StudioHttpError(503, 'The studio is not started.');
    const reply = hub.turnChannel(who.ref);
    await onTurn({ ref: who.ref, messageId: randomUUID(), userId: who.userId, text: '', images: [], ...extra }, reply);
    sendJson(res, 200, { messages: reply.messages, errors: reply.errors });
  }

  async function turnFromJson(req: IncomingMessage, who: Caller): Promise<Partial<IncomingTurn>> {
    // A painted mask travels base64 in JSON: allow for the 4/3 inflation on top of the picture limit.
    const raw = await readBody(req, Math.ceil(options.maxUploadBytes * 1.4) + 65_536, 'request');
    const body = parseTurnBody(raw);
    // The words go to the core whole: it refuses an over-long instruction in words, with the real length.
    const text = typeof body.text === 'string' ? body.text : '';
    const turn: Partial<IncomingTurn> = { text };
    if (typeof body.mask === 'string' && body.mask.length > 0) turn.mask = { kind: 'image', bytes: new Uint8Array(Buffer.from(body.mask, 'base64')) };
    if (body.action !== undefined) {
      if (!buttonActions.includes(body.action as ButtonAction)) throw new StudioHttpError(400, `There is no "${String(body.action)}" button.`);
      // Buttons act on the head version as the core sees it now, not on whatever an old page believes.
      const view = await core.view(who.ref);
      if (!view?.headId) throw new StudioHttpError(409, 'There is no picture in this session yet: drop one in first.');
      const value = typeof body.value === 'string' ? body.value : undefined;
      turn.action = { action: body.action as ButtonAction, sessionId: view.sessionId, versionId: view.headId, ...(value ? { value } : {}) };
    }
    return turn;
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://studio.invalid');
    const method = req.method ?? 'GET';
    if (!hostAllowed(req, options.host, (server?.address() as AddressInfo | null)?.port ?? options.port)) throw new StudioHttpError(421, 'The studio answers on localhost only.');
    if (method === 'POST' && !sameOrigin(req)) throw new StudioHttpError(403, 'Cross-site requests are refused.');
    if (!assets) throw new StudioHttpError(503, 'The studio is starting.');

    if (method === 'GET' && (url.pathname === '/' || url.pathname === '/index.html')) {
      // The cookie is set here, on the page itself; API routes never mint one.
      const headers: Record<string, string> = readCookieId(req) ? {} : { 'set-cookie': cookieHeader(newCookieId()) };
      return send(res, 200, 'text/html; charset=utf-8', assets['index.html'], headers);
    }
    if (method === 'GET' && url.pathname === '/app.js') return send(res, 200, 'text/javascript; charset=utf-8', assets['app.js']);
    if (method === 'GET' && url.pathname === '/style.css') return send(res, 200, 'text/css; charset=utf-8', assets['style.css']);
    if (method === 'GET' && url.pathname === '/favicon.ico') return send(res, 204, 'image/x-icon', '');

    if (method === 'GET' && url.pathname === '/api/state') {
      const who = caller(req, url);
      return sendJson(res, 200, { session: who.ref.threadId, view: publicView(await core.view(who.ref)), status: core.status() });
    }
    if (method === 'GET' && url.pathname === '/api/sessions') {
      caller(req, url);
      return sendJson(res, 200, { cli: isLoopback(options.host) ? core.cliSessions().map((name) => `${cliPrefix}${name}`) : [] });
    }
    if (method === 'GET' && url.pathname === '/api/events') return hub.subscribe(caller(req, url).ref, res);
    const picture = /^\/api\/picture\/([\w.-]{1,128})$/.exec(url.pathname);
    if (method === 'GET' && picture) {
      const png = await core.picture(caller(req, url).ref, picture[1]);
      if (!png) throw new StudioHttpError(404, 'No such picture in this session.');
      return send(res, 200, 'image/png', png, { 'cache-control': 'private, max-age=3600, immutable' });
    }
    if (method === 'POST' && url.pathname === '/api/upload') {
      const who = caller(req, url);
      const bytes = await readBody(req, options.maxUploadBytes, 'picture');
      const name = fileName(req.headers['x-file-name']);
      return runTurn(res, who, { images: [{ bytes: new Uint8Array(bytes), name }] });
    }
    if (method === 'POST' && url.pathname === '/api/turn') {
      const who = caller(req, url);
      return runTurn(res, who, await turnFromJson(req, who));
    }
    throw new StudioHttpError(404, 'Not found.');
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    route(req, res).catch((error: unknown) => {
      const known = error instanceof StudioHttpError;
      if (!known) log.error({ err: error, path: req.url }, 'studio request failed');
      if (res.headersSent) return void res.end();
      sendJson(res, known ? error.status : 500, { errors: [known ? error.message : 'Something went wrong in the studio; the server log has the details.'] });
    });
  }

  return {
    platform: 'studio',
    async start(handler) {
      onTurn = handler;
      assets = await buildStudioAssets();
      if (!isLoopback(options.host)) log.warn({ host: options.host }, 'the studio is bound beyond localhost: anyone who can reach it can edit pictures');
      const listening = http.createServer(handle);
      await new Promise<void>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(options.port, options.host, () => resolve());
      });
      server = listening;
    },
    replyTo: (ref) => hub.channel(ref),
    url() {
      const address = server?.address() as AddressInfo | null;
      if (!address) throw new Error('the studio is not listening');
      const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host.includes(':') ? `[${options.host}]` : options.host;
      return `http://${host}:${address.port}/`;
    },
    async stop() {
      hub.close();
      const closing = server;
      server = null;
      if (!closing) return;
      await new Promise<void>((resolve) => {
        closing.close(() => resolve());
        closing.closeAllConnections();
      });
    },
  };
}
