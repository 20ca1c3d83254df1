import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('../helpers/last-resort-child.ts', import.meta.url));

async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

describe('the process-level last resort', () => {
  it('logs an unhandled rejection with a reference and keeps serving; an uncaught exception is logged, then the process exits 1', async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk) => (stdout += chunk));
    proc.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    try {
      await until(() => stdout.includes('ready'), 'the child to start');
      const logged = () => stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { level: number; ref?: string; msg: string; err?: { message: string } });

      proc.stdin.write('reject\nping\n');
      await until(() => stdout.includes('pong'), 'an answer after the rejection');
      await until(() => logged().length === 1, 'the rejection to be logged');
      expect(logged()[0]).toMatchObject({ level: 50, ref: expect.stringMatching(/^P-[0-9A-Z]{6}$/), msg: 'unhandled promise rejection; still serving', err: { message: 'an adapter forgot to await this' } });
      expect(proc.exitCode).toBeNull();

      proc.stdin.write('throw\n');
      expect(await exited).toBe(1);
      expect(logged()[1]).toMatchObject({ level: 60, ref: expect.stringMatching(/^P-/), msg: 'uncaught exception; exiting for the supervisor to restart', err: { message: 'a callback threw' } });
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
  }, 30_000);
});
