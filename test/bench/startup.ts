/**
 * `npm run bench startup`: how long a command takes from `node adapters/cli/bin.js …` to exit, as a person typing
 * `npx brushtalk …` waits for it, from the compiled build (what bin.js runs) and from the sources through tsx
 * (BRUSHTALK_FROM_SOURCE=1, what it ran before the build), next to Node doing nothing (`node -e ''`). Each run
 * spawns a fresh process; the rounds interleave the commands so a busy moment on the machine spreads over all rows.
 * The goal (issue 17): `help` ≤ 2.5× and `history` ≤ 4× the time of `node -e ''`, compiled.
 *
 * The build is made (or found up to date) first, so no row pays for compiling. The children get a throwaway
 * DATA_DIR and no REDIS_URL, chat tokens or LLM key, so every run measures the same embedded set-up whatever the
 * shell exports. STARTUP_BENCH_RUNS sets the rounds (default 15).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ms, percentile, printTable } from './stats.ts';

const RUNS = Number(process.env.STARTUP_BENCH_RUNS ?? 15);
const WARMUP = 1;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'adapters/cli/bin.js');
/** Settings that would load more than the embedded service (BullMQ, a platform, the OpenAI client) or move the database. */
const unset = ['REDIS_URL', 'DISCORD_TOKEN', 'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'DATABASE_PATH', 'BRUSHTALK_FROM_SOURCE'];

interface Case {
  name: string;
  args: string[];
  fromSource?: boolean;
  /** At most this many times `node -e ''`. */
  goal?: number;
}

const cases: Case[] = [
  { name: "node -e ''", args: ['-e', ''] },
  { name: 'brushtalk help (compiled)', args: [bin, 'help'], goal: 2.5 },
  { name: 'brushtalk help (tsx)', args: [bin, 'help'], fromSource: true },
  { name: 'brushtalk history --session x (compiled)', args: [bin, 'history', '--session', 'x'], goal: 4 },
  { name: 'brushtalk history --session x (tsx)', args: [bin, 'history', '--session', 'x'], fromSource: true },
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
  // `npm run build`: "… compiled into dist/<fp>/ …" or "… dist/<fp>/ is up to date".
  const build = /dist\/\w+/.exec(execFileSync(process.execPath, [path.join(root, 'scripts/build.js')], { cwd: root, encoding: 'utf8' }))?.[0];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-startup-bench-'));
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir };
  for (const name of unset) delete env[name];
  const samples = new Map<Case, number[]>(cases.map((c) => [c, []]));
  try {
    for (let round = 0; round < WARMUP + RUNS; round++) {
      for (const c of cases) {
        const elapsed = await timeRun(c.args, c.fromSource ? { ...env, BRUSHTALK_FROM_SOURCE: '1' } : env);
        if (round >= WARMUP) samples.get(c)!.push(elapsed);
      }
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const floor = percentile(samples.get(cases[0])!, 50);
  printTable(
    `Start-up, spawn → exit, ${RUNS} runs each after ${WARMUP} warm-up (ms; × = p50 over node -e '' p50; build ${build}/)`,
    ['command', 'runs', 'p50', 'p90', 'min', '×', 'goal'],
    cases.map((c) => {
      const xs = samples.get(c)!;
      const ratio = percentile(xs, 50) / floor;
      const goal = c.goal === undefined ? '' : `≤ ${c.goal}× ${ratio <= c.goal ? 'met' : 'MISSED'}`;
      return [c.name, xs.length, ms(percentile(xs, 50)), ms(percentile(xs, 90)), ms(Math.min(...xs)), `${ratio.toFixed(2)}×`, goal];
    }),
  );
}
