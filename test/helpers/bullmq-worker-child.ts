/**
 * A `brushtalk worker` for the BullMQ tests, as its own process:
 * `node --import tsx bullmq-worker-child.ts <redisUrl> <queueName> slow|fast [leaseMs]`.
 * 'slow' holds each job for a minute (to be killed); 'fast' paints the hole at once. Prints "ready" once
 * connected; SIGTERM stops it gracefully.
 */
import { loadConfig } from '../../src/config.ts';
import { startStandaloneWorker } from '../../src/worker.ts';
import { silentLog } from './env.ts';
import { fakeEngine } from './fake-engine.ts';

const [url, queueName, mode, leaseMs = '1000', concurrency = '4'] = process.argv.slice(2);
const config = loadConfig({ DATA_DIR: '/nonexistent', REDIS_URL: url, QUEUE_NAME: queueName, JOB_LEASE_MS: leaseMs, JOB_RETRY_BASE_MS: '20', WORKER_CONCURRENCY: concurrency, WORKER_GRACE_MS: '2000' });
const engine = fakeEngine({ delayMs: mode === 'slow' ? 60_000 : 0 });
const worker = startStandaloneWorker({ config, log: silentLog, engine });
await worker.ready();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void worker.stop().then(() => process.exit(0));
});
