import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';

/** A fresh data dir with its own SQLite file, removed by the returned cleanup. */
export function tempDataDir(): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-test-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function testConfig(dataDir: string, overrides: Record<string, string> = {}): Config {
  return loadConfig({ DATA_DIR: dataDir, JOB_RETRY_BASE_MS: '20', WORKER_POLL_MS: '20', JOB_LEASE_MS: '2000', ...overrides });
}

export const silentLog = createLogger('silent');
