import path from 'node:path';
import * as z from 'zod';
import type { SchedulerName } from './engines/brushnet/scheduler.ts';
import { BrushtalkError } from './errors.ts';

/**
 * The only module that reads process.env. Everything has an embedded default so `npm start` works on a
 * clean clone; a bad value fails fast and names the variable.
 */

// zod compiles a parser for an object schema at its first parse (new Function), which pays off for a schema
// parsed many times; ours are parsed once or twice per process (this environment, the model manifest, a tool
// call's arguments), so compiling would only add to every command's start (≈ 5 ms). Process-wide, set here:
// this module is the first to parse on every path.
z.config({ jitless: true });

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_PATH: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  NODE_ENV: z.string().optional(),
  MAX_INPUT_BYTES: integer(1024, 1024 ** 3).default(25 * 1024 * 1024),
  MAX_INPUT_MEGAPIXELS: z.coerce.number().positive().max(268).default(40),
  DECODE_BUDGET_MEGAPIXELS: z.coerce.number().positive().max(1000).default(48),
  JOB_LEASE_MS: integer(200, 3_600_000).default(30_000),
  JOB_MAX_ATTEMPTS: integer(1, 20).default(3),
  JOB_MAX_CRASHES: integer(1, 50).default(5),
  JOB_RETRY_BASE_MS: integer(0, 600_000).default(2_000),
  WORKER_CONCURRENCY: integer(1, 16).default(1),
  WORKER_POLL_MS: integer(10, 60_000).default(250),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  QUEUE_NAME: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be letters, digits, _ . - (at most 64)').default('brushtalk-edits'),
  MAX_JOBS_PER_USER: integer(1, 1000).default(3),
  MAX_JOBS_PER_CONVERSATION: integer(1, 1000).default(2),
  WORKER_IN_PROCESS: z.enum(['true', 'false']).optional(),
  WORKER_GRACE_MS: integer(0, 3_600_000).default(30_000),
  HEALTH_PORT: integer(0, 65_535).optional(),
  HEALTH_HOST: z.string().min(1).default('0.0.0.0'),
  WEIGHTS_DIR: z.string().min(1).optional(),
  DETECTOR_MODEL: z.string().min(1).default('grounding-dino-tiny'),
  SEGMENTER_MODEL: z.string().min(1).default('slimsam-77'),
  BRUSHNET_MODEL: z.string().min(1).default('brushnet-sd15'),
  ONNX_PROVIDER: z.enum(['cpu', 'cuda', 'webgpu']).default('cpu'),
  BRUSHNET_SCHEDULER: z.enum(['ddim', 'dpmpp-2m', 'unipc']).default('unipc'),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().optional(),
  LLM_MODEL: z.string().min(1).default('gpt-4o-mini'),
  LLM_VISION: z.enum(['true', 'false']).default('true'),
  LLM_TIMEOUT_MS: integer(1000, 600_000).default(60_000),
  DISCORD_TOKEN: z.string().min(1).optional(),
  DISCORD_APPLICATION_ID: z.string().regex(/^\d{5,25}$/, 'must be a Discord id (digits)').optional(),
  DISCORD_GUILD_ID: z.string().regex(/^\d{5,25}$/, 'must be a Discord id (digits)').optional(),
  DISCORD_OWNER_ONLY: z.enum(['true', 'false']).default('true'),
  DISCORD_THREAD_PER_SESSION: z.enum(['true', 'false']).default('false'),
  DISCORD_MESSAGE_CONTENT: z.enum(['true', 'false']).default('false'),
  DISCORD_API_BASE: z.url().default('https://discord.com/api'),
  STUDIO_ENABLED: z.enum(['true', 'false']).default('true'),
  STUDIO_HOST: z.string().min(1).default('127.0.0.1'),
  STUDIO_PORT: integer(0, 65_535).default(7860),
  SLACK_BOT_TOKEN: z.string().regex(/^xoxb-/, 'must be a bot token (xoxb-…)').optional(),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_APP_TOKEN: z.string().regex(/^xapp-/, 'must be an app-level token (xapp-…)').optional(),
  SLACK_PORT: integer(0, 65_535).default(3000),
  SLACK_HOST: z.string().min(1).default('0.0.0.0'),
  SLACK_API_URL: z.url().optional(),
});

