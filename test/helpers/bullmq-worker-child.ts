/**
 * A `brushtalk worker` for the BullMQ tests, as its own process:
 * `node --import tsx bullmq-worker-child.ts <redisUrl> <queueName> slow|fast|poison [leaseMs] [concurrency] [maxCrashes] [engineMs] [retryBaseMs]`.
 * 'slow' holds each job for a minute (to be killed); 'fast' paints the hole after engineMs (default at once);
 * 'poison' kills its own process (SIGKILL) when a job reaches the engine. Prints "ready" once connected;
 * SIGTERM stops it gracefully.
 */
import { loadConfig } from '../../src/config.ts';
import { startStandaloneWorker } from '../../src/worker.ts';
import { silentLog } from './env.ts';
import { fakeEngine } from './fake-engine.ts';

const [url, queueName, mode, leaseMs = '1000', concurrency = '4', maxCrashes = '5', engineMs = '0', retryBaseMs = '20'] = process.argv.slice(2);
const config = loadConfig({ DATA_DIR: '/nonexistent', REDIS_URL: url, QUEUE_NAME: queueName, JOB_LEASE_MS: leaseMs, JOB_RETRY_BASE_MS: retryBaseMs, WORKER_CONCURRENCY: concurrency, WORKER_GRACE_MS: '2000', JOB_MAX_CRASHES: maxCrashes });
const fake = fakeEngine({ delayMs: mode === 'slow' ? 60_000 : Number(engineMs) });
const engine =
  mode === 'poison'
    ? {
        ...fake,
        async inpaint(): Promise<never> {
          process.stdout.write('engine reached\n');
          process.kill(process.pid, 'SIGKILL');
          return new Promise<never>(() => {});
        },
      }
    : fake;
const worker = startStandaloneWorker({ config, log: silentLog, engine });
await worker.ready();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void worker.stop().then(() => process.exit(0));
});
