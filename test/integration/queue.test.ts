import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteJobQueue } from '../../db/job-queue.ts';
import { claimJob, getJob, insertJob, requeueStalled } from '../../db/jobs.ts';
import { openDatabase } from '../../db/open.ts';
import { BrushtalkError } from '../../src/errors.ts';
import type { JobEvent, JobProcessor, JobQueue, WorkerHandle } from '../../src/jobs/queue.ts';
import { silentLog, tempDataDir } from '../helpers/env.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(options: Partial<{ leaseMs: number; maxAttempts: number; maxCrashes: number; retryBaseMs: number }> = {}) {
  const temp = tempDataDir();
  const database = openDatabase(`${temp.dir}/q.db`);
  const queue = createSqliteJobQueue(database.db, { leaseMs: 2000, maxAttempts: 3, maxCrashes: 5, retryBaseMs: 20, pollMs: 20, log: silentLog, ...options });
  const events: JobEvent[] = [];
  queue.on((event) => events.push(event));
  cleanups.push(temp.cleanup, () => database.close());
  const workers: WorkerHandle[] = [];
  const run = (processor: JobProcessor, concurrency = 1) => {
    const worker = queue.run(processor, { concurrency });
    workers.push(worker);
    cleanups.push(() => worker.stop());
    return worker;
  };
  return { database, queue, events, run };
}

async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await delay(10);
  }
}

const job = (id: string) => ({ id, kind: 'test', conversationId: null, payload: { n: id }, ref: `J-${id}` });
const state = async (queue: JobQueue, id: string) => (await queue.get(id))?.state;