export interface Config {
  dataDir: string;
  databasePath: string;
  blobDir: string;
  outDir: string;
  /** Downloaded model folders, one per manifest id (transformers.js layout). */
  weightsDir: string;
  models: { detector: string; segmenter: string };
  /** The generative engine: its model folder id under weightsDir, onnxruntime's provider, the sampler. */
  brushnet: { model: string; provider: 'cpu' | 'cuda' | 'webgpu'; scheduler: SchedulerName };
  /** The chat model behind the agent; null runs the offline instructor. */
  llm: { model: string; apiKey: string; baseURL: string | undefined; vision: boolean; timeoutMs: number } | null;
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  /** LOG_FORMAT; unset: JSON in production (NODE_ENV=production), otherwise readable on a terminal and JSON when piped. */
  logFormat: 'json' | 'pretty' | 'auto';
  /** budgetPixels: pictures decoded, edited and encoded at once in one process, in pixels (images/budget.ts). */
  limits: { maxBytes: number; maxPixels: number; budgetPixels: number };
  /** maxAttempts counts failures of a job; maxCrashes deaths of its worker under it (then it is poison). */
  jobs: { leaseMs: number; maxAttempts: number; maxCrashes: number; retryBaseMs: number; concurrency: number; pollMs: number };
  /** Set: jobs go through BullMQ on this Redis and workers may run anywhere (`brushtalk worker`). */
  redis: { url: string; queueName: string } | null;
  /** Edits one user / one conversation may have waiting or running at once. */
  caps: { perUser: number; perConversation: number };
  /** Run a worker inside the bot process: always embedded; with Redis only when WORKER_IN_PROCESS=true. */
  workerInProcess: boolean;
  /** How long a stopping worker lets its current job finish before handing it back. */
  workerGraceMs: number;
  /** /healthz, /readyz, /metrics; null: no health server. */
  healthPort: number | null;
  /** Where the health server listens: all interfaces by default, so container probes and scrapers reach it. */
  healthHost: string;
  /** The Discord bot: runs in `serve` when a token is set; applicationId and guildId are for deploying commands. */
  discord: {
    token: string | null;
    applicationId: string | null;
    /** Commands deployed to this guild appear at once (development); without it they go global. */
    guildId: string | null;
    ownerOnly: boolean;
    /** Each /edit opens a thread that holds its session. */
    threadPerSession: boolean;
    /** The privileged MESSAGE_CONTENT intent (enable it in the developer portal first). */
    messageContent: boolean;
    apiBase: string;
  };
  /** The local web studio (`npm start`); bound to localhost unless STUDIO_HOST says otherwise. */
  studio: { enabled: boolean; host: string; port: number };
  /**
   * The Slack app; null when SLACK_BOT_TOKEN is unset. appToken set: Socket Mode (no public URL), otherwise
   * HTTP on `host`:`port` with requests checked against the signing secret. apiUrl points the Web API elsewhere (tests).
   */
  slack: { botToken: string; signingSecret: string | undefined; appToken: string | undefined; host: string; port: number; apiUrl: string | undefined } | null;
}

export type Environment = Record<string, string | undefined>;

/** Bolt needs a way in: an app token (Socket Mode) or a signing secret (HTTP); saying which is missing beats a 401. */
function slackConfig(e: z.infer<typeof schema>): Config['slack'] {
  if (!e.SLACK_BOT_TOKEN) return null;
  if (!e.SLACK_APP_TOKEN && !e.SLACK_SIGNING_SECRET) {
    throw new BrushtalkError('config.invalid', 'Configuration error: SLACK_BOT_TOKEN is set, so set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP) too.');
  }
  return { botToken: e.SLACK_BOT_TOKEN, signingSecret: e.SLACK_SIGNING_SECRET, appToken: e.SLACK_APP_TOKEN, host: e.SLACK_HOST, port: e.SLACK_PORT, apiUrl: e.SLACK_API_URL };
}

