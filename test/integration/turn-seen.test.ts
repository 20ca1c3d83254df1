import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import type { IncomingTurn } from '../../src/contracts.ts';
import { fakeEngine } from '../helpers/fake-engine.ts';
import { silentLog, tempDataDir, testConfig } from '../helpers/env.ts';
import { pictureFile } from '../helpers/images.ts';
import { recordingAdapter, recordingReply } from '../helpers/reply.ts';

const ref = { platform: 'test', scope: 'guild', channelId: 'seen' };
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(): Promise<App> {
  const temp = tempDataDir();
  const app = await createApp({ config: testConfig(temp.dir), log: silentLog, engine: fakeEngine() });
  app.attach(recordingAdapter('test'));
  app.startWorker();
  cleanups.push(temp.cleanup, () => app.close());
  return app;
}

const edit = async (messageId: string): Promise<IncomingTurn> => ({
  ref,
  messageId,
  userId: 'u1',
  text: 'remove the square',
  images: [{ bytes: await pictureFile(64, 48) }],
  mask: { kind: 'box', box: { x: 10, y: 10, w: 20, h: 12 } },
});
const count = (app: App, table: string) => (app.database.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('the seen mark is written with the turn, not before it', () => {
  it('two deliveries of one message at the same moment make one turn: one job, one answer', async () => {
    const app = await start();
    const turn = await edit('m-twice');
    const first = recordingReply();
    const second = recordingReply();
    await Promise.all([app.core.handleTurn(turn, first), app.core.handleTurn(turn, second)]);
    await app.core.settled(ref);
    expect(count(app, 'jobs')).toBe(1);
    expect([...first.texts, ...second.texts]).toHaveLength(1);
    expect([...first.errors, ...second.errors]).toEqual([]);
  });

  it('a failure before the save commits leaves the message unseen: the redelivery is edited, once', async () => {
    const app = await start();
    const turn = await edit('m-crash');
    // Every write of the save fails inside its transaction (as a disk error or a kill would end it).
    app.database.sqlite.exec("CREATE TEMP TRIGGER no_jobs BEFORE INSERT ON jobs BEGIN SELECT RAISE(ABORT, 'disk I/O error (simulated)'); END");
    const failed = recordingReply();
    await app.core.handleTurn(turn, failed);
    expect(failed.errors).toEqual([expect.stringMatching(/^Something went wrong on our side/)]);
    expect([count(app, 'seen_events'), count(app, 'conversations'), count(app, 'jobs')]).toEqual([0, 0, 0]);
    app.database.sqlite.exec('DROP TRIGGER no_jobs');

    const redelivered = recordingReply();
    await app.core.handleTurn(turn, redelivered);
    await app.core.settled(ref);
    expect(redelivered.texts.join('\n')).toMatch(/Editing with fake-fill/);
    const again = recordingReply();
    await app.core.handleTurn(turn, again);
    expect([again.texts, again.errors]).toEqual([[], []]);
    expect([count(app, 'seen_events'), count(app, 'jobs')]).toEqual([1, 1]);
    expect(app.sessions.loadByRef(ref)!.versions.filter((v) => v.kind === 'result')).toHaveLength(1);
  });

  it('a refusal is an answer: the message is marked, and its redelivery is not refused a second time', async () => {
    const app = await start();
    const turn: IncomingTurn = { ref, messageId: 'm-refused', userId: 'u1', text: 'undo', images: [] };
    const first = recordingReply();
    await app.core.handleTurn(turn, first);
    expect(first.errors).toHaveLength(1);
    const second = recordingReply();
    await app.core.handleTurn(turn, second);
    expect([second.texts, second.errors]).toEqual([[], []]);
    expect(count(app, 'seen_events')).toBe(1);
  });
});
