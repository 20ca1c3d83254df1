import type { Config } from './config.ts';
import { createRenderProcessor } from './edit/remote.ts';
import type { InpaintEngine } from './engines/engine.ts';
import { BrushtalkError } from './errors.ts';
import { createPixelBudget } from './images/budget.ts';
import { createJobMetrics } from './health/metrics.ts';
import type { HealthChecks } from './health/server.ts';
import type { Logger } from './log.ts';
import { startBullmqWorker } from './jobs/bullmq-worker.ts';
import { createPayloadStore } from './jobs/payloads.ts';
import { createRedisClients } from './jobs/redis.ts';

export interface StandaloneWorker {
  ready(): Promise<void>;
  /** Finish (or after WORKER_GRACE_MS hand back) the current jobs, then disconnect. */
  stop(): Promise<void>;
  health: HealthChecks;
}

/**
 * `brushtalk worker`: pulls edits from Redis and renders them with the configured engine. It needs no
 * database and no chat tokens — the pictures wait beside the job in Redis and the bots apply the results.
 */
export function startStandaloneWorker(options: { config: Config; log: Logger; engine: InpaintEngine }): StandaloneWorker {
  const { config, log, engine } = options;
  if (!config.redis) throw new BrushtalkError('config.invalid', 'Configuration error: `brushtalk worker` needs REDIS_URL (the Redis the bots queue edits on).');
  const redis = createRedisClients(config.redis.url, log);
  const metrics = createJobMetrics('worker');
  const payloads = createPayloadStore(redis.client('payloads'), config.redis.queueName);
  const limits = { ...config.limits, budget: createPixelBudget(config.limits.budgetPixels) };
  const worker = startBullmqWorker(createRenderProcessor({ engine, limits, payloads }), {
    redis,
    queueName: config.redis.queueName,
    concurrency: config.jobs.concurrency,
    leaseMs: config.jobs.leaseMs,
    maxCrashes: config.jobs.maxCrashes,
    crashPauseMs: config.jobs.retryBaseMs,
    graceMs: config.workerGraceMs,
    log,
    onFinished: (outcome) => metrics.finished(outcome),
  });
  let stopped: Promise<void> | null = null;
  return {
    ready: () => worker.ready(),
    stop() {
      stopped ??= (async () => {
        await worker.stop();
        await engine.close();
        await redis.close();
      })();
      return stopped;
    },
    health: {
      async ready() {
        if (!worker.running()) return false;
        await worker.counts();
        return true;
      },
      async metrics() {
        return metrics.render(await worker.counts(), { brushtalk_worker_concurrency: config.jobs.concurrency });
      },
    },
  };
}