/** Read the configuration; `defaults` fill in what the environment leaves unset (the CLI quietens logs). */
export function loadConfig(env: Environment = process.env, defaults: Environment = {}): Config {
  const merged: Environment = { ...defaults };
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') merged[key] = value;
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0] ?? 'environment');
    throw new BrushtalkError('config.invalid', `Configuration error: ${name} ${issue.message} (got ${JSON.stringify(merged[name])}).`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  return {
    dataDir,
    databasePath: path.resolve(e.DATABASE_PATH ?? path.join(dataDir, 'brushtalk.db')),
    blobDir: path.join(dataDir, 'blobs'),
    outDir: path.join(dataDir, 'out'),
    weightsDir: path.resolve(e.WEIGHTS_DIR ?? path.join(dataDir, 'weights')),
    models: { detector: e.DETECTOR_MODEL, segmenter: e.SEGMENTER_MODEL },
    brushnet: { model: e.BRUSHNET_MODEL, provider: e.ONNX_PROVIDER, scheduler: e.BRUSHNET_SCHEDULER },
    // A key, or a base URL for a local OpenAI-compatible server (which often needs no key), turns the LLM on.
    llm:
      e.OPENAI_API_KEY || e.OPENAI_BASE_URL
        ? { model: e.LLM_MODEL, apiKey: e.OPENAI_API_KEY ?? 'not-needed', baseURL: e.OPENAI_BASE_URL, vision: e.LLM_VISION === 'true', timeoutMs: e.LLM_TIMEOUT_MS }
        : null,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? (e.NODE_ENV === 'production' ? 'json' : 'auto'),
    limits: { maxBytes: e.MAX_INPUT_BYTES, maxPixels: Math.round(e.MAX_INPUT_MEGAPIXELS * 1_000_000), budgetPixels: Math.round(e.DECODE_BUDGET_MEGAPIXELS * 1_000_000) },
    jobs: {
      leaseMs: e.JOB_LEASE_MS,
      maxAttempts: e.JOB_MAX_ATTEMPTS,
      maxCrashes: e.JOB_MAX_CRASHES,
      retryBaseMs: e.JOB_RETRY_BASE_MS,
      concurrency: e.WORKER_CONCURRENCY,
      pollMs: e.WORKER_POLL_MS,
    },
    redis: e.REDIS_URL ? { url: e.REDIS_URL, queueName: e.QUEUE_NAME } : null,
    caps: { perUser: e.MAX_JOBS_PER_USER, perConversation: e.MAX_JOBS_PER_CONVERSATION },
    workerInProcess: e.REDIS_URL ? e.WORKER_IN_PROCESS === 'true' : e.WORKER_IN_PROCESS !== 'false',
    workerGraceMs: e.WORKER_GRACE_MS,
    healthPort: e.HEALTH_PORT ?? null,
    healthHost: e.HEALTH_HOST,
    discord: {
      token: e.DISCORD_TOKEN ?? null,
      applicationId: e.DISCORD_APPLICATION_ID ?? null,
      guildId: e.DISCORD_GUILD_ID ?? null,
      ownerOnly: e.DISCORD_OWNER_ONLY === 'true',
      threadPerSession: e.DISCORD_THREAD_PER_SESSION === 'true',
      messageContent: e.DISCORD_MESSAGE_CONTENT === 'true',
      apiBase: e.DISCORD_API_BASE,
    },
    studio: { enabled: e.STUDIO_ENABLED === 'true', host: e.STUDIO_HOST, port: e.STUDIO_PORT },
    slack: slackConfig(e),
  };
}
