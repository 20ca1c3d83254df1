import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { createRedisClients } from '../../src/jobs/redis.ts';
import { bullmqRig, conversation, editTurn, until } from '../helpers/bullmq-setup.ts';
import { silentLog } from '../helpers/env.ts';
import { fakeEngine } from '../helpers/fake-engine.ts';
import { noisePicture } from '../helpers/images.ts';
import { randomQueueName, redisAvailable } from '../helpers/redis.ts';
import { jobHashBytes, redisFootprint, settledRedisFootprint } from '../helpers/redis-memory.ts';
import { recordingReply } from '../helpers/reply.ts';
import { useRedis } from '../helpers/use-redis.ts';

const redis = useRedis('the BullMQ memory test (test/integration/bullmq-memory.test.ts)');
const MB = 1024 * 1024;

/** One edit of a photo-sized, incompressible 1600×1200 picture (its PNG is ~5.8 MB, the strip twice that). */
async function largeEdit(app: App, channelId: string): Promise<void> {
  const reply = recordingReply();
  await app.core.handleTurn(
    { ref: conversation(channelId), messageId: randomUUID(), userId: `u-${channelId}`, text: 'remove the square', images: [{ bytes: await noisePicture(1600, 1200) }], mask: { kind: 'box', box: { x: 600, y: 400, w: 300, h: 200 } } },
    reply,
  );
  expect(reply.errors).toEqual([]);
  await app.core.settled(conversation(channelId));
}

describe.skipIf(!redisAvailable)('Redis memory on the BullMQ queue', () => {
  it('50 delivered edits leave < 1 MB each, bounded: pictures travel by reference and go once applied', async () => {
    const queueName = randomQueueName();
    const rig = bullmqRig(redis.url(), queueName);
    const clients = createRedisClients(redis.url(), silentLog);
    const probe = clients.client('probe');
    try {
      const { app } = await rig.bot(rig.dataDir(), { JOB_LEASE_MS: '15000' });
      await rig.worker(fakeEngine(), { JOB_LEASE_MS: '15000' });
      const jobIds = () => (app.database.sqlite.prepare("SELECT id FROM jobs WHERE state = 'done' ORDER BY created_at").all() as { id: string }[]).map((r) => r.id);
      const payloadsGone = () => until(async () => (await redisFootprint(probe, queueName)).payloadHashes === 0, 10_000, 'the pictures to leave Redis');

      // Warm up: BullMQ's scripts, the stream and the queue's meta keys exist before the baseline.
      await editTurn(app, 'warm');
      await app.core.settled(conversation('warm'));
      await payloadsGone();
      const baseline = await settledRedisFootprint(probe, queueName);

      // 50 small edits: 10 conversations × 5 edits, conversations in parallel.
      await Promise.all(
        Array.from({ length: 10 }, async (_, c) => {
          for (let e = 0; e < 5; e++) {
            expect((await editTurn(app, `small-${c}`, `user-${c}`)).errors).toEqual([]);
            await app.core.settled(conversation(`small-${c}`));
          }
        }),
      );
      await payloadsGone();
      const afterSmall = await settledRedisFootprint(probe, queueName);
      expect(jobIds()).toHaveLength(51);
      const perSmallEdit = (afterSmall.storedMemory - baseline.storedMemory) / 50;

      // Two edits of a photo-sized picture: what they leave must not grow with the picture.
      await largeEdit(app, 'large-1');
      await largeEdit(app, 'large-2');
      await payloadsGone();
      const afterLarge = await settledRedisFootprint(probe, queueName);
      const perLargeEdit = (afterLarge.storedMemory - afterSmall.storedMemory) / 2;
      const [smallJob, largeJob] = [jobIds()[1], jobIds().at(-1)!];
      const hashBytes = { small: await jobHashBytes(probe, queueName, smallJob), large: await jobHashBytes(probe, queueName, largeJob) };
      console.log(
        `Redis per delivered edit (used_memory less client buffers): ${(perSmallEdit / 1024).toFixed(1)} KB (64×48), ${(perLargeEdit / 1024).toFixed(1)} KB (1600×1200); ` +
          `used_memory ${(afterLarge.usedMemory / MB).toFixed(1)} MB; ` +
          `job hash ${hashBytes.small} B vs ${hashBytes.large} B; events stream ${afterLarge.events} entries, ${(afterLarge.eventsBytes / 1024).toFixed(0)} KB`,
      );

      expect(perSmallEdit).toBeLessThan(1 * MB);
      expect(perLargeEdit).toBeLessThan(1 * MB); // inline base64 pictures left ~50 MB here
      // A finished job's hash is its names and numbers: the same few KB for either picture.
      expect(hashBytes.large).toBeLessThan(16 * 1024);
      expect(hashBytes.large).toBeLessThan(hashBytes.small * 2);
      // Bounded: the stream is capped (approximately: BullMQ trims whole nodes) and finished jobs are capped.
      expect(afterLarge.events).toBeLessThanOrEqual(700);
      expect(afterLarge.eventsBytes).toBeLessThan(1 * MB);
      expect(afterLarge.completed).toBeLessThanOrEqual(500);
      expect(afterLarge.payloadHashes).toBe(0);
    } finally {
      await clients.close();
      await rig.cleanup();
    }
  }, 120_000);
});