describe('embedded SQLite job queue', () => {
  it('runs a job, reports monotonic progress and stores the result', async () => {
    const { queue, events, run } = setup();
    run(async ({ progress }) => {
      for (const f of [0.25, 0.5, 0.75]) progress(f);
      return { ok: true };
    });
    await queue.enqueue(job('a'));
    await until(async () => (await state(queue, 'a')) === 'done');
    expect(await queue.get('a')).toMatchObject({ state: 'done', attempts: 1, progress: 1, result: { ok: true } });
    const progress = events.filter((e) => e.type === 'progress').map((e) => (e as { fraction: number }).fraction);
    expect(progress).toEqual([0.25, 0.5, 0.75]);
    expect(events.at(-1)?.type).toBe('done');
  });

  it('never hands one job to two claimers (atomic claim across connections)', async () => {
    const { database } = setup();
    const other = openDatabase(database.sqlite.name);
    cleanups.push(() => other.close());
    for (let i = 0; i < 50; i++) insertJob(database.db, { ...job(`j${i}`), maxAttempts: 3 });
    const claimed: string[] = [];
    for (let i = 0; i < 60; i++) {
      const row = claimJob(i % 2 ? database.db : other.db, `w${i % 2}`, 60_000);
      if (row) claimed.push(row.id);
    }
    expect(claimed).toHaveLength(50);
    expect(new Set(claimed).size).toBe(50);
  });

  it('retries a retryable failure with backoff, then fails for good after maxAttempts', async () => {
    const { queue, events, run } = setup({ maxAttempts: 3, retryBaseMs: 30 });
    const attemptsAt: number[] = [];
    run(async () => {
      attemptsAt.push(Date.now());
      throw new BrushtalkError('engine.failed', 'GPU hiccup', { retryable: true });
    });
    await queue.enqueue(job('r'));
    await until(async () => (await state(queue, 'r')) === 'failed');
    expect(attemptsAt).toHaveLength(3);
    expect(attemptsAt[1] - attemptsAt[0]).toBeGreaterThanOrEqual(25);
    expect(attemptsAt[2] - attemptsAt[1]).toBeGreaterThanOrEqual(55); // doubled
    expect(await queue.get('r')).toMatchObject({ attempts: 3, error: { code: 'engine.failed', message: 'GPU hiccup' } });
    expect(events.filter((e) => e.type === 'failed').map((e) => (e as { willRetry: boolean }).willRetry)).toEqual([true, true, false]);
  });

  it('does not retry an unrecoverable error', async () => {
    const { queue, run } = setup();
    let calls = 0;
    run(async () => {
      calls++;
      throw new BrushtalkError('mask.empty', 'empty');
    });
    await queue.enqueue(job('u'));
    await until(async () => (await state(queue, 'u')) === 'failed');
    expect(calls).toBe(1);
  });

  it('cancels a queued job before it runs and a running job mid-way', async () => {
    const { queue, events, run } = setup();
    await queue.enqueue(job('q'));
    expect(await queue.cancel('q')).toBe(true);
    let sawAbort = false;
    run(async ({ signal, job: j }) => {
      if (j.id === 'q') throw new Error('a cancelled job must not run');
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      sawAbort = true;
      throw new BrushtalkError('engine.cancelled', 'stopped');
    });
    await queue.enqueue(job('run'));
    await until(async () => (await state(queue, 'run')) === 'running');
    expect(await queue.cancel('run')).toBe(true);
    await until(() => events.some((e) => e.type === 'cancelled' && e.job.id === 'run'));
    expect(sawAbort).toBe(true);
    expect(await state(queue, 'run')).toBe('cancelled');
    expect(await queue.cancel('run')).toBe(false);
    expect(events.filter((e) => e.type === 'cancelled').map((e) => e.job.id)).toEqual(['q', 'run']);
  });

  /** A worker that claimed the job and died: the job is running under `ghost`, its lease long gone. */
  const orphan = (database: { db: Parameters<typeof insertJob>[0] }, id: string, maxAttempts = 3) => {
    insertJob(database.db, { ...job(id), maxAttempts }, Date.now() - 5000);
    expect(claimJob(database.db, 'ghost', 200, Date.now() - 1000)?.workerId).toBe('ghost');
  };

  it('a job whose worker died runs again without spending an attempt: deaths count as crashes, not failures', async () => {
    const { database, queue, run } = setup({ leaseMs: 200 });
    // Only one attempt allowed, and three workers have died under it (claimed, then the lease ran out): it must still run.
    const t0 = Date.now() - 10_000;
    insertJob(database.db, { ...job('dead'), maxAttempts: 1 }, t0);
    for (let death = 0; death < 3; death++) {
      expect(claimJob(database.db, `ghost${death}`, 200, t0 + death * 1000)?.attempts).toBe(1);
      expect(requeueStalled(database.db, 5, 0, t0 + death * 1000 + 500)).toEqual({ requeued: ['dead'], poisoned: [] });
    }
    expect(getJob(database.db, 'dead')).toMatchObject({ state: 'queued', attempts: 0, crashes: 3 });
    run(async () => ({ recovered: true }));
    await until(async () => (await state(queue, 'dead')) === 'done');
    expect(await queue.get('dead')).toMatchObject({ attempts: 1, result: { recovered: true } });
  });

  it('an orphan goes back behind the jobs already waiting (one crash loop cannot starve the queue)', async () => {
    const { database, queue, run } = setup({ leaseMs: 200 });
    orphan(database, 'orphan'); // enqueued first: the old claim order ran it first after every restart
    insertJob(database.db, { ...job('a'), maxAttempts: 3 }, Date.now() - 3000);
    insertJob(database.db, { ...job('b'), maxAttempts: 3 }, Date.now() - 2000);
    const order: string[] = [];
    run(async ({ job: j }) => {
      order.push(j.id);
      return {};
    });
    await until(async () => (await state(queue, 'orphan')) === 'done');
    expect(order).toEqual(['a', 'b', 'orphan']);
    expect(getJob(database.db, 'orphan')).toMatchObject({ attempts: 1, crashes: 1 });
  });

  it('a poison job (its worker dies on every run) fails in words after maxCrashes crashes', async () => {
    const { database, queue, events, run } = setup({ leaseMs: 200, maxCrashes: 3 });
    orphan(database, 'poison');
    database.sqlite.prepare("UPDATE jobs SET crashes = 2 WHERE id = 'poison'").run();
    let calls = 0;
    run(async () => {
      calls++;
      return {};
    });
    await until(async () => (await state(queue, 'poison')) === 'failed');
    expect(calls).toBe(0);
    expect(getJob(database.db, 'poison')).toMatchObject({ crashes: 3, attempts: 0 });
    expect(getJob(database.db, 'poison')?.error).toEqual({
      code: 'engine.crashed',
      message: expect.stringMatching(/^The worker stopped while running this edit 3 times, so I stopped trying/),
    });
    expect(events.filter((e) => e.type === 'failed').map((e) => [e.job.id, (e as { willRetry: boolean }).willRetry])).toEqual([['poison', false]]);
  });

  it('a stopping worker hands its job back at once, without spending an attempt or counting a crash', async () => {
    const { database, queue, run } = setup({ leaseMs: 60_000 });
    const worker = run(async ({ signal }) => {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      throw new BrushtalkError('engine.cancelled', 'stopped');
    });
    await queue.enqueue(job('handed'));
    await until(async () => (await state(queue, 'handed')) === 'running');
    await worker.stop();
    expect(getJob(database.db, 'handed')).toMatchObject({ state: 'queued', attempts: 0, crashes: 0, workerId: null });
  });

  it('keeps a long job alive with heartbeats (no second claim while it runs)', async () => {
    const { queue, run } = setup({ leaseMs: 200 });
    let runs = 0;
    run(async () => {
      runs++;
      await delay(700);
      return {};
    }, 2);
    await queue.enqueue(job('long'));
    await until(async () => (await state(queue, 'long')) === 'done');
    expect(runs).toBe(1);
  });
});
