import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Web API call as Slack would receive it: the method and its arguments (JSON-encoded ones decoded). */
export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  token: string | null;
  /** What the stub answered. */
  result: Record<string, unknown>;
}

interface StoredFile {
  bytes: Uint8Array;
  /** Serve Slack's sign-in page even with the token, as Slack does for an app without files:read. */
  html?: boolean;
  mimetype: string;
}

/** What users.info says about someone: a regular member unless listed (or a Web API error code, e.g. missing_scope). */
export type StubUser = { is_admin?: boolean; is_owner?: boolean } | string;

export interface SlackStubOptions {
  botToken: string;
  botUserId?: string;
  teamId?: string;
  users?: Record<string, StubUser>;
  /** Socket Mode: the WebSocket URL apps.connections.open hands out. */
  socketUrl?: string;
}

const loginPage = '<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to your workspace</body></html>';

function decodeArgs(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    args[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
  }
  return args;
}

/**
 * A loopback stand-in for Slack's Web API (point the WebClient's slackApiUrl at `apiUrl`): records every call,
 * answers like Slack, takes filesUploadV2's byte uploads, and serves `url_private` downloads — the picture with
 * the bot token, the HTML sign-in page without it.
 */
export async function startSlackStub(options: SlackStubOptions) {
  const calls: SlackCall[] = [];
  const waiters: { match: (call: SlackCall) => boolean; resolve: (call: SlackCall) => void }[] = [];
  /** Posts to a slash command's response_url, by the id in its path. */
  const responses: { id: string; body: Record<string, unknown> }[] = [];
  const uploads: { fileId: string; bytes: number }[] = [];
  const downloads: { name: string; authorized: boolean }[] = [];
  const files = new Map<string, StoredFile>();
  const parents = new Map<string, Record<string, unknown>>();
  let clock = 1_700_000_500;
  let nextId = 1;
  const nextTs = () => `${clock++}.000100`;

  function answer(method: string, args: Record<string, unknown>, base: string): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: options.botUserId ?? 'UBOT', bot_id: 'BBOT', team_id: options.teamId ?? 'T1', user: 'brushtalk' };
      case 'chat.postMessage':
        return { ok: true, channel: args.channel, ts: nextTs(), message: { text: args.text } };
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: nextTs() };
      case 'files.getUploadURLExternal': {
        const fileId = `F${nextId++}`;
        return { ok: true, file_id: fileId, upload_url: `${base}/upload/${fileId}` };
      }
      case 'files.completeUploadExternal':
        return { ok: true, files: (args.files as { id: string }[]).map((f) => ({ id: f.id })) };
      case 'views.open':
        return { ok: true, view: { id: `V${nextId++}` } };
      case 'users.info': {
        const user = options.users?.[String(args.user)] ?? {};
        if (typeof user === 'string') return { ok: false, error: user };
        return { ok: true, user: { id: args.user, team_id: options.teamId ?? 'T1', name: String(args.user).toLowerCase(), is_admin: false, is_owner: false, is_primary_owner: false, ...user } };
      }
      case 'apps.connections.open':
        return options.socketUrl ? { ok: true, url: options.socketUrl } : { ok: false, error: 'not_allowed_token_type' };
      case 'conversations.replies': {
        const parent = parents.get(`${args.channel}/${args.ts}`);
        return { ok: true, messages: parent ? [parent] : [] };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const body = Buffer.concat(chunks);
      if (url.pathname.startsWith('/api/')) {
        const method = url.pathname.slice('/api/'.length);
        const auth = req.headers.authorization ?? null;
        const args = decodeArgs(body.toString('utf8'), req.headers['content-type']);
        const result = answer(method, args, base);
        const call = { method, args, token: auth?.replace(/^Bearer /, '') ?? null, result };
        calls.push(call);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
        for (const waiter of waiters.filter((w) => w.match(call))) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(call);
        }
      } else if (url.pathname.startsWith('/respond/')) {
        responses.push({ id: url.pathname.slice('/respond/'.length), body: JSON.parse(body.toString('utf8')) as Record<string, unknown> });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } else if (url.pathname.startsWith('/upload/')) {
        uploads.push({ fileId: url.pathname.slice('/upload/'.length), bytes: body.byteLength });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('OK - ' + body.byteLength);
      } else if (url.pathname.startsWith('/files/')) {
        const name = decodeURIComponent(url.pathname.slice('/files/'.length));
        const authorized = req.headers.authorization === `Bearer ${options.botToken}`;
        downloads.push({ name, authorized });
        const file = files.get(name);
        if (!file) res.writeHead(404).end();
        else if (!authorized || file.html) res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage);
        else res.writeHead(200, { 'content-type': file.mimetype }).end(Buffer.from(file.bytes));
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl: `${base}/api/`,
    calls,
    responses,
    uploads,
    downloads,
    /** Serve a file at a url_private address; returns the Slack file object an event would carry. */
    addFile(name: string, bytes: Uint8Array, opts: { html?: boolean; declaredSize?: number; mimetype?: string } = {}) {
      const mimetype = opts.mimetype ?? 'image/png';
      files.set(name, { bytes, html: opts.html, mimetype });
      return { id: `F_${name}`, name, mimetype, size: opts.declaredSize ?? bytes.byteLength, url_private: `${base}/files/${encodeURIComponent(name)}` };
    },
    /** The parent message conversations.replies returns for a thread. */
    setParent(channel: string, ts: string, message: Record<string, unknown>) {
      parents.set(`${channel}/${ts}`, { ts, ...message });
    },
    /** A slash command's response_url; what is posted there lands in `responses` under `id`. */
    responseUrl: (id: string) => `${base}/respond/${id}`,
    /** Resolves with the first call (already made, or still to come) that matches. */
    waitFor(match: (call: SlackCall) => boolean): Promise<SlackCall> {
      const made = calls.find(match);
      return made ? Promise.resolve(made) : new Promise((resolve) => waiters.push({ match, resolve }));
    },
    /** Calls made since `from` (an index into calls), auth.test left out. */
    since(from: number): SlackCall[] {
      return calls.slice(from).filter((c) => c.method !== 'auth.test');
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type SlackStub = Awaited<ReturnType<typeof startSlackStub>>;

/** POST a body to Bolt's receiver the way Slack does: v0 HMAC-SHA256 of `v0:{timestamp}:{body}`. */
export async function postSigned(
  url: string,
  body: string,
  options: { secret: string; contentType?: string; headers?: Record<string, string>; timestamp?: number },
): Promise<{ status: number; text: string }> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', options.secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature,
      ...options.headers,
    },
    body,
  });
  return { status: response.status, text: await response.text() };
}

/** An Events API envelope around one event. */
export function eventEnvelope(eventId: string, event: Record<string, unknown>, teamId = 'T1'): string {
  return JSON.stringify({ token: 'legacy', team_id: teamId, api_app_id: 'A1', type: 'event_callback', event_id: eventId, event_time: 1_700_000_000, event });
}

/** A slash command as Slack posts it: form-encoded fields. */
export function slashCommandBody(fields: { text: string; user: string; responseUrl: string; triggerId: string; channel?: string; teamId?: string }): string {
  return new URLSearchParams({
    token: 'legacy',
    team_id: fields.teamId ?? 'T1',
    team_domain: 'acme',
    channel_id: fields.channel ?? 'C1',
    channel_name: 'general',
    user_id: fields.user,
    user_name: fields.user.toLowerCase(),
    command: '/brushtalk',
    text: fields.text,
    api_app_id: 'A1',
    response_url: fields.responseUrl,
    trigger_id: fields.triggerId,
  }).toString();
}

/** An interactivity request (block_actions, view_submission): form-encoded `payload=<json>`. */
export function interactionBody(payload: Record<string, unknown>): string {
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}
