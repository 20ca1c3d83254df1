/**
 * A worker process for the crash-recovery test: `tsx worker-child.ts <dataDir> slow|classical|poison`.
 * 'slow' holds every job until it is killed; 'classical' runs the real engine and exits once the queue
 * has nothing left to do; 'poison' kills its own process (SIGKILL) whenever a job reaches the engine, as a
 * picture that crashes the native code would, and otherwise exits once the queue is empty.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { createApp } from '../../src/app.ts';
import { createClassicalEngine } from '../../src/engines/classical.ts';
import { testConfig, silentLog } from './env.ts';
import { fakeEngine } from './fake-engine.ts';

const [dataDir, mode] = process.argv.slice(2);
const poison = {
  ...fakeEngine(),
  async inpaint(): Promise<never> {
    process.stdout.write('engine reached\n');
    process.kill(process.pid, 'SIGKILL');
    return new Promise<never>(() => {});
  },
};
const engine = mode === 'slow' ? fakeEngine({ delayMs: 60_000 }) : mode === 'poison' ? poison : createClassicalEngine();
const app = await createApp({ config: testConfig(dataDir, { JOB_LEASE_MS: '60000' }), log: silentLog, engine });
app.startWorker();
process.stdout.write('worker started\n');
if (mode !== 'slow') {
  const db = app.database.sqlite;
  const pending = () => (db.prepare("SELECT count(*) AS n FROM jobs WHERE state IN ('queued', 'running')").get() as { n: number }).n;
  while (pending() > 0) await delay(50);
  await app.close();
}
