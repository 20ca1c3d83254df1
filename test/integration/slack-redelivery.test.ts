import { afterEach, describe, expect, it } from 'vitest';
import { tempDataDir } from '../helpers/env.ts';
import { mention, methods, startSlackWorld, type SlackWorld } from '../helpers/slack-rig.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const retryHeaders = (n: number) => ({ headers: { 'x-slack-retry-num': String(n), 'x-slack-retry-reason': 'http_timeout' } });
const count = (world: SlackWorld, sql: string) => (world.app.database.sqlite.prepare(sql).get() as { n: number }).n;

/**
 * The process dies between taking a message and committing the turn (decoding a large picture takes over a
 * second). Simulated at the database: the save's transaction fails as a crash would leave it, nothing of it
 * committed. Then the process is replaced and Slack redelivers the event.
 */
describe('a Slack message across a crash', { timeout: 40_000 }, () => {
  it('is taken on the redelivery after the restart, edited exactly once; a further redelivery does nothing', async () => {
    const temp = tempDataDir();
    cleanups.push(temp.cleanup);
    const crashed: (() => unknown)[] = [];
    const before = await startSlackWorld(crashed, { dataDir: temp.dir });
    // The crash: the save's transaction never commits (the trigger aborts it from inside, as SIGKILL would).
    before.app.database.sqlite.exec("CREATE TEMP TRIGGER crash_in_save BEFORE INSERT ON conversations BEGIN SELECT RAISE(ABORT, 'process killed (simulated)'); END");
    expect((await before.send(await mention(before))).status).toBe(200);
    await before.settle();
    expect(count(before, 'SELECT count(*) AS n FROM conversations')).toBe(0);
    // Nothing of the turn was committed, the "seen" mark included.
    expect(count(before, 'SELECT count(*) AS n FROM seen_events')).toBe(0);
    for (const stop of crashed.splice(0).reverse()) await stop();

    // The restarted process: Slack's retry of the same event (same event_id, same message ts).
    const after = await startSlackWorld(cleanups, { dataDir: temp.dir });
    const body = await mention(after);
    expect((await after.send(body, retryHeaders(1))).status).toBe(200);
    await after.settle();
    const calls = after.stub.since(0);
    expect(calls[0]).toMatchObject({ method: 'chat.postMessage', args: { text: expect.stringMatching(/Got the picture \(64×48, png\)[\s\S]*Editing with fake-fill/) } });
    expect(methods(calls).filter((m) => m === 'files.completeUploadExternal')).toHaveLength(2); // the result and its mask, once
    expect(count(after, "SELECT count(*) AS n FROM versions WHERE kind = 'result'")).toBe(1);
    expect(count(after, 'SELECT count(*) AS n FROM jobs')).toBe(1);
    expect(count(after, 'SELECT count(*) AS n FROM seen_events')).toBe(1);

    // Slack's next retry of the same event, to yet another process: a duplicate now (the mark was committed
    // with the session): nothing is posted or queued.
    const again = await startSlackWorld(cleanups, { dataDir: temp.dir });
    expect((await again.send(await mention(again), retryHeaders(2))).status).toBe(200);
    await again.settle();
    expect(again.stub.since(0)).toEqual([]);
    expect(count(again, 'SELECT count(*) AS n FROM jobs')).toBe(1);
  });
});
