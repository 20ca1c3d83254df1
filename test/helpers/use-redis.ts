import { afterAll, beforeAll } from 'vitest';
import { redisAvailable, startRedis, warnIfNoRedis, type RunningRedis } from './redis.ts';

/**
 * One real redis-server for the calling test file: started before its tests, stopped after. Separate from
 * redis.ts because the benchmarks start Redis too, outside vitest. Pair with `describe.skipIf(!redisAvailable)`.
 */
export function useRedis(suite: string): { url(): string } {
  warnIfNoRedis(suite);
  let running: RunningRedis | undefined;
  beforeAll(async () => {
    if (redisAvailable) running = await startRedis();
  }, 30_000);
  afterAll(() => running?.stop());
  return {
    url() {
      if (!running) throw new Error('redis-server is not running');
      return running.url;
    },
  };
}
