import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createRedisClients } from '../../src/jobs/redis.ts';
import type { ChaosMessage, ChaosTurn } from './chaos-bot-child.ts';
import { silentLog, tempDataDir } from './env.ts';
import { mulberry32 } from './random.ts';

/**
 * The chaos harness: a bot process (and, on BullMQ, a worker process) under a supervisor that restarts each
 * one the moment it dies, a platform that sends edits at a steady pace and redelivers every edit the bot had not
 * acknowledged when it died, and killers that SIGKILL the bot and the worker at seeded random intervals during a
 * window. It counts what each user got back per edit and reads the database afterwards.
 */
export interface ChaosOptions {
  mode: 'embedded' | 'bullmq';
  edits: number;
  seed: number;
  /** Kills happen only in this window from the start (the run then finishes in peace). */
  killWindowMs: number;
  /** Each killer lets a process serve a random time in this range, then kills it. */
  killEveryMs: [number, number];
  sendEveryMs: number;
  deadlineMs: number;
  picture: Buffer;
  redis?: { url: string; queueName: string };
}

export interface ChaosReport {
  elapsedMs: number;
  kills: { bot: number; worker: number };
  /** Per edit: result pictures and error replies its user got. */
  results: number[];
  errors: number[];
  redeliveries: number;
  /** crashes: runs cut short by a kill, as counted by the queue (jobs.crashes, or BullMQ's stalled counter). */
  db: { jobs: number; done: number; failed: number; resultVersions: number; distinctResultJobs: number; crashes: number; mostCrashes: number };
}

const botChild = fileURLToPath(new URL('./chaos-bot-child.ts', import.meta.url));
const workerChild = fileURLToPath(new URL('./bullmq-worker-child.ts', import.meta.url));

