import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for Discord's REST API and CDN. It records every request (method, path without the
 * /api/v10 prefix, JSON body — or, for multipart uploads, payload_json plus the file parts) and answers
 * with payloads shaped like Discord's, so discord.js builds its usual objects from them.
 */
export interface RecordedFile {
  field: string;
  name: string;
  size: number;
  type: string;
  bytes: Uint8Array;
}

export interface RecordedCall {
  method: string;
  path: string;
  query: string;
  body: any;
  files: RecordedFile[];
  auth: string | null;
  /** What the stub answered (ids of created messages and threads), and its HTTP status. */
  response?: any;
  status?: number;
  /** When the stub received it (ms since the epoch). */
  at: number;
}

export interface DiscordStub {
  /** For DISCORD_API_BASE / rest.api. */
  apiBase: string;
  cdnBase: string;
  calls: RecordedCall[];
  /** Pictures and files the CDN serves, by path under /cdn/. */
  cdn: Map<string, { bytes: Uint8Array; contentType: string }>;
  cdnHits: string[];
  /** Messages GET /channels/{c}/messages/{m} returns. */
  messages: Map<string, unknown>;
  /** Called for each REST call before it is answered (tests move clocks here). */
  onCall?: (call: RecordedCall) => void;
  /** Answer a call differently (a 429, a 500): return the status, body and headers, or undefined for the usual. */
  override?: (call: RecordedCall) => { status: number; json?: unknown; headers?: Record<string, string> } | undefined;
  /** REST calls only (not the CDN), as "METHOD path". */
  lines(): string[];
  close(): Promise<void>;
}

export const botUser = { id: '1300000000000000001', username: 'brushtalk', discriminator: '0', global_name: null, avatar: null, bot: true };
let nextId = 1400000000000000000n;
const snowflake = () => String(nextId++);

function message(channelId: string, body: any, files: RecordedFile[]) {
  return {
    id: snowflake(),
    channel_id: channelId,
    type: 0,
    content: body?.content ?? '',
    author: botUser,
    attachments: files.map((f, i) => ({ id: snowflake(), filename: f.name, size: f.size, url: `https://cdn.example/${i}/${f.name}`, proxy_url: `https://media.example/${i}/${f.name}` })),
    embeds: [],
    components: body?.components ?? [],
    mentions: [],
    mention_roles: [],
    mention_everyone: false,
    pinned: false,
    tts: false,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    flags: body?.flags ?? 0,
  };
}

async function readBody(req: http.IncomingMessage): Promise<{ body: any; files: RecordedFile[] }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  if (raw.length === 0) return { body: null, files: [] };
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
    const files: RecordedFile[] = [];
    let body: any = null;
    for (const [field, value] of form.entries()) {
      if (field === 'payload_json') body = JSON.parse(String(value));
      else if (typeof value !== 'string') files.push({ field, name: value.name, size: value.size, type: value.type, bytes: new Uint8Array(await value.arrayBuffer()) });
    }
    return { body, files };
  }
  return { body: JSON.parse(raw.toString('utf8')), files: [] };
}

function answer(call: RecordedCall, stub: DiscordStub & { defaultChannel: string }): { status: number; json?: unknown; headers?: Record<string, string> } {
  const p = call.path.split('/').filter(Boolean);
  if (p[0] === 'interactions' && p[3] === 'callback') return { status: 204 };
  if (p[0] === 'webhooks' && call.method === 'DELETE') return { status: 204 };
  if (p[0] === 'webhooks') return { status: 200, json: message(call.body?.channel_id ?? stub.defaultChannel, call.body, call.files) };
  if (p[0] === 'channels' && p[2] === 'messages' && p[4] === 'threads') return { status: 201, json: { id: snowflake(), type: 11, parent_id: p[1], name: call.body?.name } };
  if (p[0] === 'channels' && p[2] === 'messages' && call.method === 'GET') {
    const found = stub.messages.get(`${p[1]}/${p[3]}`);
    return found ? { status: 200, json: found } : { status: 404, json: { code: 10008, message: 'Unknown Message' } };
  }
  if (p[0] === 'channels' && p[2] === 'messages') return { status: 200, json: message(p[1], call.body, call.files) };
  if (p[0] === 'applications' && call.method === 'PUT') return { status: 200, json: (call.body as { name: string }[]).map((c) => ({ ...c, id: snowflake() })) };
  return { status: 404, json: { code: 0, message: `stub: no route for ${call.method} ${call.path}` } };
}

export async function startDiscordStub(defaultChannel: string): Promise<DiscordStub & { defaultChannel: string }> {
  const stub = {
    apiBase: '',
    cdnBase: '',
    defaultChannel,
    calls: [] as RecordedCall[],
    cdn: new Map<string, { bytes: Uint8Array; contentType: string }>(),
    cdnHits: [] as string[],
    messages: new Map<string, unknown>(),
    onCall: undefined as ((call: RecordedCall) => void) | undefined,
    override: undefined as DiscordStub['override'],
    lines: () => stub.calls.map((c) => `${c.method} ${c.path}`),
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      if (url.pathname.startsWith('/cdn/')) {
        const key = url.pathname.slice('/cdn/'.length);
        stub.cdnHits.push(key);
        const file = stub.cdn.get(key);
        res.writeHead(file ? 200 : 404, { 'content-type': file?.contentType ?? 'text/plain' });
        res.end(file ? Buffer.from(file.bytes) : 'not found');
        return;
      }
      const { body, files } = await readBody(req);
      const call: RecordedCall = { method: req.method ?? 'GET', path: decodeURIComponent(url.pathname).replace(/^\/api\/v\d+/, ''), query: url.search, body, files, auth: req.headers.authorization ?? null, at: Date.now() };
      stub.calls.push(call);
      stub.onCall?.(call);
      const { status, json, headers = {} } = stub.override?.(call) ?? answer(call, stub);
      call.response = json;
      call.status = status;
      res.writeHead(status, { ...headers, ...(json === undefined ? {} : { 'content-type': 'application/json' }) });
      res.end(json === undefined ? undefined : JSON.stringify(json));
    })().catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  stub.apiBase = `http://127.0.0.1:${port}/api`;
  stub.cdnBase = `http://127.0.0.1:${port}/cdn`;
  stub.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return stub;
}
