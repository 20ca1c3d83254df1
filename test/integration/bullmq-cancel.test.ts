import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createJobRecords } from '../../db/job-records.ts';
import { openDatabase } from '../../db/open.ts';
import { createBullmqJobQueue } from '../../src/jobs/bullmq-queue.ts';
import { createRedisClients } from '../../src/jobs/redis.ts';
import { silentLog, tempDataDir } from '../helpers/env.ts';
import { randomQueueName, redisAvailable } from '../helpers/redis.ts';
import { useRedis } from '../helpers/use-redis.ts';

const redis = useRedis('the BullMQ cancel race test (test/integration/bullmq-cancel.test.ts)');

describe.skipIf(!redisAvailable)('BullMQ: a cancel racing the hand-off to Redis', () => {
  it('a job cancelled while its payload is being prepared does not stay in Redis', async () => {
    const temp = tempDataDir();
    const database = openDatabase(path.join(temp.dir, 'brushtalk.sqlite'));
    const clients = createRedisClients(redis.url(), silentLog);
    const records = createJobRecords(database.db, 3);
    // The turn wakes dispatch without waiting for it, so a quick "cancel" can land while the payload is built.
    let preparing!: () => void;
    const started = new Promise<void>((resolve) => (preparing = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queue = createBullmqJobQueue({
      redis: clients,
      queueName: randomQueueName(),
      records,
      maxAttempts: 3,
      maxCrashes: 5,
      retryBaseMs: 100,
      leaseMs: 1000,
      log: silentLog,
      reconcileMs: 60_000,
      async prepare(record) {
        preparing();
        await gate;
        return record.payload;
      },
    });
    try {
      await queue.ready();
      const id = randomUUID();
      records.insert({ id, kind: 'inpaint', conversationId: null, payload: { userId: 'u1' }, ref: 'T-test' });
      queue.wake();
      await started;
      expect(await queue.cancel(id)).toBe(true);
      release();
      expect(records.get(id)?.state).toBe('cancelled');
      await queue.dispatch(); // whatever hand-off was under way has finished
      const counts = await queue.counts();
      expect(counts.waiting + counts.prioritized + counts.active).toBe(0);
      expect(await queue.load({})).toMatchObject({ position: 1 });
    } finally {
      await queue.close();
      await clients.close();
      database.close();
      temp.cleanup();
    }
  }, 30_000);
});