/** A process the supervisor keeps alive until stop(); `kill()` SIGKILLs the current one. */
function supervised(name: string, start: () => ChildProcess, onReady: (proc: ChildProcess) => void, readyOn: (proc: ChildProcess, ready: () => void) => void) {
  let current: ChildProcess | null = null;
  let ready = false;
  let stopping = false;
  let log = '';
  const launch = () => {
    const proc = start();
    current = proc;
    ready = false;
    proc.stderr?.on('data', (chunk) => (log = (log + chunk).slice(-4000)));
    readyOn(proc, () => {
      if (current === proc) ready = true;
      onReady(proc);
    });
    proc.once('exit', () => {
      if (current === proc) current = null;
      if (!stopping) launch();
    });
  };
  launch();
  return {
    /** Started and serving (a kill before that would only cut a start-up short). */
    ready: () => ready && current !== null,
    kill(): boolean {
      if (!current || current.exitCode !== null) return false;
      current.kill('SIGKILL');
      return true;
    },
    async stop(): Promise<void> {
      stopping = true;
      const proc = current;
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGKILL');
        await exited;
      }
    },
    log: () => `${name}: ${log}`,
  };
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const temp = tempDataDir();
  const started = Date.now();
  const random = mulberry32(options.seed);
  const png = options.picture.toString('base64');
  const turns: ChaosTurn[] = Array.from({ length: options.edits }, (_, i) => ({ type: 'turn', messageId: `m${i}`, channelId: `c${i}`, userId: `u${i}`, png }));
  const index = new Map(turns.map((t, i) => [t.channelId, i]));
  const results = new Array<number>(options.edits).fill(0);
  const errors = new Array<number>(options.edits).fill(0);
  const sent = new Set<string>();
  const handled = new Set<string>();
  let redeliveries = 0;
  const live: { bot: ChildProcess | null } = { bot: null };

  const botArgs = [botChild, temp.dir, options.mode, ...(options.redis ? [options.redis.url, options.redis.queueName] : [])];
  const bots = supervised(
    'bot',
    () => spawn(process.execPath, ['--import', 'tsx', ...botArgs], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] }),
    (proc) => {
      live.bot = proc;
      // The platform redelivers every message the dead bot had not acknowledged.
      for (const turn of turns) {
        if (sent.has(turn.messageId) && !handled.has(turn.messageId)) {
          redeliveries++;
          proc.send(turn);
        }
      }
    },
    (proc, ready) =>
      proc.on('message', (message: ChaosMessage) => {
        if (message.type === 'ready') ready();
        else if (message.type === 'handled') handled.add(message.messageId);
        else if (message.type === 'reply') {
          const i = index.get(message.channelId)!;
          if (message.kind === 'image' && message.role === 'result') results[i]++;
          if (message.kind === 'error') errors[i]++;
        }
      }),
  );
  const workers = options.redis
    ? supervised(
        'worker',
        () => spawn(process.execPath, ['--import', 'tsx', workerChild, options.redis!.url, options.redis!.queueName, 'fast', '2000', '2', '5', '300', '1000'], { stdio: ['ignore', 'pipe', 'pipe'] }),
        () => {},
        (proc, ready) => proc.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && ready()),
      )
    : null;

  const kills = { bot: 0, worker: 0 };
  // Each life gets a random time from the moment it serves, so every kill lands on a process doing work.
  const killer = async (target: { ready(): boolean; kill(): boolean }, count: (n: number) => void) => {
    while (Date.now() - started < options.killWindowMs) {
      while (!target.ready() && Date.now() - started < options.killWindowMs) await delay(10);
      const [min, max] = options.killEveryMs;
      await delay(min + random() * (max - min));
      if (Date.now() - started < options.killWindowMs && target.kill()) count(1);
    }
  };
  const killing = Promise.all([killer(bots, (n) => (kills.bot += n)), workers ? killer(workers, (n) => (kills.worker += n)) : Promise.resolve()]);

  const sender = (async () => {
    for (const turn of turns) {
      let bot = live.bot;
      while (!bot || bot.exitCode !== null || bot.signalCode !== null || !bot.connected) {
        await delay(20);
        bot = live.bot;
      }
      sent.add(turn.messageId);
      try {
        bot.send(turn);
      } catch {
        // the bot died just now: it is redelivered to the next one
      }
      await delay(options.sendEveryMs);
    }
  })();

  const complete = () => handled.size === options.edits && results.every((n, i) => n + errors[i] > 0);
  try {
    await sender;
    await killing;
    while (!complete() && Date.now() - started < options.deadlineMs) await delay(50);
    await delay(500); // anything that would arrive twice has had time to
  } finally {
    await bots.stop();
    await workers?.stop();
  }
  const db = new Database(`${temp.dir}/brushtalk.db`, { readonly: true });
  const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
  const report: ChaosReport = {
    elapsedMs: Date.now() - started,
    kills,
    results,
    errors,
    redeliveries,
    db: {
      jobs: count('SELECT count(*) AS n FROM jobs'),
      done: count("SELECT count(*) AS n FROM jobs WHERE state = 'done'"),
      failed: count("SELECT count(*) AS n FROM jobs WHERE state = 'failed'"),
      resultVersions: count("SELECT count(*) AS n FROM versions WHERE kind = 'result'"),
      distinctResultJobs: count("SELECT count(DISTINCT job_id) AS n FROM versions WHERE kind = 'result'"),
      crashes: count('SELECT coalesce(sum(crashes), 0) AS n FROM jobs'),
      mostCrashes: count('SELECT coalesce(max(crashes), 0) AS n FROM jobs'),
    },
  };
  if (options.redis) Object.assign(report.db, await stalls(options.redis, (db.prepare('SELECT id FROM jobs').all() as { id: string }[]).map((r) => r.id)));
  db.close();
  temp.cleanup();
  if (!complete()) throw new Error(`chaos run did not finish in ${options.deadlineMs} ms: ${JSON.stringify(report)}\n${bots.log()}\n${workers?.log() ?? ''}`);
  return report;
}

/** BullMQ's count of stalls (a worker died under the job), summed over the jobs it still keeps. */
async function stalls(redis: { url: string; queueName: string }, jobIds: string[]): Promise<{ crashes: number; mostCrashes: number }> {
  const clients = createRedisClients(redis.url, silentLog);
  try {
    const client = clients.client('chaos-report');
    const counts = await Promise.all(jobIds.map((id) => client.hget(`bull:${redis.queueName}:${id}`, 'stc')));
    const numbers = counts.map((n) => Number(n ?? 0));
    return { crashes: numbers.reduce((sum, n) => sum + n, 0), mostCrashes: Math.max(0, ...numbers) };
  } finally {
    await clients.close();
  }
}
