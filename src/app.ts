import { setTimeout as delay } from 'node:timers/promises';
import { createBlobStore } from '../db/blobs.ts';
import { createJobDeliveries } from '../db/deliveries.ts';
import { createSqliteJobQueue } from '../db/job-queue.ts';
import { createJobRecords } from '../db/job-records.ts';
import { openDatabase, type Database_ } from '../db/open.ts';
import { pruneSeen } from '../db/seen.ts';
import { createSettingsStore } from '../db/settings.ts';
import { createSessionStore } from '../db/store.ts';
import type { Config } from './config.ts';
import type { ChatAdapter, ConversationRef, Core } from './contracts.ts';
import { createEditProcessor } from './edit/run-edit.ts';
import { createRenderProcessor, remoteEditPayload, remoteEditSettler } from './edit/remote.ts';
import { createJobMetrics } from './health/metrics.ts';
import type { BullmqJobQueue } from './jobs/bullmq-queue.ts';
import { createPayloadStore, type PayloadStore } from './jobs/payloads.ts';
import type { RedisClients } from './jobs/redis.ts';
import type { InpaintEngine } from './engines/engine.ts';
import { createPixelBudget } from './images/budget.ts';
import type { DecodeLimits } from './images/codec.ts';
import type { JobQueue, WorkerHandle } from './jobs/queue.ts';
import type { Logger } from './log.ts';
import type { BlobStore, SessionStore } from './store.ts';
import { createDefaultVision, modelChecker } from './vision/models.ts';
import { createDefaultEngine } from './engines/select.ts';
import { serviceStatus } from './status.ts';
import { createSessionViews } from './turn/view.ts';
import type { VisionService } from './vision/service.ts';
import { startResultDelivery } from './turn/deliver.ts';
import { findInPicture } from './turn/find.ts';
import { createTurnHandler, type Interpreter } from './turn/turn.ts';

export interface AppOptions {
  config: Config;
  log: Logger;
  /** Defaults to the engine the installed weights allow (today: the classical engine). */
  engine?: InpaintEngine;
  /** Defaults to the detector and segmenter under WEIGHTS_DIR, run in a worker thread. */
  vision?: VisionService;
  /** Defaults to the agent on the configured LLM, or the offline instructor. */
  interpret?: Interpreter;
}

/** The embedded service: one SQLite file, an in-process worker, and whatever adapters are attached. */
export interface App {
  core: Core;
  sessions: SessionStore;
  blobs: BlobStore;
  queue: JobQueue;
  engine: InpaintEngine;
  vision: VisionService;
  database: Database_;
  attach(adapter: ChatAdapter): void;
  startWorker(): void;
  /** Connected and listening (BullMQ: Redis answers, and queued rows a crash left behind were sent). */
  ready(): Promise<void>;
  /** Readiness and Prometheus text for the health server. */
  health: { ready(): Promise<boolean>; metrics(): Promise<string> };
  close(): Promise<void>;
}

/**
 * The agent on the configured LLM, or on the offline instructor. LangChain is imported at the first free-text
 * turn, not at start: a process that only runs commands (`brushtalk history`, undo, "mask grow 12") never loads it.
 */
function defaultInterpreter(config: Config, log: Logger): Interpreter {
  const load = async (): Promise<Interpreter> => {
    const { createDefaultInterpreter } = await import('./agent/models.ts');
    return (await createDefaultInterpreter(config, log)).interpret;
  };
  let loaded: Promise<Interpreter> | null = null;
  return async (ops, text, turnLog) => {
    loaded ??= load();
    return (await loaded)(ops, text, turnLog);
  };
}

/** BullMQ and ioredis are imported only when REDIS_URL is set: loading them costs a noticeable part of a second. */
async function loadBullmq() {
  const [{ createRedisClients }, { createBullmqJobQueue }] = await Promise.all([import('./jobs/redis.ts'), import('./jobs/bullmq-queue.ts')]);
  return { createRedisClients, createBullmqJobQueue };
}

