import { describe, expect, it } from 'vitest';
import { bullmqRig, editTurn, until } from '../helpers/bullmq-setup.ts';
import { randomQueueName, redisAvailable } from '../helpers/redis.ts';
import { useRedis } from '../helpers/use-redis.ts';

const redis = useRedis('the BullMQ scale-out test (test/integration/bullmq-scale.test.ts)');

describe.skipIf(!redisAvailable)('two bots and two worker processes on one Redis', () => {
  it('handle 200 concurrent edits with no lost and no duplicate results', async () => {
    const rig = bullmqRig(redis.url(), randomQueueName());
    try {
      const dir = rig.dataDir();
      // Two bot processes' worth of connections and state, sharing one SQLite file; two worker processes.
      // Leases of 15 s: on a loaded 2-core machine a 1 s lock can lapse while the worker is merely starved, and
      // BullMQ would count that as a stall (the crash path has its own test with short leases).
      const bots = [await rig.bot(dir, { JOB_LEASE_MS: '15000' }), await rig.bot(dir, { JOB_LEASE_MS: '15000' })];
      await Promise.all([rig.workerProcess('fast', 8, 15_000), rig.workerProcess('fast', 8, 15_000)]);
      const n = 200;
      const started = Date.now();
      const replies = await Promise.all(Array.from({ length: n }, (_, i) => editTurn(bots[i % 2].app, `c${i}`, `user${i}`)));
      expect(replies.flatMap((r) => r.errors)).toEqual([]);
      const db = bots[0].app.database.sqlite;
      const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      await until(() => count("SELECT count(*) AS n FROM jobs WHERE state IN ('queued', 'running')") === 0, 90_000, 'all jobs to finish');
      const elapsed = Date.now() - started;
      await Promise.all(bots.map(({ app }) => app.core.settled({ platform: 'test', scope: 'guild', channelId: 'c0' })));

      const jobs = count('SELECT count(*) AS n FROM jobs');
      const done = count("SELECT count(*) AS n FROM jobs WHERE state = 'done'");
      const results = count("SELECT count(*) AS n FROM versions WHERE kind = 'result'");
      const distinctJobs = count("SELECT count(DISTINCT job_id) AS n FROM versions WHERE kind = 'result'");
      const conversationsWithOne = count("SELECT count(*) AS n FROM (SELECT conversation_id FROM versions WHERE kind = 'result' GROUP BY conversation_id HAVING count(*) = 1)");
      const delivered = bots.map(({ adapter }) => adapter.reply.images.filter((image) => image.details.role === 'result').length);
      const lost = n - done;
      const duplicates = results - distinctJobs + (delivered[0] + delivered[1] - done);
      console.log(`200 concurrent edits, 2 bots + 2 worker processes: ${elapsed} ms (${((n / elapsed) * 1000).toFixed(1)} edits/s); lost ${lost}, duplicate ${duplicates}; delivered by bot 1 / bot 2: ${delivered.join(' / ')}`);
      expect({ jobs, done, results, distinctJobs, conversationsWithOne, delivered: delivered[0] + delivered[1] }).toEqual({
        jobs: n,
        done: n,
        results: n,
        distinctJobs: n,
        conversationsWithOne: n,
        delivered: n,
      });
    } finally {
      await rig.cleanup();
    }
  }, 150_000);
});
