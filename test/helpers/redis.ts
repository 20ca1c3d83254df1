import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * A real redis-server for one test file: a random free port, no persistence, killed afterwards. Where
 * redis-server is not on PATH the BullMQ tests are skipped with a loud warning (CI installs it).
 */
export const redisAvailable = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

export function warnIfNoRedis(suite: string): void {
  if (redisAvailable) return;
  const bar = '!'.repeat(78);
  console.warn(`\n${bar}\n!! redis-server is not on PATH: SKIPPING ${suite}.\n!! Install it (apt-get install -y redis-server); .ci/run does, so CI runs them.\n${bar}\n`);
}

export interface RunningRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startRedis(): Promise<RunningRedis> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const proc: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout?.on('data', (chunk) => (output += chunk));
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + 10_000;
    while (!output.includes('Ready to accept connections')) {
      if (proc.exitCode !== null || Date.now() > deadline) break;
      await delay(20);
    }
    if (output.includes('Ready to accept connections')) {
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        async stop() {
          proc.kill('SIGKILL');
          await exited;
        },
      };
    }
    proc.kill('SIGKILL');
    await exited;
    if (attempt >= 3) throw new Error(`redis-server did not start: ${output}`);
  }
}

/** A queue name no other test shares. */
export const randomQueueName = () => `bt-test-${randomUUID().slice(0, 8)}`;