export async function createApp(options: AppOptions): Promise<App> {
  const { config, log } = options;
  // One pixel budget for the process: turns decoding uploads and the in-process worker's edits share it.
  const limits: DecodeLimits = { ...config.limits, budget: createPixelBudget(config.limits.budgetPixels) };
  const engine = options.engine ?? (await createDefaultEngine(config, log));
  const vision = options.vision ?? createDefaultVision(config, log);
  const interpret = options.interpret ?? defaultInterpreter(config, log);
  const bullmq = config.redis ? await loadBullmq() : null;
  const database = openDatabase(config.databasePath);
  // Platforms stop redelivering within minutes; a week of remembered event ids is plenty, so the table stays small.
  pruneSeen(database.db);
  // Read the manifest once: the studio asks for the status on every refresh.
  const checkVisionModel = modelChecker(config);
  const sessions = createSessionStore(database.db, config.jobs.maxAttempts);
  const blobs = createBlobStore(database.db, config.blobDir);
  // REDIS_URL: jobs go through BullMQ (workers anywhere); otherwise the embedded SQLite queue.
  const records = createJobRecords(database.db, config.jobs.maxAttempts);
  const redis: RedisClients | null = bullmq && config.redis ? bullmq.createRedisClients(config.redis.url, log) : null;
  // Through Redis the pictures travel beside the job, by reference, and go once the outcome is applied.
  const payloads: PayloadStore | null = redis && config.redis ? createPayloadStore(redis.client('payloads'), config.redis.queueName) : null;
  const bull: BullmqJobQueue | null =
    bullmq && redis && payloads && config.redis
      ? bullmq.createBullmqJobQueue({
          redis,
          queueName: config.redis.queueName,
          records,
          maxAttempts: config.jobs.maxAttempts,
          maxCrashes: config.jobs.maxCrashes,
          retryBaseMs: config.jobs.retryBaseMs,
          leaseMs: config.jobs.leaseMs,
          log,
          prepare: (record) => remoteEditPayload(blobs, payloads, record),
          settle: remoteEditSettler({ sessions, blobs, payloads, log }),
          discard: (jobId) => payloads.drop(jobId),
        })
      : null;
  const queue: JobQueue = bull ?? createSqliteJobQueue(database.db, { ...config.jobs, log });
  const metrics = createJobMetrics('bot');
  queue.on((event) => {
    if (event.type === 'done') metrics.finished({ ok: true, ms: Number((event.job.result?.metrics as { totalMs?: number } | undefined)?.totalMs ?? 0) });
    if (event.type === 'failed') metrics.finished({ ok: false, ms: 0, code: event.job.error?.code });
  });
  const adapters = new Map<string, ChatAdapter>();
  const delivery = startResultDelivery({
    queue,
    sessions,
    blobs,
    log,
    // A delivery is held for a lease: a process that dies while sending leaves it to the next sweep anywhere.
    deliveries: createJobDeliveries(database.db, config.jobs.leaseMs),
    sweepMs: Math.max(500, Math.floor(config.jobs.leaseMs / 2)),
    replyTo: (ref) => adapters.get(ref.platform)?.replyTo(ref) ?? null,
  });
  const views = createSessionViews({ sessions, blobs, queue });
  const handleTurn = createTurnHandler({ sessions, settings: createSettingsStore(database.db), blobs, queue, log, limits, engine, vision, interpret, caps: config.caps });
  let worker: WorkerHandle | null = null;

  async function settled(ref: ConversationRef): Promise<void> {
    const session = sessions.loadByRef(ref);
    if (!session) return;
    // Wake on this conversation's job events when the worker runs here; the poll covers a worker elsewhere.
    while ((await queue.activeJobs(session.id)).length > 0) {
      const woken = new AbortController();
      const unsubscribe = queue.on((event) => {
        if (event.job.conversationId === session.id && event.type !== 'progress') woken.abort();
      });
      await delay(config.jobs.pollMs, undefined, { signal: woken.signal }).catch(() => undefined);
      unsubscribe();
    }
    await delivery.flush();
  }

  return {
    core: {
      handleTurn,
      settled,
      async view(ref) {
        return views.view(ref, await views.activeJobs(ref));
      },
      picture: (ref, blobId) => views.picture(ref, blobId),
      cliSessions: () => sessions.listChannels('cli', 'local', 50),
      status: () => serviceStatus(config, engine, checkVisionModel),
      async findInPicture(image, phrase) {
        const found = await findInPicture(vision, limits, image, phrase);
        const { boxes, selected, threshold } = found.detections;
        const lines = boxes.map(
          (b, i) => `${selected.includes(i) ? '*' : ' '} ${i + 1}. ${b.label} ${(b.score * 100).toFixed(0)}% at ${b.x},${b.y},${b.w},${b.h}`,
        );
        lines.push(`threshold ${threshold}${found.boxesOnly ? ' · no segmenter installed: the mask is the boxes' : ''} · ${Math.round(found.timings.total ?? 0)} ms`);
        return { maskPng: found.maskPng, overlayPng: found.overlayPng, lines };
      },
    },
    sessions,
    blobs,
    queue,
    engine,
    vision,
    database,
    attach(adapter) {
      adapters.set(adapter.platform, adapter);
      // Outcomes a previous process finished but never sent to this platform's conversations.
      delivery.sweep();
    },
    startWorker() {
      // Through Redis the worker renders from the job alone, as a remote one would; the bot applies the result.
      const processor = bull && payloads ? createRenderProcessor({ engine, limits, payloads }) : createEditProcessor({ sessions, blobs, engine, limits, log });
      worker ??= queue.run(processor, { concurrency: config.jobs.concurrency });
    },
    async ready() {
      await bull?.ready();
    },
    health: {
      async ready() {
        records.counts(null, null); // the database answers
        if (bull) await bull.counts(); // Redis answers
        return true;
      },
      async metrics() {
        const { queued, running } = records.counts(null, null);
        const depth = bull ? await bull.counts() : { waiting: queued, active: running };
        return metrics.render(depth, { brushtalk_records_queued: queued, brushtalk_records_running: running });
      },
    },
    async close() {
      await worker?.stop();
      await delivery.flush();
      delivery.stop();
      await engine.close();
      await vision.close();
      await queue.close();
      await redis?.close();
      database.close();
    },
  };
}
