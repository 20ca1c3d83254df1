import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteJobQueue } from '../../db/job-queue.ts';
import { openDatabase, type Database_ } from '../../db/open.ts';
import { formatEta } from '../../src/jobs/eta.ts';
import type { JobQueue } from '../../src/jobs/queue.ts';
import { silentLog, tempDataDir } from '../helpers/env.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** One process's view of the queue file: its own connection and queue, as the bot or a worker would open it. */
function processOn(file: string): { database: Database_; queue: JobQueue } {
  const database = openDatabase(file);
  const queue = createSqliteJobQueue(database.db, { leaseMs: 2000, maxAttempts: 3, maxCrashes: 5, retryBaseMs: 20, pollMs: 10, log: silentLog });
  cleanups.push(() => database.close());
  return { database, queue };
}

const job = (id: string) => ({ id, kind: 'inpaint', conversationId: null, payload: {}, ref: `J-${id}` });

/** A worker process that finishes `renderMs` jobs: the time an edit reports is what the ETA learns from. */
async function finishJobs(queue: JobQueue, renderMs: number[]): Promise<void> {
  const queueOfTimes = [...renderMs];
  const worker = queue.run(async () => ({ metrics: { totalMs: queueOfTimes.shift() } }));
  const ids = renderMs.map((_, i) => `done-${renderMs.join('-')}-${i}`);
  for (const id of ids) await queue.enqueue(job(id));
  const deadline = Date.now() + 5000;
  while (!(await Promise.all(ids.map((id) => queue.get(id)))).every((j) => j?.state === 'done')) {
    if (Date.now() > deadline) throw new Error('jobs did not finish');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await worker.stop();
}

describe('the ETA a queued edit is told (embedded queue)', () => {
  it('says nothing before any edit has been measured, rather than a made-up number', async () => {
    const temp = tempDataDir();
    cleanups.push(temp.cleanup);
    const bot = processOn(`${temp.dir}/q.db`);
    expect(await bot.queue.load({})).toMatchObject({ position: 1, etaMs: null });
  });

  it('comes from the times edits took, measured by a worker in another process, and survives a restart', async () => {
    const temp = tempDataDir();
    cleanups.push(temp.cleanup);
    const file = `${temp.dir}/q.db`;
    const worker = processOn(file);
    const bot = processOn(file);
    // The bot has no worker of its own: before, it had measured nothing and said "a moment" or nothing.
    await finishJobs(worker.queue, [30_000, 30_000, 30_000]);
    const place = await bot.queue.enqueue(job('mine'));
    expect(place).toEqual({ position: 1, etaMs: 30_000 });
    expect(formatEta(place.etaMs!)).toBe('about 30 s');
    // Two more waiting behind it: the third waits for two edits and runs the third.
    await bot.queue.enqueue(job('second'));
    expect(await bot.queue.load({})).toEqual(expect.objectContaining({ position: 3, etaMs: 90_000 }));

    const restarted = processOn(file);
    expect((await restarted.queue.load({})).etaMs).toBe(90_000);
  });

  it('follows the latest edits: a slower engine moves the estimate towards its times', async () => {
    const temp = tempDataDir();
    cleanups.push(temp.cleanup);
    const { queue } = processOn(`${temp.dir}/q.db`);
    await finishJobs(queue, [1000, 1000, 1000, 1000]);
    expect((await queue.load({})).etaMs).toBe(1000);
    await finishJobs(queue, [30_000, 30_000, 30_000]);
    const eta = (await queue.load({})).etaMs!;
    // Weighted towards the last three 30 s edits: well past the 1 s ones, not yet all the way.
    expect(eta).toBeGreaterThan(12_000);
    expect(eta).toBeLessThan(30_000);
    expect(formatEta(eta)).toMatch(/^about \d+ s$/);
  });
});
