import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createApp, type App } from '../../src/app.ts';
import type { IncomingTurn } from '../../src/contracts.ts';
import type { InpaintEngine } from '../../src/engines/engine.ts';
import { startStandaloneWorker, type StandaloneWorker } from '../../src/worker.ts';
import { silentLog, tempDataDir, testConfig } from './env.ts';
import { fakeEngine } from './fake-engine.ts';
import { pictureFile } from './images.ts';
import { recordingAdapter, recordingReply } from './reply.ts';

/** Bots, workers and worker processes on one Redis queue for the BullMQ tests; `cleanup` ends them all. */
export function bullmqRig(url: string, queueName: string) {
  const cleanups: (() => unknown)[] = [];
  const env = (extra: Record<string, string> = {}) => ({ REDIS_URL: url, QUEUE_NAME: queueName, JOB_LEASE_MS: '1000', ...extra });

  function dataDir(): string {
    const temp = tempDataDir();
    cleanups.push(temp.cleanup);
    return temp.dir;
  }

  /** A bot process's app (no worker of its own unless asked), with a recording adapter for platform 'test'. */
  async function bot(dir: string, extra: Record<string, string> = {}, engine: InpaintEngine = fakeEngine()): Promise<{ app: App; adapter: ReturnType<typeof recordingAdapter> }> {
    const app = await createApp({ config: testConfig(dir, env(extra)), log: silentLog, engine });
    const adapter = recordingAdapter('test');
    app.attach(adapter);
    cleanups.push(() => app.close());
    await app.ready();
    return { app, adapter };
  }

  /** A worker in this process with its own Redis connections, as `brushtalk worker` runs it. */
  async function worker(engine: InpaintEngine, extra: Record<string, string> = {}): Promise<StandaloneWorker> {
    const started = startStandaloneWorker({ config: testConfig(dataDir(), env({ WORKER_CONCURRENCY: '2', ...extra })), log: silentLog, engine });
    cleanups.push(() => started.stop());
    await started.ready();
    return started;
  }

  /** A worker in its own process (killable with SIGKILL). Resolves once it is connected. */
  /** leaseMs: short to test crash recovery quickly; long where a starved CPU must not look like a dead worker. */
  async function workerProcess(mode: 'slow' | 'fast' | 'poison', concurrency = 4, leaseMs = 1000, maxCrashes = 5, engineMs = 0) {
    const child = fileURLToPath(new URL('./bullmq-worker-child.ts', import.meta.url));
    const proc = spawn(process.execPath, ['--import', 'tsx', child, url, queueName, mode, String(leaseMs), String(concurrency), String(maxCrashes), String(engineMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk) => (stdout += chunk));
    proc.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const died = new Promise<NodeJS.Signals | null>((resolve) => proc.once('exit', (_code, signal) => resolve(signal)));
    cleanups.push(async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    });
    const deadline = Date.now() + 30_000;
    while (!stdout.includes('ready')) {
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`worker process did not start: ${stderr}`);
      await delay(25);
    }
    return { proc, exited, died, stdout: () => stdout, stderr: () => stderr };
  }

  return {
    dataDir,
    bot,
    worker,
    workerProcess,
    async cleanup() {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    },
  };
}

export const conversation = (channelId: string) => ({ platform: 'test', scope: 'guild', channelId });

/** "Here is a picture, this box, remove it" in one turn. */
export async function editTurn(app: App, channelId: string, userId = 'u1', reply = recordingReply()): Promise<ReturnType<typeof recordingReply>> {
  const turn: IncomingTurn = {
    ref: conversation(channelId),
    messageId: randomUUID(),
    userId,
    text: 'remove the square',
    images: [{ bytes: await pictureFile(48, 32) }],
    mask: { kind: 'box', box: { x: 10, y: 8, w: 16, h: 12 } },
  };
  await app.core.handleTurn(turn, reply);
  return reply;
}

export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}
