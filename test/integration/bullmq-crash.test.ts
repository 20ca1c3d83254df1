import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { bullmqRig, conversation, editTurn, until } from '../helpers/bullmq-setup.ts';
import { randomQueueName, redisAvailable } from '../helpers/redis.ts';
import { useRedis } from '../helpers/use-redis.ts';

const redis = useRedis('the BullMQ crash tests (test/integration/bullmq-crash.test.ts)');
let rig: ReturnType<typeof bullmqRig>;
afterEach(() => rig?.cleanup(), 30_000);

type Row = { id: string; conversation_id: string; state: string; attempts: number; error: string | null };
const rows = (app: { database: { sqlite: import('better-sqlite3').Database } }) => app.database.sqlite.prepare('SELECT id, conversation_id, state, attempts, error FROM jobs ORDER BY created_at').all() as Row[];

describe.skipIf(!redisAvailable)('BullMQ: deaths of workers are not failures of jobs', () => {
  it('a job whose worker process dies on every run fails as poison after JOB_MAX_CRASHES crashes, in words', async () => {
    rig = bullmqRig(redis.url(), randomQueueName());
    const { app, adapter } = await rig.bot(rig.dataDir());
    await editTurn(app, 'poison');
    const deaths: string[] = [];
    for (let run = 1; run <= 5 && rows(app)[0].state !== 'failed'; run++) {
      const worker = await rig.workerProcess('poison', 1, 1000, 3);
      const signal = await Promise.race([worker.died, until(() => rows(app)[0].state === 'failed', 20_000, 'a death or the poison verdict').then(() => 'alive')]);
      deaths.push(signal === 'SIGKILL' && worker.stdout().includes('engine reached') ? 'died in the engine' : String(signal));
    }
    // Three deaths; the worker after the third fails it without running it (and lives).
    expect(deaths).toEqual(['died in the engine', 'died in the engine', 'died in the engine', 'alive']);
    expect(rows(app)[0]).toMatchObject({ state: 'failed', error: expect.stringContaining('engine.crashed') });
    await until(() => adapter.reply.errors.length > 0, 10_000, 'the user to be told');
    expect(adapter.reply.errors).toEqual([expect.stringMatching(/^The edit failed: The worker stopped while running this edit too many times, so I stopped trying: .* \(ref T-\w+\)$/)]);
  }, 90_000);

  it('a job back from a crash goes behind the jobs already waiting (BullMQ would run it first)', async () => {
    rig = bullmqRig(redis.url(), randomQueueName());
    const { app } = await rig.bot(rig.dataDir());
    const slow = await rig.workerProcess('slow', 1);
    await editTurn(app, 'first', 'u-a');
    await until(() => rows(app)[0]?.state === 'running', 15_000, 'the first job to start');
    await editTurn(app, 'second', 'u-b');
    await editTurn(app, 'third', 'u-c');
    slow.proc.kill('SIGKILL');
    await slow.exited;
    await delay(1200); // its lock runs out
    const done: string[] = [];
    app.queue.on((event) => {
      if (event.type === 'done') done.push(event.job.conversationId!);
    });
    const statuses: string[] = [];
    app.queue.on((event) => {
      if (event.type === 'failed') statuses.push(event.job.error?.code ?? '');
    });
    // One slot and a second per edit: the stalled check finds the orphan while the first job it took still runs.
    await rig.workerProcess('fast', 1, 1000, 5, 1000);
    await until(() => rows(app).every((r) => r.state === 'done'), 30_000, 'all three jobs');
    const byConversation = new Map(rows(app).map((r) => [r.conversation_id, r]));
    const names = (ids: string[]) => ids.map((id) => [...['first', 'second', 'third']].find((name) => app.sessions.loadByRef(conversation(name))?.id === id));
    expect(names(done)).toEqual(['second', 'third', 'first']);
    // Its death cost no attempt, and nobody was told of a failure.
    expect(byConversation.size).toBe(3);
    expect(statuses).toEqual([]);
  }, 90_000);
});
