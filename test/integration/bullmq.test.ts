import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { BrushtalkError } from '../../src/errors.ts';
import { bullmqRig, conversation, editTurn, until } from '../helpers/bullmq-setup.ts';
import { silentLog, testConfig } from '../helpers/env.ts';
import { fakeEngine } from '../helpers/fake-engine.ts';
import { randomQueueName, redisAvailable } from '../helpers/redis.ts';
import { useRedis } from '../helpers/use-redis.ts';
import { recordingAdapter, recordingReply } from '../helpers/reply.ts';

const redis = useRedis('the BullMQ queue tests (test/integration/bullmq.test.ts)');
let rig: ReturnType<typeof bullmqRig>;
afterEach(() => rig?.cleanup(), 30_000);
const newRig = () => (rig = bullmqRig(redis.url(), randomQueueName()));

type Row = { id: string; state: string; attempts: number; error: string | null };
const jobsOf = (app: { database: { sqlite: import('better-sqlite3').Database } }) => app.database.sqlite.prepare('SELECT id, state, attempts, error FROM jobs').all() as Row[];
const resultVersions = (app: { database: { sqlite: import('better-sqlite3').Database } }) =>
  (app.database.sqlite.prepare("SELECT count(*) AS n FROM versions WHERE kind = 'result'").get() as { n: number }).n;

