import { Redis } from 'ioredis';
import type { Logger } from '../log.ts';

/**
 * The one module that creates Redis clients. BullMQ's Worker and QueueEvents block on their connection, so
 * every client retries a command for as long as Redis is away (`maxRetriesPerRequest: null`) rather than
 * failing it; BullMQ never closes a client it was given, so whoever asks for clients closes them.
 */
export interface RedisClients {
  /** A new connection (BullMQ duplicates it where it needs a blocking one). */
  client(name: string): Redis;
  close(): Promise<void>;
}

export function createRedisClients(url: string, log: Logger): RedisClients {
  const clients = new Set<Redis>();
  return {
    client(name) {
      const client = new Redis(url, { maxRetriesPerRequest: null, connectionName: `brushtalk:${name}`, lazyConnect: false });
      // ioredis reconnects on its own; without a listener an 'error' event would crash the process.
      client.on('error', (error: Error) => log.warn({ err: error.message, client: name }, 'redis connection error'));
      clients.add(client);
      return client;
    },
    async close() {
      await Promise.all(
        [...clients].map(async (client) => {
          clients.delete(client);
          await client.quit().catch(() => client.disconnect());
        }),
      );
    },
  };
}

/** Redis-side keys of ours, next to BullMQ's own under the same prefix. */
export const cancelKey = (queueName: string, jobId: string) => `brushtalk:${queueName}:cancel:${jobId}`;
