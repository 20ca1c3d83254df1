import { describe, expect, it } from 'vitest';
import { runChaos, type ChaosReport } from '../helpers/chaos.ts';
import { pictureFile } from '../helpers/images.ts';
import { randomQueueName, redisAvailable } from '../helpers/redis.ts';
import { useRedis } from '../helpers/use-redis.ts';

const redis = useRedis('the BullMQ half of the chaos test (test/integration/chaos.test.ts)');

function summary(mode: string, report: ChaosReport): string {
  const lost = report.results.filter((n, i) => n + report.errors[i] === 0).length;
  const duplicates = report.results.filter((n) => n > 1).length;
  return `chaos ${mode}: ${report.results.length} edits in ${(report.elapsedMs / 1000).toFixed(1)} s, kills bot ${report.kills.bot} / worker ${report.kills.worker}, messages redelivered ${report.redeliveries}, runs cut short ${report.db.crashes} (at most ${report.db.mostCrashes} on one job); lost ${lost}, duplicate ${duplicates}, failed ${report.db.failed}`;
}

/** Every user got exactly one result for their edit, no error, and the database agrees: one job, one version. */
function expectExactlyOnce(report: ChaosReport, edits: number): void {
  expect(report.results).toEqual(new Array(edits).fill(1));
  expect(report.errors).toEqual(new Array(edits).fill(0));
  expect(report.db).toMatchObject({ jobs: edits, done: edits, failed: 0, resultVersions: edits, distinctResultJobs: edits });
}

describe('chaos: SIGKILL at random while edits run', () => {
  it('embedded queue: 50 edits, the bot (with its worker) killed 0.5–2.5 s into each life for 20 s: none lost, none twice', async () => {
    const report = await runChaos({ mode: 'embedded', edits: 50, seed: 15, killWindowMs: 20_000, killEveryMs: [500, 2500], sendEveryMs: 350, deadlineMs: 60_000, picture: await pictureFile(48, 32) });
    console.log(summary('embedded', report));
    expect(report.kills.bot).toBeGreaterThanOrEqual(5);
    expectExactlyOnce(report, 50);
  }, 90_000);

  it.skipIf(!redisAvailable)('BullMQ: 50 edits, the bot and the worker each killed 0.5–2.5 s into each life for 20 s: none lost, none twice', async () => {
    const report = await runChaos({
      mode: 'bullmq',
      edits: 50,
      seed: 16,
      killWindowMs: 20_000,
      killEveryMs: [500, 2500],
      sendEveryMs: 350,
      deadlineMs: 75_000,
      picture: await pictureFile(48, 32),
      redis: { url: redis.url(), queueName: randomQueueName() },
    });
    console.log(summary('bullmq', report));
    expect(report.kills.bot).toBeGreaterThanOrEqual(3);
    expect(report.kills.worker).toBeGreaterThanOrEqual(3);
    expectExactlyOnce(report, 50);
  }, 120_000);
});

describe('a message across a crash in the middle of its turn', () => {
  it('the bot dies while it decodes the picture (after taking the message, before saving): the redelivery is edited, once', async () => {
    const { spawn } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const { setTimeout: delay } = await import('node:timers/promises');
    const { noisePicture } = await import('../helpers/images.ts');
    const { tempDataDir } = await import('../helpers/env.ts');
    const child = fileURLToPath(new URL('../helpers/chaos-bot-child.ts', import.meta.url));
    const temp = tempDataDir();
    // A 2400×1800 photo-sized PNG: taking it in (decode, store) takes far longer than the 150 ms we give it.
    const turn = { type: 'turn', messageId: 'm-big', channelId: 'c-big', userId: 'u1', png: (await noisePicture(2400, 1800)).toString('base64') };
    const seen: string[] = [];
    const start = () => {
      const proc = spawn(process.execPath, ['--import', 'tsx', child, temp.dir, 'embedded'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      proc.on('message', (m: { type: string; kind?: string; role?: string }) => seen.push(m.type === 'reply' ? `${m.kind}${m.role ? `:${m.role}` : ''}` : m.type));
      return proc;
    };
    const until = async (what: string, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!seen.includes(what)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${seen.join(', ')}`);
        await delay(10);
      }
    };
    try {
      const first = start();
      await until('ready');
      first.send(turn);
      await until('taking');
      await delay(150);
      first.kill('SIGKILL');
      await new Promise((resolve) => first.once('exit', resolve));
      expect(seen).not.toContain('handled');
      seen.length = 0;

      const second = start();
      await until('ready');
      second.send(turn); // the platform's redelivery
      await until('image:result');
      second.send(turn); // and one more: a duplicate now
      await delay(1000);
      second.kill('SIGKILL');
      expect(seen.filter((s) => s === 'image:result')).toHaveLength(1);
      expect(seen.filter((s) => s === 'error')).toEqual([]);
      expect(seen.filter((s) => s === 'text')).toHaveLength(1); // "Got the picture … Editing", once
    } finally {
      temp.cleanup();
    }
  }, 60_000);
});
