import { setTimeout as delay } from 'node:timers/promises';
import { createBlobStore } from '../db/blobs.ts';
import { createSqliteJobQueue } from '../db/job-queue.ts';
import { openDatabase, type Database_ } from '../db/open.ts';
import { createSessionStore } from '../db/store.ts';
import type { Config } from './config.ts';
import type { ChatAdapter, ConversationRef, Core } from './contracts.ts';
import { createEditProcessor } from './edit/run-edit.ts';
import { createClassicalEngine } from './engines/classical.ts';
import type { InpaintEngine } from './engines/engine.ts';
import type { JobQueue, WorkerHandle } from './jobs/queue.ts';
import type { Logger } from './log.ts';
import type { BlobStore, SessionStore } from './store.ts';
import { createDefaultVision } from './vision/models.ts';
import type { VisionService } from './vision/service.ts';
import { startResultDelivery } from './turn/deliver.ts';
import { findInPicture } from './turn/find.ts';
import { createTurnHandler, type Interpreter } from './turn/turn.ts';
import { createDefaultInterpreter } from './agent/models.ts';

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
  close(): Promise<void>;
}

export function createApp(options: AppOptions): App {
  const { config, log, engine = createClassicalEngine(), vision = createDefaultVision(config, log) } = options;
  const interpret = options.interpret ?? createDefaultInterpreter(config, log).interpret;
  const database = openDatabase(config.databasePath);
  const sessions = createSessionStore(database.db, config.jobs.maxAttempts);
  const blobs = createBlobStore(database.db, config.blobDir);
  const queue = createSqliteJobQueue(database.db, { ...config.jobs, log });
  const adapters = new Map<string, ChatAdapter>();
  const delivery = startResultDelivery({ queue, sessions, blobs, log, replyTo: (ref) => adapters.get(ref.platform)?.replyTo(ref) ?? null });
  const handleTurn = createTurnHandler({ sessions, blobs, queue, log, limits: config.limits, engine, vision, interpret });
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
      async findInPicture(image, phrase) {
        const found = await findInPicture(vision, config.limits, image, phrase);
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
    },
    startWorker() {
      worker ??= queue.run(createEditProcessor({ sessions, blobs, engine, limits: config.limits, log }), { concurrency: config.jobs.concurrency });
    },
    async close() {
      await worker?.stop();
      await delivery.flush();
      delivery.stop();
      await engine.close();
      await vision.close();
      await queue.close();
      database.close();
    },
  };
}
