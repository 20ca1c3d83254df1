import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStudioAdapter, type StudioAdapter } from '../../adapters/studio/studio.ts';
import { createApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { cliSessionRef, localUserId } from '../../src/local-user.ts';
import { fakeEngine } from '../helpers/fake-engine.ts';
import { silentLog, tempDataDir, testConfig } from '../helpers/env.ts';
import { pictureFile } from '../helpers/images.ts';
import { recordingReply } from '../helpers/reply.ts';

/** The studio's HTTP surface without a browser: cookies, CSRF, limits, scoping and what the page may see. */

const secret = 'sk-test-never-in-the-page';

describe('the studio over HTTP', () => {
  let app: App;
  let studio: StudioAdapter;
  let origin: string;
  let cleanup: () => void;

  beforeAll(async () => {
    const temp = tempDataDir();
    cleanup = temp.cleanup;
    // An LLM "configured" with a key: the status the page reads must say so without carrying the key.
    app = await createApp({ config: testConfig(temp.dir, { OPENAI_API_KEY: secret }), log: silentLog, engine: fakeEngine(), interpret: async () => 'ok' });
    // Small stream caps (2 per browser, 3 in all), so the test can reach them.
    studio = createStudioAdapter({ core: app.core, log: silentLog, host: '127.0.0.1', port: 0, maxUploadBytes: 64 * 1024, streams: { perCookie: 2, total: 3 } });
    app.attach(studio);
    app.startWorker();
    await studio.start(app.core.handleTurn);
    origin = new URL(studio.url()).origin;
  });

  afterAll(async () => {
    await studio.stop();
    await app.close();
    cleanup();
  });

  async function cookie(): Promise<string> {
    const res = await fetch(`${origin}/`);
    const set = res.headers.get('set-cookie') ?? '';
    expect(set).toMatch(/^brushtalk_studio=[\w-]{22,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    return set.split(';')[0];
  }

  const post = (path: string, headers: Record<string, string>, body: BodyInit) => fetch(`${origin}${path}`, { method: 'POST', headers: { origin, ...headers }, body });

  it('config defaults bind the studio to localhost on 7860, and a bad port names the variable', () => {
    expect(loadConfig({}).studio).toEqual({ enabled: true, host: '127.0.0.1', port: 7860 });
    expect(loadConfig({ STUDIO_ENABLED: 'false', STUDIO_PORT: '0' }).studio).toMatchObject({ enabled: false, port: 0 });
    expect(() => loadConfig({ STUDIO_PORT: '70000' })).toThrow(/STUDIO_PORT/);
  });

  it('serves the page with a strict policy and no secrets, and status without the key', async () => {
    const page = await fetch(`${origin}/`);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await page.text();
    const js = await (await fetch(`${origin}/app.js`)).text();
    expect(js).toMatch(/EventSource/);
    const jar = await cookie();
    const state = await (await fetch(`${origin}/api/state`, { headers: { cookie: jar } })).text();
    expect(JSON.parse(state)).toMatchObject({ session: 'main', view: null, status: { llm: { configured: true, model: 'gpt-4o-mini' } } });
    for (const text of [html, js, state]) expect(text).not.toContain(secret);
  });

  it('refuses cookie-less, cross-site and oversized requests in words', async () => {
    expect((await fetch(`${origin}/api/state`)).status).toBe(401);
    const jar = await cookie();
    const crossSite = await post('/api/turn', { cookie: jar, origin: 'http://evil.example' }, '{"text":"undo"}');
    expect(crossSite.status).toBe(403);
    const fetchMetadata = await post('/api/turn', { cookie: jar, 'sec-fetch-site': 'cross-site' }, '{"text":"undo"}');
    expect(fetchMetadata.status).toBe(403);
    const big = await post('/api/upload', { cookie: jar, 'content-type': 'application/octet-stream' }, new Uint8Array(100 * 1024));
    expect(big.status).toBe(413);
    expect((await big.json()).errors[0]).toMatch(/That picture is 100 KB; the studio takes up to 64 KB\. Try a smaller version\./);
    const noPicture = await post('/api/turn', { cookie: jar, 'content-type': 'application/json' }, '{"action":"undo"}');
    expect(noPicture.status).toBe(409);
    const unknown = await post('/api/turn', { cookie: jar, 'content-type': 'application/json' }, '{"action":"explode"}');
    expect((await unknown.json()).errors[0]).toMatch(/no "explode" button/);
    expect((await post('/api/turn?session=../x', { cookie: jar }, '{}')).status).toBe(400);
  });

  it('runs turns per browser and per named session, and scopes pictures to them', async () => {
    const jar = await cookie();
    const uploaded = await post('/api/upload?session=kitchen', { cookie: jar, 'content-type': 'application/octet-stream' }, new Uint8Array(await pictureFile(40, 30)));
    expect((await uploaded.json()).messages[0]).toMatch(/Got the picture \(40×30, png\)/);
    const state = await (await fetch(`${origin}/api/state?session=kitchen`, { headers: { cookie: jar } })).json();
    expect(state.view.ownerId).toBeUndefined();
    const imageId: string = state.view.versions[0].imageId;
    const picture = await fetch(`${origin}/api/picture/${imageId}?session=kitchen`, { headers: { cookie: jar } });
    expect(picture.headers.get('content-type')).toBe('image/png');
    // The same browser's other session, and another browser's same-named session, do not hold it.
    expect((await fetch(`${origin}/api/picture/${imageId}?session=main`, { headers: { cookie: jar } })).status).toBe(404);
    expect((await fetch(`${origin}/api/picture/${imageId}?session=kitchen`, { headers: { cookie: await cookie() } })).status).toBe(404);
    // A button press acts on the head as the server sees it.
    const undo = await post('/api/turn?session=kitchen', { cookie: jar, 'content-type': 'application/json' }, '{"action":"undo"}');
    expect((await undo.json()).errors[0]).toMatch(/undo/i);
  });

  /** fetch() will not forge Host; http.get will (as a DNS-rebinding page's requests arrive). */
  const statusFor = (host: string) =>
    new Promise<number>((resolve, reject) => {
      http.get(`${origin}/`, { headers: { host } }, (res) => resolve(res.resume().statusCode ?? 0)).on('error', reject);
    });

  it('answers only its own loopback names with its own port: exact, parsed, never a prefix', async () => {
    const port = new URL(origin).port;
    const hostile = [
      `127.attacker.example:${port}`, `127.0.0.1.nip.io:${port}`, `127.0.0.1:${port}@evil.example`, `evil.example:${port}`, 'evil.example',
      `localhost.:${port}`, `localhost.evil.example:${port}`, `127.0.0.2:${port}`, `127.0.0.1:${Number(port) + 1}`, '127.0.0.1', `127.0.0.1:${port}/x`,
      `[::1]:${port}.evil.example`, `[::ffff:127.0.0.1]:${port}`,
    ];
    for (const host of hostile) expect({ host, status: await statusFor(host) }).toEqual({ host, status: 421 });
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost:${port}`, `[::1]:${port}`]) expect({ host, status: await statusFor(host) }).toEqual({ host, status: 200 });
  });

  it('a turn whose JSON is not an object gets a worded 400', async () => {
    const jar = await cookie();
    for (const body of ['null', '[]', '5', '"undo"', 'true', '{']) {
      const res = await post('/api/turn', { cookie: jar, 'content-type': 'application/json' }, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect((await res.json()).errors).toEqual(['The studio sent a request it could not read; reload the page.']);
    }
  });

  it('a long instruction reaches the core whole (no silent cut) and gets its worded refusal, without an echo', async () => {
    const jar = await cookie();
    const res = await post('/api/turn', { cookie: jar, 'content-type': 'application/json' }, JSON.stringify({ text: 'x'.repeat(100_000) }));
    const body = await res.json();
    expect(body).toEqual({ messages: [], errors: [expect.stringMatching(/^That message is 100,000 characters; keep instructions to 500 or fewer\. \(ref T-\w{6}\)$/)] });
  });

  it('caps live-update streams per browser and in all (429 in words), and frees a place when one closes', async () => {
    const opened: AbortController[] = [];
    const open = async (jar: string, session = 'main') => {
      const abort = new AbortController();
      const res = await fetch(`${origin}/api/events?session=${session}`, { headers: { cookie: jar }, signal: abort.signal });
      if (res.status === 200) opened.push(abort); // a refusal's body is short and complete
      return res;
    };
    try {
      const [first, second] = [await cookie(), await cookie()];
      expect((await open(first)).status).toBe(200);
      expect((await open(first, 'kitchen')).status).toBe(200);
      const third = await open(first, 'garden');
      expect(third.status).toBe(429);
      expect((await third.json()).errors[0]).toMatch(/^This browser already has 2 studio pages with live updates open; close one/);
      expect((await open(second)).status).toBe(200);
      const full = await open(await cookie());
      expect(full.status).toBe(429);
      expect((await full.json()).errors[0]).toMatch(/as many pages as it can/);
      // The server still answers everything else.
      expect((await fetch(`${origin}/api/state`, { headers: { cookie: first } })).status).toBe(200);
      // Closing a stream gives its place back.
      opened.shift()!.abort();
      let again = await open(first, 'garden');
      for (let i = 0; again.status === 429 && i < 50; i++) again = (await new Promise((r) => setTimeout(r, 20)), await open(first, 'garden'));
      expect(again.status).toBe(200);
    } finally {
      for (const abort of opened) abort.abort();
    }
  });
  it("opens the command line's sessions for the local user, on a loopback studio only", async () => {
    // A session made by `brushtalk edit photo.png … --session kitchen`: the CLI's ref and the local user.
    const kitchen = cliSessionRef('kitchen');
    await app.core.handleTurn({ ref: kitchen, messageId: randomUUID(), userId: localUserId(), text: '', images: [{ bytes: await pictureFile(64, 48) }] }, recordingReply());
    const jar = await cookie();
    const get = async (path: string) => fetch(`${origin}${path}`, { headers: { cookie: jar } });
    expect(await (await get('/api/sessions')).json()).toEqual({ cli: ['cli:kitchen'] });
    const state = (await (await get('/api/state?session=cli%3Akitchen')).json()) as { view: { versions: { number: number; kind: string }[] } };
    expect(state.view.versions.map((v) => [v.number, v.kind])).toEqual([[1, 'source']]);
    const turn = await post('/api/turn?session=cli%3Akitchen', { cookie: jar, 'content-type': 'application/json' }, JSON.stringify({ text: 'mask box 8,8,16,16' }));
    expect(((await turn.json()) as { messages: string[] }).messages[0]).toMatch(/^Mask updated: v1 with mask box 8,8,16,16/);
    // The same conversation the CLI continues, with the same owner: the local user's turns act on it.
    const session = app.sessions.loadByRef(kitchen)!;
    expect(session.ownerId).toBe(localUserId());
    expect(session.versions.map((v) => v.kind)).toEqual(['source', 'mask']);
    expect((await get('/api/state?session=cli%3A..%2Fx')).status).toBe(400);

    // A studio bound beyond localhost serves other people: it neither lists nor opens the local user's sessions.
    const lan = createStudioAdapter({ core: app.core, log: silentLog, host: '0.0.0.0', port: 0, maxUploadBytes: 64 * 1024 });
    await lan.start(app.core.handleTurn);
    try {
      const base = `http://127.0.0.1:${new URL(lan.url()).port}`;
      const lanJar = ((await fetch(`${base}/`)).headers.get('set-cookie') ?? '').split(';')[0];
      expect(await (await fetch(`${base}/api/sessions`, { headers: { cookie: lanJar } })).json()).toEqual({ cli: [] });
      const refused = await fetch(`${base}/api/state?session=cli%3Akitchen`, { headers: { cookie: lanJar } });
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { errors: string[] }).errors[0]).toMatch(/Command-line sessions open only in a studio bound to localhost/);
    } finally {
      await lan.stop();
    }
  });
});
