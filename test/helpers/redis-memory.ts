import type { Redis } from 'ioredis';

/** What one BullMQ queue of ours holds in Redis, for the memory test and `npm run bench memory`. */
export interface RedisFootprint {
  /** INFO memory used_memory: every byte Redis has allocated, client buffers included. */
  usedMemory: number;
  /**
   * used_memory less the clients' query and reply buffers (mem_clients_normal): what the data takes. A client
   * that just sent or read a 6 MB picture keeps a buffer that size for a few seconds; that is not storage.
   */
  storedMemory: number;
  /** Job pictures still beside their jobs (payloads.ts): none once every outcome is applied. */
  payloadHashes: number;
  /** Entries in BullMQ's events stream, and the bytes it takes. */
  events: number;
  eventsBytes: number;
  /** Finished jobs BullMQ keeps. */
  completed: number;
  failed: number;
}

async function keys(client: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

export async function redisFootprint(client: Redis, queueName: string): Promise<RedisFootprint> {
  const info = await client.info('memory');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
  const usedMemory = field('used_memory');
  const events = `bull:${queueName}:events`;
  return {
    usedMemory,
    storedMemory: usedMemory - field('mem_clients_normal'),
    payloadHashes: (await keys(client, `brushtalk:${queueName}:payload:*`)).length,
    events: await client.xlen(events),
    eventsBytes: Number((await client.call('MEMORY', 'USAGE', events)) ?? 0),
    completed: await client.zcard(`bull:${queueName}:completed`),
    failed: await client.zcard(`bull:${queueName}:failed`),
  };
}

/** Bytes Redis needs for one job's hash (what BullMQ keeps of a finished job: its data and return value). */
export async function jobHashBytes(client: Redis, queueName: string, jobId: string): Promise<number> {
  return Number((await client.call('MEMORY', 'USAGE', `bull:${queueName}:${jobId}`)) ?? 0);
}

/**
 * The footprint once Redis has settled: client buffers of a 6 MB picture just sent are given back by Redis's own
 * cron over the next second or so, and used_memory follows. Reads until two readings 300 ms apart agree within
 * 64 KB (at most 10 s), so a test compares storage, not a buffer in flight.
 */
export async function settledRedisFootprint(client: Redis, queueName: string): Promise<RedisFootprint> {
  let last = await redisFootprint(client, queueName);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const next = await redisFootprint(client, queueName);
    if (Math.abs(next.storedMemory - last.storedMemory) < 64 * 1024) return next;
    last = next;
  }
  return last;
}
