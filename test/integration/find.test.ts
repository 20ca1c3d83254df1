import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import type { IncomingTurn } from '../../src/contracts.ts';
import { fakeEngine } from '../helpers/fake-engine.ts';
import { fakeVision } from '../helpers/fake-vision.ts';
import { silentLog, tempDataDir, testConfig } from '../helpers/env.ts';
import { pictureFile } from '../helpers/images.ts';
import { recordingAdapter, recordingReply } from '../helpers/reply.ts';

const ref = { platform: 'test', scope: 'g', channelId: 'c' };
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const dogs = {
  dog: [
    { box: { x: 60, y: 10, w: 20, h: 20 }, score: 0.8 }, // right dog
    { box: { x: 5, y: 12, w: 20, h: 16 }, score: 0.6 }, // left dog
    { box: { x: 6, y: 12, w: 20, h: 16 }, score: 0.3 }, // a duplicate of the left dog (NMS drops it)
  ],
};

async function start(vision = fakeVision(dogs)) {
  const temp = tempDataDir();
  const app = await createApp({ config: testConfig(temp.dir), log: silentLog, engine: fakeEngine(), vision: vision.service });
  app.attach(recordingAdapter('test'));
  app.startWorker();
  cleanups.push(temp.cleanup, () => app.close());
  return { app, calls: vision.calls };
}

async function say(app: App, text: string, extra: Partial<IncomingTurn> = {}) {
  const reply = recordingReply();
  await app.core.handleTurn({ ref, messageId: randomUUID(), userId: 'u', text, images: [], ...extra }, reply);
  await app.core.settled(ref);
  return reply;
}

const head = (app: App) => {
  const session = app.sessions.loadByRef(ref)!;
  return session.versions.find((v) => v.id === session.headId)!;
};

describe('finding objects in a turn', () => {
  it('"find the dog" masks the best match; detections are kept and later turns choose among them', async () => {
    const { app, calls } = await start();
    await say(app, '', { images: [{ bytes: await pictureFile(96, 48) }] });
    const found = await say(app, 'find the dog');
    expect(found.errors).toEqual([]);
    expect(found.texts[0]).toMatch(/Found 2 × "dog" \(threshold 0\.3\); using 2 of 2/); // left-to-right: the best is the right one
    expect(calls.detect).toEqual(['dog']);
    expect(calls.segment).toEqual([[{ x: 60, y: 10, w: 20, h: 20 }]]);
    expect(head(app)).toMatchObject({ kind: 'mask', object: 'dog', maskCoverage: 400 / (96 * 48) });
    expect(head(app).detections).toMatchObject({ phrase: 'dog', selected: [1], boxes: [{ x: 5 }, { x: 60 }] });

    await say(app, 'select the other one');
    expect(head(app).detections!.selected).toEqual([0]);
    expect(head(app).maskCoverage).toBeCloseTo(320 / (96 * 48));
    await say(app, 'select both');
    expect(head(app).detections!.selected).toEqual([0, 1]);
    expect(head(app).maskCoverage).toBeCloseTo(720 / (96 * 48));
    expect(calls.detect).toHaveLength(1); // choosing again never re-detects

    await say(app, 'undo');
    expect(head(app).detections!.selected).toEqual([0]);
    expect((await say(app, 'select 3')).errors[0]).toMatch(/2/);
  });

  it('"find both dogs" and "find the left dog" choose on the first turn', async () => {
    const { app, calls } = await start(fakeVision({ dogs: dogs.dog, dog: dogs.dog }));
    await say(app, '', { images: [{ bytes: await pictureFile(96, 48) }] });
    await say(app, 'find both dogs');
    expect(head(app).detections!.selected).toEqual([0, 1]);
    await say(app, 'find the left dog');
    expect(head(app).detections!.selected).toEqual([0]);
    expect(calls.detect).toEqual(['dogs', 'dog']);
  });

  it('says plainly when nothing is found, and uses boxes when no segmenter is installed', async () => {
    const { app } = await start(fakeVision(dogs, { segmenter: false }));
    await say(app, '', { images: [{ bytes: await pictureFile(96, 48) }] });
    expect((await say(app, 'find the cat')).errors[0]).toMatch(/couldn't find "cat" in this picture/);
    expect((await say(app, 'select other')).errors[0]).toMatch(/nothing to choose from yet/);
    const found = await say(app, 'find the dog');
    expect(found.texts[0]).toMatch(/no segmenter installed: the mask is the boxes/);
    expect(head(app).maskCoverage).toBeCloseTo(400 / (96 * 48));
  });
});
