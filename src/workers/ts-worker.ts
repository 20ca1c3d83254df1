import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Start a worker_threads worker from a TypeScript file.
 *
 * `new Worker(url, { execArgv: ['--import', 'tsx'] })` does not work on Node 20: tsx 4.23 registers its ESM
 * hooks in worker threads only on Node >= 22.22.3 / 24.11.1, and a worker does not inherit them from a
 * parent under vitest or under the tsx CLI. tsx's CommonJS API hooks `require` inside the thread itself, so
 * a one-line eval bootstrap loads the .ts worker the same way everywhere (packages load through their
 * "require" exports). Paths are absolute so neither the cwd nor the caller's loader matters.
 */
const tsxCjsApi = createRequire(import.meta.url).resolve('tsx/cjs/api');

export function spawnTsWorker(file: URL, name: string, workerData?: unknown): Worker {
  const path = fileURLToPath(file);
  const bootstrap = `require(${JSON.stringify(tsxCjsApi)}).require(${JSON.stringify(path)}, ${JSON.stringify(pathToFileURL(path).href)});`;
  // execArgv: [] so the tsx CLI's own flags (signal relays, ESM loader) are not replayed inside the thread.
  return new Worker(bootstrap, { eval: true, execArgv: [], name, workerData });
}
