/**
 * Part of `npm run bench memory`: what a delivered edit leaves in Redis on the BullMQ queue — for a small
 * picture and a photo-sized one (incompressible 1600×1200: a ~5.8 MB PNG, its strip twice that). A bot and a
 * worker in this process on a throwaway redis-server; skipped without redis-server on PATH.
 */
import { randomUUID } from 'node:crypto';
import { createApp } from '../../src/app.ts';
import type { IncomingTurn } from '../../src/contracts.ts';
import { createRedisClients } from '../../src/jobs/redis.ts';
import { startStandaloneWorker } from '../../src/worker.ts';
import { silentLog, tempDataDir, testConfig } from '../helpers/env.ts';
import { fakeEngine } from '../helpers/fake-engine.ts';
import { noisePicture } from '../helpers/images.ts';
import { randomQueueName, redisAvailable, startRedis } from '../helpers/redis.ts';
import { jobHashBytes, redisFootprint } from '../helpers/redis-memory.ts';
import { recordingAdapter } from '../helpers/reply.ts';
import { printTable } from './stats.ts';

export async function benchRedisBytes(): Promise<void> {
  if (!redisAvailable) {
    console.log('\nRedis bytes per edit: skipped (no redis-server on PATH)');
    return;
  }
  const redis = await startRedis();
  const queueName = randomQueueName();
  const temp = tempDataDir();
  const env = { REDIS_URL: redis.url, QUEUE_NAME: queueName, JOB_LEASE_MS: '15000', MAX_JOBS_PER_USER: '100', MAX_JOBS_PER_CONVERSATION: '100' };
  const app = await createApp({ config: testConfig(temp.dir, env), log: silentLog, engine: fakeEngine() });
  const adapter = recordingAdapter('bench');
  app.attach(adapter);
  await app.ready();
  const worker = startStandaloneWorker({ config: testConfig(temp.dir, env), log: silentLog, engine: fakeEngine() });
  await worker.ready();
  const clients = createRedisClients(redis.url, silentLog);
  const probe = clients.client('bench');
  const rows: (string | number)[][] = [];
  try {
    const edit = async (png: Buffer, n: number) => {
      const ref = { platform: 'bench', scope: 's', channelId: randomUUID() };
      const turn = (): IncomingTurn => ({ ref, messageId: randomUUID(), userId: 'u', text: 'remove the square', images: [{ bytes: png }], mask: { kind: 'box', box: { x: 8, y: 8, w: 24, h: 16 } } });
      for (let i = 0; i < n; i++) {
        await app.core.handleTurn(turn(), adapter.reply);
        await app.core.settled(ref);
      }
      while ((await redisFootprint(probe, queueName)).payloadHashes > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    const lastJob = () => (app.database.sqlite.prepare("SELECT id FROM jobs WHERE state = 'done' ORDER BY created_at DESC LIMIT 1").get() as { id: string }).id;
    await edit(await noisePicture(64, 48), 3); // warm-up: scripts, stream, meta keys
    for (const [label, png, n] of [['64×48', await noisePicture(64, 48), 50], ['1600×1200 (5.8 MB PNG)', await noisePicture(1600, 1200), 10]] as const) {
      const before = await redisFootprint(probe, queueName);
      await edit(png, n);
      const after = await redisFootprint(probe, queueName);
      const perEdit = (after.storedMemory - before.storedMemory) / n;
      rows.push([label, n, `${(perEdit / 1024).toFixed(1)} KB`, `${await jobHashBytes(probe, queueName, lastJob())} B`, after.events, `${(after.eventsBytes / 1024).toFixed(0)} KB`, after.payloadHashes]);
    }
  } finally {
    await clients.close();
    await worker.stop();
    await app.close();
    await redis.stop();
    temp.cleanup();
  }
  printTable(
    'Redis per delivered edit on the BullMQ queue (used_memory less client buffers; fake engine)',
    ['picture', 'edits', 'Redis growth per edit', 'finished job hash', 'events stream entries', 'stream bytes', 'picture hashes left'],
    rows,
  );
}
