/**
 * `npm run bench startup`: how long a command takes from `node adapters/cli/bin.js …` to exit, as a person
 * typing `npx brushtalk …` waits for it. Each row spawns a fresh process; the rounds interleave the commands so
 * a busy moment on the machine spreads over all rows. The first two rows are the floor: Node alone, and Node
 * with tsx registered (what bin.js does before it imports anything of ours).
 *
 * The children get a throwaway DATA_DIR and no REDIS_URL, chat tokens or LLM key, so every run measures the
 * same embedded set-up whatever the shell exports. STARTUP_BENCH_RUNS sets the rounds (default 10).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ms, percentile, printTable } from './stats.ts';

const RUNS = Number(process.env.STARTUP_BENCH_RUNS ?? 10);
const WARMUP = 1;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'adapters/cli/bin.js');
/** Settings that would load more than the embedded service (BullMQ, a platform, the OpenAI client) or move the database. */
const unset = ['REDIS_URL', 'DISCORD_TOKEN', 'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'DATABASE_PATH'];

interface Case {
  name: string;
  args: string[];
}

const cases: Case[] = [
  { name: 'node -e 0 (Node alone)', args: ['-e', '0'] },
  { name: 'node + tsx registered (bin.js before our code)', args: ['--input-type=module', '-e', "import { register } from 'tsx/esm/api'; register();"] },
  { name: 'brushtalk help', args: [bin, 'help'] },
  { name: 'brushtalk history --session bench', args: [bin, 'history', '--session', 'bench'] },
];

/** Wall-clock ms from spawn to exit; a non-zero exit fails the bench with the child's stderr. */
function timeRun(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const elapsed = performance.now() - start;
      if (code === 0) resolve(elapsed);
      else reject(new Error(`node ${args.join(' ')} exited with ${code}: ${stderr}`));
    });
  });
}

export async function benchStartup(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-startup-bench-'));
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir };
  for (const name of unset) delete env[name];
  const samples = new Map<Case, number[]>(cases.map((c) => [c, []]));
  try {
    for (let round = 0; round < WARMUP + RUNS; round++) {
      for (const c of cases) {
        const elapsed = await timeRun(c.args, env);
        if (round >= WARMUP) samples.get(c)!.push(elapsed);
      }
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  printTable(
    `Start-up, spawn → exit, ${RUNS} runs each after ${WARMUP} warm-up (ms)`,
    ['command', 'runs', 'p50', 'p90', 'min'],
    cases.map((c) => {
      const xs = samples.get(c)!;
      return [c.name, xs.length, ms(percentile(xs, 50)), ms(percentile(xs, 90)), ms(Math.min(...xs))];
    }),
  );
}
