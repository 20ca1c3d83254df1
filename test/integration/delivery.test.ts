import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { fakeEngine } from '../helpers/fake-engine.ts';
import { silentLog, tempDataDir, testConfig } from '../helpers/env.ts';
import { pictureFile } from '../helpers/images.ts';
import { recordingAdapter, recordingReply } from '../helpers/reply.ts';

const ref = { platform: 'test', scope: 'guild', channelId: 'outbox' };
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function app(dir: string): Promise<App> {
  const started = await createApp({ config: testConfig(dir), log: silentLog, engine: fakeEngine() });
  cleanups.push(() => started.close());
  return started;
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

const delivered = (a: App) => a.database.sqlite.prepare('SELECT delivered_at AS at FROM jobs').get() as { at: number | null };

describe('results are delivered from an outbox', () => {
  it('an outcome its process never sent (it died, or had no way to the platform) is sent once by the next process', async () => {
    const temp = tempDataDir();
    cleanups.push(temp.cleanup);
    // A process that finishes the edit but cannot reply (here: no adapter for the platform, as if it died first).
    const first = await app(temp.dir);
    first.startWorker();
    await first.core.handleTurn(
      { ref, messageId: randomUUID(), userId: 'u1', text: 'remove the square', images: [{ bytes: await pictureFile(64, 48) }], mask: { kind: 'box', box: { x: 8, y: 8, w: 20, h: 12 } } },
      recordingReply(),
    );
    await first.core.settled(ref);
    expect(delivered(first).at).toBeNull();
    await first.close();

    const second = await app(temp.dir);
    const adapter = recordingAdapter('test');
    second.attach(adapter); // looks for outcomes nobody sent
    await until(() => adapter.reply.images.length === 3, 'the missed result');
    await second.core.settled(ref);
    expect(adapter.reply.images.map((i) => i.details.role)).toEqual(['result', 'mask', 'compare']);
    expect(delivered(second).at).toEqual(expect.any(Number));
    await second.close();

    const third = await app(temp.dir);
    const late = recordingAdapter('test');
    third.attach(late);
    await delay(1500); // longer than a sweep
    expect(late.reply.images).toEqual([]);
  });

  it('a delivery another process holds is left to it until its hold runs out', async () => {
    const temp = tempDataDir();
    cleanups.push(temp.cleanup);
    const worker = await app(temp.dir);
    worker.startWorker();
    await worker.core.handleTurn(
      { ref, messageId: randomUUID(), userId: 'u1', text: 'remove the square', images: [{ bytes: await pictureFile(64, 48) }], mask: { kind: 'box', box: { x: 8, y: 8, w: 20, h: 12 } } },
      recordingReply(),
    );
    await worker.core.settled(ref);
    // Someone else took the delivery 1.5 s from now.
    worker.database.sqlite.prepare('UPDATE jobs SET delivery_until = ?').run(Date.now() + 1500);
    const adapter = recordingAdapter('test');
    worker.attach(adapter);
    await delay(700);
    expect(adapter.reply.images).toEqual([]);
    await until(() => adapter.reply.images.length === 3, 'the delivery after the hold');
  });

  it('a send that fails half-way is resumed after its hold from the message that failed: nothing twice', async () => {
    const temp = tempDataDir();
    cleanups.push(temp.cleanup);
    const a = await app(temp.dir);
    const adapter = recordingAdapter('test');
    // The platform refuses the second picture once (a timeout, a rate limit).
    let refusals = 1;
    const image = adapter.reply.image.bind(adapter.reply);
    adapter.reply.image = async (png, details) => {
      if (details.role === 'mask' && refusals-- > 0) throw new Error('503 from the platform');
      return image(png, details);
    };
    a.attach(adapter);
    a.startWorker();
    await a.core.handleTurn(
      { ref, messageId: randomUUID(), userId: 'u1', text: 'remove the square', images: [{ bytes: await pictureFile(64, 48) }], mask: { kind: 'box', box: { x: 8, y: 8, w: 20, h: 12 } } },
      recordingReply(),
    );
    await until(() => adapter.reply.images.length === 3, 'the rest of the result after the hold');
    expect(adapter.reply.images.map((i) => i.details.role)).toEqual(['result', 'mask', 'compare']);
    expect(delivered(a).at).toEqual(expect.any(Number));
  });
});
