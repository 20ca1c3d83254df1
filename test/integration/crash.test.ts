import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { silentLog, tempDataDir, testConfig } from '../helpers/env.ts';
import { fakeEngine } from '../helpers/fake-engine.ts';
import { pictureFile } from '../helpers/images.ts';
import { recordingReply } from '../helpers/reply.ts';

const child = fileURLToPath(new URL('../helpers/worker-child.ts', import.meta.url));
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function startChild(dataDir: string, mode: 'slow' | 'classical' | 'poison') {
  const started = Date.now();
  // node itself with tsx's loader (not the tsx CLI, which would put a second process between us and the
  // worker, and SIGKILL would only kill the wrapper).
  const proc = spawn(process.execPath, ['--import', 'tsx', child, dataDir, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  proc.stderr.on('data', (chunk) => (stderr += chunk));
  proc.stdout.on('data', (chunk) => (stdout += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  cleanups.push(() => proc.kill('SIGKILL'));
  return { proc, exited, stderr: () => stderr, stdout: () => stdout, elapsed: () => Date.now() - started };
}

describe('crash recovery', () => {
  it('a job whose worker process is killed mid-run completes once after a restart, and its version appears once', async () => {
    // A 60 s lease: the restarted worker must notice the dead process rather than wait the lease out.
    const temp = tempDataDir();
    cleanups.push(temp.cleanup);
    // The bot side: takes the turn and queues the job, but runs no worker of its own.
    const bot = await createApp({ config: testConfig(temp.dir), log: silentLog, engine: fakeEngine() });
    cleanups.push(() => bot.close());
    const ref = { platform: 'test', scope: 's', channelId: 'c' };
    await bot.core.handleTurn(
      { ref, messageId: randomUUID(), userId: 'u', text: 'remove the square', images: [{ bytes: await pictureFile(96, 64) }], mask: { kind: 'box', box: { x: 20, y: 20, w: 30, h: 20 } } },
      recordingReply(),
    );
    const db = bot.database.sqlite;
    const job = () => db.prepare('SELECT state, attempts, crashes, worker_id AS workerId FROM jobs').get() as { state: string; attempts: number; crashes: number; workerId: string };

    const first = startChild(temp.dir, 'slow');
    const deadline = Date.now() + 20_000;
    while (job().state !== 'running') {
      if (Date.now() > deadline) throw new Error(`the first worker never claimed the job: ${first.stderr()}`);
      await delay(25);
    }
    first.proc.kill('SIGKILL');
    await first.exited;
    expect(job()).toMatchObject({ state: 'running', attempts: 1 });

    const second = startChild(temp.dir, 'classical');
    const exit = await Promise.race([second.exited, delay(30_000).then(() => 'timeout')]);
    expect(exit, second.stderr()).toEqual({ code: 0, signal: null });
    // The death was not the job's failure: one attempt, one crash.
    expect(job()).toMatchObject({ state: 'done', attempts: 1, crashes: 1 });
    expect(second.elapsed()).toBeLessThan(30_000);
    const versions = db.prepare("SELECT number, kind, engine FROM versions WHERE kind = 'result'").all();
    expect(versions).toEqual([{ number: 2, kind: 'result', engine: 'classical (exemplar fill)' }]);
  }, 60_000);

  it('a poison job (every run kills its worker process) fails in words after JOB_MAX_CRASHES crashes', async () => {
    const temp = tempDataDir();
    cleanups.push(temp.cleanup);
    const bot = await createApp({ config: testConfig(temp.dir), log: silentLog, engine: fakeEngine() });
    cleanups.push(() => bot.close());
    const reply = recordingReply();
    bot.attach({ platform: 'test', reply, async start() {}, replyTo: () => reply, async stop() {} } as never);
    const ref = { platform: 'test', scope: 's', channelId: 'poison' };
    await bot.core.handleTurn(
      { ref, messageId: randomUUID(), userId: 'u', text: 'remove the square', images: [{ bytes: await pictureFile(96, 64) }], mask: { kind: 'box', box: { x: 20, y: 20, w: 30, h: 20 } } },
      recordingReply(),
    );
    const job = () => bot.database.sqlite.prepare('SELECT state, attempts, crashes, error FROM jobs').get() as { state: string; attempts: number; crashes: number; error: string | null };
    // Each process takes the job and dies in the engine; the one after the fifth death fails it and exits.
    const exits: string[] = [];
    for (let run = 1; run <= 7 && job().state !== 'failed'; run++) {
      const worker = startChild(temp.dir, 'poison');
      const exit = await Promise.race([worker.exited, delay(30_000).then(() => null)]);
      exits.push(exit?.signal === 'SIGKILL' && worker.stdout().includes('engine reached') ? 'died in the engine' : `exit ${exit?.code ?? 'timeout'}`);
    }
    expect(exits).toEqual([...Array(5).fill('died in the engine'), 'exit 0']);
    expect(job()).toMatchObject({ state: 'failed', attempts: 0, crashes: 5 });
    expect(JSON.parse(job().error!)).toMatchObject({ code: 'engine.crashed', message: expect.stringMatching(/stopped while running this edit 5 times/) });
    // The process that failed it had no way to the chat; the bot's outbox sweep tells the user, once.
    const deadline = Date.now() + 10_000;
    while (reply.errors.length === 0 && Date.now() < deadline) await delay(50);
    expect(reply.errors).toEqual([expect.stringMatching(/^The edit failed: The worker stopped while running this edit 5 times, so I stopped trying: .* \(ref T-\w+\)$/)]);
  }, 90_000);
});
