import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStudioAdapter, type StudioAdapter } from '../../adapters/studio/studio.ts';
import { createApp, type App } from '../../src/app.ts';
import { cliSessionRef, localUserId } from '../../src/local-user.ts';
import { launchChromium, requireChromium, type RunningBrowser } from '../helpers/browser.ts';
import { fakeEngine } from '../helpers/fake-engine.ts';
import { silentLog, tempDataDir, testConfig } from '../helpers/env.ts';
import { pictureFile } from '../helpers/images.ts';
import { recordingReply } from '../helpers/reply.ts';

// Throws in CI when Chromium is missing (the suite then fails loudly); skips with a warning elsewhere.
const haveChromium = requireChromium('the studio browser tests');
const width = 320;
const height = 240;
const uploadLimit = 1024 * 1024;
// expect.poll gives up after 1 s by default; CI machines have two cores and Chromium shares them.
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 20_000, interval: 100 });

describe.skipIf(!haveChromium)('the studio in headless Chromium', () => {
  let app: App;
  let studio: StudioAdapter;
  let browser: RunningBrowser;
  let url: string;
  const cleanups: (() => unknown)[] = [];

  beforeAll(async () => {
    const temp = tempDataDir();
    // A slow enough fake engine that the progress bar is on screen while the edit runs.
    app = await createApp({ config: testConfig(temp.dir), log: silentLog, engine: fakeEngine({ delayMs: 1200 }) });
    studio = createStudioAdapter({ core: app.core, log: silentLog, host: '127.0.0.1', port: 0, maxUploadBytes: uploadLimit });
    app.attach(studio);
    app.startWorker();
    await studio.start(app.core.handleTurn);
    url = studio.url();
    browser = await launchChromium();
    cleanups.push(temp.cleanup, () => app.close(), () => studio.stop(), () => browser.close());
  }, 60_000);

  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function openPage(): Promise<{ page: Page; problems: string[] }> {
    const page = await (await browser.context()).newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(url);
    await eventually(() => page.textContent('#status-panel')).toContain('fake-fill');
    return { page, problems };
  }

  /** The main picture once loaded: its version, kind and natural size. */
  function shown(page: Page) {
    return page.evaluate(() => {
      const img = document.querySelector<HTMLImageElement>('#result')!;
      return { loaded: img.complete && img.naturalWidth > 0, version: img.dataset.version, kind: img.dataset.kind, overlay: img.dataset.overlay, w: img.naturalWidth, h: img.naturalHeight, src: img.src };
    });
  }

  async function upload(page: Page, name: string, buffer: Buffer): Promise<void> {
    await page.setInputFiles('#file', { name, mimeType: 'image/png', buffer });
  }

  it('uploads, edits through a drawn box mask with live progress, toggles the views, undoes, checks out and re-rolls', async () => {
    const { page, problems } = await openPage();
    expect(await page.evaluate(() => document.cookie)).toBe(''); // HttpOnly: page scripts never see the key
    await upload(page, 'photo.png', await pictureFile(width, height));
    await eventually(() => shown(page)).toMatchObject({ loaded: true, version: '1', kind: 'source', w: width, h: height });
    await eventually(() => page.textContent('#log')).toContain(`Got the picture (${width}×${height}`);

    // Drag a box over the middle of the picture, then say what to do with it.
    await page.click('#tool-box');
    const canvas = (await page.locator('#mask').boundingBox())!;
    await page.mouse.move(canvas.x + canvas.width * 0.3, canvas.y + canvas.height * 0.3);
    await page.mouse.down();
    await page.mouse.move(canvas.x + canvas.width * 0.6, canvas.y + canvas.height * 0.6, { steps: 6 });
    await page.mouse.up();
    await page.fill('#text', 'remove the square');
    await page.click('#send');
    await page.locator('#progress').waitFor({ state: 'visible' });
    await eventually(() => shown(page)).toMatchObject({ loaded: true, kind: 'result', w: width, h: height });
    await page.locator('#progress').waitFor({ state: 'hidden' });

    // The drawn box is where the edit happened (the fake engine paints its hole magenta); outside is untouched.
    const result = await shown(page);
    const png = await (await page.request.get(result.src)).body();
    const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
    expect(pixel(Math.round(width * 0.45), Math.round(height * 0.45))).toEqual([255, 0, 255]);
    expect(pixel(Math.round(width * 0.1), Math.round(height * 0.1))).not.toEqual([255, 0, 255]);
    // The strip holds the pictures (the upload and the result, not the mask step), and the page shows the prompts.
    expect(await page.locator('.thumb').allTextContents()).toEqual(['v1 source', 'v2 result']);
    expect(await page.textContent('#prompts')).toBe('Prompt: (none) · negative: “square, ugly, low quality”');

    // The overlay tints the result's own mask over the result itself (not the picture before the edit).
    await page.check('#overlay');
    await eventually(() => shown(page)).toMatchObject({ loaded: true, overlay: 'true', kind: 'result', src: result.src });
    const tint = () =>
      page.evaluate(([x, y]) => {
        const canvas = document.querySelector<HTMLCanvasElement>('#mask-view')!;
        if (canvas.hidden || canvas.width === 0) return null;
        return [...canvas.getContext('2d')!.getImageData(x, y, 1, 1).data];
      }, [Math.round(width * 0.45), Math.round(height * 0.1)]);
    await eventually(() => page.evaluate(() => document.querySelector<HTMLCanvasElement>('#mask-view')!.dataset.mask ?? null)).not.toBeNull();
    const inside = await page.evaluate(([x, y]) => [...document.querySelector<HTMLCanvasElement>('#mask-view')!.getContext('2d')!.getImageData(x, y, 1, 1).data], [Math.round(width * 0.45), Math.round(height * 0.45)]);
    expect([inside[0], inside[1], inside[3]]).toEqual([255, 0, 115]); // the tint (blue rounds through premultiplied alpha)
    expect(Math.abs(inside[2] - 90)).toBeLessThanOrEqual(2);
    expect(await tint()).toEqual([0, 0, 0, 0]); // outside the mask: untinted
    if (process.env.STUDIO_SCREENSHOT) await page.screenshot({ path: process.env.STUDIO_SCREENSHOT, fullPage: true });
    await page.uncheck('#overlay');
    await eventually(() => shown(page)).toMatchObject({ loaded: true, overlay: 'false' });
    expect(await page.isHidden('#mask-view')).toBe(true);

    // Before and after side by side, both on screen (1280×860): never stacked below the fold.
    await page.check('#before-after');
    await page.locator('#compare').waitFor({ state: 'visible' });
    await eventually(() => page.evaluate(() => document.querySelector<HTMLImageElement>('#before')!.naturalWidth)).toBe(width);
    await eventually(() => page.evaluate(() => document.querySelector<HTMLImageElement>('#after')!.naturalWidth)).toBe(width);
    const [before, after] = [(await page.locator('#before').boundingBox())!, (await page.locator('#after').boundingBox())!];
    expect(Math.abs(before.y - after.y)).toBeLessThan(2);
    expect(after.x).toBeGreaterThan(before.x + before.width);
    expect(after.y + after.height).toBeLessThanOrEqual(page.viewportSize()!.height);
    await page.uncheck('#before-after');

    // Undo takes the whole turn back (mask and edit) to the upload; the later versions stay in the strip.
    const resultVersion = result.version!;
    await page.click('#undo');
    await eventually(() => shown(page)).toMatchObject({ loaded: true, version: '1', kind: 'source' });
    await eventually(() => page.isEnabled('#redo')).toBe(true);

    // Clicking a thumbnail checks that version out (`version N`).
    await page.click(`.thumb[data-version="${resultVersion}"]`);
    await eventually(() => shown(page)).toMatchObject({ loaded: true, version: resultVersion, kind: 'result' });

    // A button press is an action turn on the head version: re-roll makes a newer result.
    await page.click('button[data-action="reroll"]');
    await eventually(async () => Number((await shown(page)).version)).toBeGreaterThan(Number(resultVersion));
    await eventually(() => shown(page)).toMatchObject({ loaded: true, kind: 'result', w: width, h: height });
    expect(problems).toEqual([]);
  }, 90_000);

  it('shows worded errors in the page for a bad upload and an oversized one', async () => {
    const { page } = await openPage();
    await upload(page, 'notes.png', Buffer.from('these are my notes, not a picture\n'.repeat(4)));
    await eventually(() => page.locator('.msg.error').last().textContent()).toMatch(/That file is a text file, which I can't edit\. I read PNG, JPEG/);

    await upload(page, 'huge.png', Buffer.alloc(uploadLimit + 200_000, 7));
    await eventually(() => page.locator('.msg.error').last().textContent()).toMatch(/That picture is 1\.2 MB; the studio takes up to 1\.0 MB/);
    expect(await page.isVisible('#empty')).toBe(true); // nothing was taken
  }, 60_000);

  it("keeps each browser's pictures to itself and refuses cross-site and cookie-less requests", async () => {
    const first = await openPage();
    await upload(first.page, 'photo.png', await pictureFile(64, 48));
    await eventually(() => shown(first.page)).toMatchObject({ loaded: true, w: 64, h: 48 });
    const { src } = await shown(first.page);
    expect((await first.page.request.get(src)).status()).toBe(200);

    // A brush stroke with a command (no edit) sets the mask alone: a new mask version on the same picture.
    await first.page.click('#tool-brush');
    const canvas = (await first.page.locator('#mask').boundingBox())!;
    await first.page.mouse.move(canvas.x + 5, canvas.y + canvas.height / 2);
    await first.page.mouse.down();
    await first.page.mouse.move(canvas.x + canvas.width - 5, canvas.y + canvas.height / 2, { steps: 8 });
    await first.page.mouse.up();
    await first.page.fill('#text', 'history');
    await first.page.press('#text', 'Enter');
    // Versions are pictures: the page still shows v1, with the mask as a setting of its next edit.
    await eventually(() => first.page.textContent('#prompts')).toMatch(/^Next edit: mask from picture · mask \d+\.\d%$/);
    expect(await shown(first.page)).toMatchObject({ loaded: true, version: '1', kind: 'source' });
    expect(await first.page.locator('.thumb').count()).toBe(1);

    // Another context is another browser: its own cookie, its own (empty) sessions, none of the first's pictures.
    const second = await openPage();
    expect(await second.page.isVisible('#empty')).toBe(true);
    expect([403, 404]).toContain((await second.page.request.get(src)).status());

    const origin = new URL(url).origin;
    const crossSite = await second.page.request.post(`${origin}/api/turn`, { headers: { origin: 'http://evil.example', 'content-type': 'application/json' }, data: '{"text":"undo"}' });
    expect(crossSite.status()).toBe(403);
    const noCookie = await fetch(src);
    expect(noCookie.status).toBe(401);
    // A DNS-rebinding page reaches 127.0.0.1 under its own name: fetch() will not forge Host, http.get will.
    const rebound = await new Promise<number>((resolve, reject) => {
      http.get(`${origin}/`, { headers: { host: 'evil.example' } }, (res) => resolve(res.resume().statusCode ?? 0)).on('error', reject);
    });
    expect(rebound).toBe(421);
  }, 60_000);
  it("offers the command line's sessions in the picker and opens them", async () => {
    await app.core.handleTurn({ ref: cliSessionRef('garden'), messageId: randomUUID(), userId: localUserId(), text: '', images: [{ bytes: await pictureFile(64, 48) }] }, recordingReply());
    const { page, problems } = await openPage();
    await eventually(() => page.locator('#session optgroup[label="From the command line"] option').allTextContents()).toEqual(['garden']);
    await page.selectOption('#session', 'cli:garden');
    await eventually(() => shown(page)).toMatchObject({ loaded: true, version: '1', kind: 'source', w: 64, h: 48 });
    await page.fill('#text', 'history');
    await page.press('#text', 'Enter');
    await eventually(() => page.textContent('#log')).toContain('v1 source: new picture · 64×48');
    expect(problems).toEqual([]);
  }, 60_000);
});