describe.skipIf(!redisAvailable)('BullMQ queue on a real Redis', () => {
  it('round trip: the bot queues with a position, a remote worker renders, progress streams back, the bot applies the result once', async () => {
    const { dataDir, bot, worker } = newRig();
    const { app, adapter } = await bot(dataDir());
    await worker(fakeEngine({ delayMs: 250 }));
    const reply = await editTurn(app, 'c1');
    expect(reply.texts.join('\n')).toMatch(/Editing with fake-fill \(job T-[\w-]+\)\. Queue position 1/);
    await app.core.settled(conversation('c1'));
    expect(jobsOf(app)).toMatchObject([{ state: 'done', attempts: 1 }]);
    const session = app.sessions.loadByRef(conversation('c1'))!;
    expect(session.versions.map((v) => v.kind)).toEqual(['source', 'result']);
    expect(session.versions[1]).toMatchObject({ engine: 'fake-fill', jobId: jobsOf(app)[0].id });
    const fractions = adapter.reply.fractions;
    expect(fractions.length).toBeGreaterThanOrEqual(3);
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions);
    expect(adapter.reply.images.map((i) => i.details.role)).toEqual(['result', 'mask', 'compare']);
    // The next edit is told an ETA from the durations seen so far.
    const next = await editTurn(app, 'c1');
    expect(next.texts.join('\n')).toMatch(/Queue position 1, ready in (a moment|about \d+ s)/);
    await app.core.settled(conversation('c1'));
  }, 30_000);

  it('retries a retryable failure with backoff, then succeeds', async () => {
    const { dataDir, bot, worker } = newRig();
    const { app, adapter } = await bot(dataDir());
    const base = fakeEngine();
    let calls = 0;
    await worker({
      ...base,
      async inpaint(request, signal, onProgress) {
        if (++calls === 1) throw new BrushtalkError('engine.failed', 'GPU hiccup', { retryable: true });
        return base.inpaint(request, signal, onProgress);
      },
    });
    await editTurn(app, 'c1');
    await app.core.settled(conversation('c1'));
    expect(calls).toBe(2);
    expect(jobsOf(app)).toMatchObject([{ state: 'done', attempts: 2 }]);
    expect(adapter.reply.statuses.join('\n')).toMatch(/trying again/);
    expect(resultVersions(app)).toBe(1);
  }, 30_000);

  it('an unrecoverable failure is not retried and reaches the chat in words', async () => {
    const { dataDir, bot, worker } = newRig();
    const { app, adapter } = await bot(dataDir());
    const engine = fakeEngine({ failWith: new BrushtalkError('engine.unavailable', 'This edit needs BrushNet weights on the worker.') });
    await worker(engine);
    await editTurn(app, 'c1');
    await app.core.settled(conversation('c1'));
    expect(engine.calls).toBe(1);
    expect(jobsOf(app)).toMatchObject([{ state: 'failed', attempts: 1 }]);
    expect(adapter.reply.errors).toEqual([expect.stringMatching(/^The edit failed: This edit needs BrushNet weights on the worker\. \(ref T-/)]);
    expect(resultVersions(app)).toBe(0);
  }, 30_000);

  it('a worker process killed with SIGKILL mid-job: the job completes on a second worker process, one result version', async () => {
    const { dataDir, bot, workerProcess } = newRig();
    const { app } = await bot(dataDir());
    const first = await workerProcess('slow');
    await editTurn(app, 'c1');
    await until(() => jobsOf(app)[0]?.state === 'running', 15_000, 'the first worker to take the job');
    first.proc.kill('SIGKILL');
    await first.exited;
    const second = await workerProcess('fast');
    await until(() => jobsOf(app)[0]?.state === 'done', 20_000, `the second worker to finish the job (${second.stderr()})`);
    expect(resultVersions(app)).toBe(1);
    const session = app.sessions.loadByRef(conversation('c1'))!;
    expect(session.versions.filter((v) => v.jobId === jobsOf(app)[0].id)).toHaveLength(1);
  }, 60_000);

  it('cancels a waiting job (removed from Redis) and a running one (the worker stops it)', async () => {
    const { dataDir, bot, worker } = newRig();
    const { app, adapter } = await bot(dataDir());
    await editTurn(app, 'waiting');
    const cancelled = recordingReply();
    await app.core.handleTurn({ ref: conversation('waiting'), messageId: randomUUID(), userId: 'u1', text: 'cancel', images: [] }, cancelled);
    expect(cancelled.texts).toEqual(['Cancelled 1 edit.']);
    expect(jobsOf(app)).toMatchObject([{ state: 'cancelled' }]);

    expect(await app.queue.load({})).toMatchObject({ position: 1 }); // nothing waits in Redis any more
    const engine = fakeEngine({ delayMs: 20_000 });
    const remote = await worker(engine);
    await editTurn(app, 'running');
    await until(() => engine.calls === 1 && jobsOf(app).some((j) => j.state === 'running'), 15_000, 'the job to start');
    await app.core.handleTurn({ ref: conversation('running'), messageId: randomUUID(), userId: 'u1', text: 'cancel', images: [] }, recordingReply());
    await app.core.settled(conversation('running'));
    expect(jobsOf(app).map((j) => j.state)).toEqual(['cancelled', 'cancelled']);
    expect(adapter.reply.texts.filter((t) => t.startsWith('Edit cancelled'))).toHaveLength(2);
    // The worker gave up the job well before its 20 s engine run; nothing was applied.
    await until(async () => /^brushtalk_jobs_failed_total\{code="engine.cancelled"\} 1$/m.test(await remote.health.metrics()), 20_000, 'the worker to stop the job');
    expect(engine.calls).toBe(1);
    expect(adapter.reply.images).toEqual([]);
    expect(resultVersions(app)).toBe(0);
  }, 40_000);

  it('per-user and per-conversation caps refuse in words; fairness puts a second edit behind others', async () => {
    const { dataDir, bot } = newRig();
    const { app } = await bot(dataDir(), { MAX_JOBS_PER_USER: '3', MAX_JOBS_PER_CONVERSATION: '2' });
    expect((await editTurn(app, 'a')).errors).toEqual([]);
    expect((await editTurn(app, 'a')).errors).toEqual([]);
    // The agent's tool is refused; the refusal reaches the user in words (and no job is queued).
    const said = async (channel: string, user = 'u1') => {
      const reply = await editTurn(app, channel, user);
      return [...reply.texts, ...reply.errors].join('\n');
    };
    expect(await said('a')).toMatch(/This conversation already has 2 edits queued; wait for one to finish/);
    const b = await editTurn(app, 'b');
    expect(b.errors).toEqual([]);
    expect(b.texts.join('\n')).toMatch(/Queue position 3/);
    expect(await said('c')).toMatch(/You already have 3 edits queued; wait for one to finish\./);
    expect(await said('d', 'someone-else')).toMatch(/Editing with fake-fill/);
    expect(jobsOf(app)).toHaveLength(4);
  }, 30_000);

  it('repairs the outbox: a job row saved before a crash, never sent to Redis, is sent at start-up', async () => {
    const { dataDir, bot, worker } = newRig();
    const dir = dataDir();
    // A turn saved by a process that never reached Redis (here: one on the embedded queue with no worker).
    const before = await createApp({ config: testConfig(dir), log: silentLog, engine: fakeEngine() });
    before.attach(recordingAdapter('test'));
    await editTurn(before, 'c1');
    await before.close();
    await worker(fakeEngine());
    const { app } = await bot(dir);
    await until(() => jobsOf(app)[0]?.state === 'done', 15_000, 'the repaired job');
    expect(resultVersions(app)).toBe(1);
  }, 30_000);

  it('a bot serves /healthz, /readyz and /metrics with queue depth, durations and failures', async () => {
    const { dataDir, bot, worker } = newRig();
    const { app } = await bot(dataDir());
    const remote = await worker(fakeEngine());
    await editTurn(app, 'c1');
    await app.core.settled(conversation('c1'));
    const { startHealthServer } = await import('../../src/health/server.ts');
    const server = await startHealthServer(0, app.health, silentLog);
    const workerServer = await startHealthServer(0, remote.health, silentLog);
    try {
      const get = async (port: number, path: string) => {
        const response = await fetch(`http://127.0.0.1:${port}${path}`);
        return { status: response.status, body: await response.text() };
      };
      expect(await get(server.port, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
      expect(await get(server.port, '/readyz')).toEqual({ status: 200, body: 'ready\n' });
      const metrics = (await get(server.port, '/metrics')).body;
      expect(metrics).toMatch(/^brushtalk_queue_jobs\{state="completed"\} 1$/m);
      expect(metrics).toMatch(/^brushtalk_jobs_completed_total 1$/m);
      expect(metrics).toMatch(/^brushtalk_job_duration_seconds_count 1$/m);
      const workerMetrics = (await get(workerServer.port, '/metrics')).body;
      expect(workerMetrics).toMatch(/^brushtalk_jobs_completed_total 1$/m);
      expect(workerMetrics).toMatch(/^brushtalk_job_duration_seconds_bucket\{le="\+Inf"\} 1$/m);
      expect((await get(workerServer.port, '/readyz')).status).toBe(200);
      await remote.stop();
      expect((await get(workerServer.port, '/readyz')).status).toBe(503);
    } finally {
      await server.close();
      await workerServer.close();
    }
  }, 30_000);
});
