import path from 'node:path';
import { z } from 'zod';
import { BrushtalkError } from './errors.ts';

/**
 * The only module that reads process.env. Everything has an embedded default so `npm start` works on a
 * clean clone; a bad value fails fast and names the variable.
 */
const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_PATH: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAX_INPUT_BYTES: integer(1024, 1024 ** 3).default(25 * 1024 * 1024),
  MAX_INPUT_MEGAPIXELS: z.coerce.number().positive().max(268).default(40),
  JOB_LEASE_MS: integer(200, 3_600_000).default(30_000),
  JOB_MAX_ATTEMPTS: integer(1, 20).default(3),
  JOB_RETRY_BASE_MS: integer(0, 600_000).default(2_000),
  WORKER_CONCURRENCY: integer(1, 16).default(1),
  WORKER_POLL_MS: integer(10, 60_000).default(250),
  WEIGHTS_DIR: z.string().min(1).optional(),
  DETECTOR_MODEL: z.string().min(1).default('grounding-dino-tiny'),
  SEGMENTER_MODEL: z.string().min(1).default('slimsam-77'),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().optional(),
  LLM_MODEL: z.string().min(1).default('gpt-4o-mini'),
  LLM_VISION: z.enum(['true', 'false']).default('true'),
  LLM_TIMEOUT_MS: integer(1000, 600_000).default(60_000),
});

export interface Config {
  dataDir: string;
  databasePath: string;
  blobDir: string;
  outDir: string;
  /** Downloaded model folders, one per manifest id (transformers.js layout). */
  weightsDir: string;
  models: { detector: string; segmenter: string };
  /** The chat model behind the agent; null runs the offline instructor. */
  llm: { model: string; apiKey: string; baseURL: string | undefined; vision: boolean; timeoutMs: number } | null;
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  limits: { maxBytes: number; maxPixels: number };
  jobs: { leaseMs: number; maxAttempts: number; retryBaseMs: number; concurrency: number; pollMs: number };
}

export type Environment = Record<string, string | undefined>;

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
    // A key, or a base URL for a local OpenAI-compatible server (which often needs no key), turns the LLM on.
    llm:
      e.OPENAI_API_KEY || e.OPENAI_BASE_URL
        ? { model: e.LLM_MODEL, apiKey: e.OPENAI_API_KEY ?? 'not-needed', baseURL: e.OPENAI_BASE_URL, vision: e.LLM_VISION === 'true', timeoutMs: e.LLM_TIMEOUT_MS }
        : null,
    logLevel: e.LOG_LEVEL,
    limits: { maxBytes: e.MAX_INPUT_BYTES, maxPixels: Math.round(e.MAX_INPUT_MEGAPIXELS * 1_000_000) },
    jobs: {
      leaseMs: e.JOB_LEASE_MS,
      maxAttempts: e.JOB_MAX_ATTEMPTS,
      retryBaseMs: e.JOB_RETRY_BASE_MS,
      concurrency: e.WORKER_CONCURRENCY,
      pollMs: e.WORKER_POLL_MS,
    },
  };
}
