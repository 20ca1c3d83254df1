import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Start a worker_threads worker from a TypeScript file: `spawnTsWorker(new URL('./x-worker.ts', import.meta.url), …)`.
 *
 * Compiled (scripts/compile.js), each file started this way is an entry point of the build: the worker is that
 * JavaScript, started as it is with source maps on for its stack traces; no tsx.
 *
 * From the sources (tests, the tsx fallback), `new Worker(url, { execArgv: ['--import', 'tsx'] })` does not work on
 * Node 20: tsx 4.23 registers its ESM hooks in worker threads only on Node >= 22.22.3 / 24.11.1, and a worker does
 * not inherit them from a parent under vitest or under the tsx CLI. tsx's CommonJS API hooks `require` inside the
 * thread itself, so a one-line eval bootstrap loads the .ts worker the same way everywhere (packages load through
 * their "require" exports). Paths are absolute so neither the cwd nor the caller's loader matters.
 */
export function spawnTsWorker(file: URL, name: string, workerData?: unknown): Worker {
  const source = fileURLToPath(file);
  if (build) {
    const compiled = path.join(build.dir, path.relative(build.root, source)).replace(/\.ts$/, '.js');
    return new Worker(compiled, { execArgv: ['--enable-source-maps'], name, workerData });
  }
  const tsxCjsApi = createRequire(import.meta.url).resolve('tsx/cjs/api');
  const bootstrap = `require(${JSON.stringify(tsxCjsApi)}).require(${JSON.stringify(source)}, ${JSON.stringify(pathToFileURL(source).href)});`;
  // execArgv: [] so the tsx CLI's own flags (signal relays, ESM loader) are not replayed inside the thread.
  return new Worker(bootstrap, { eval: true, execArgv: [], name, workerData });
}

/** Set by the build (esbuild `define`): the package root and the build folder. Absent when running the sources. */
declare const BRUSHTALK_BUILD: { root: string; dir: string } | undefined;
const build = typeof BRUSHTALK_BUILD === 'object' ? BRUSHTALK_BUILD : undefined;
