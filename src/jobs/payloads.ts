import type { Redis } from 'ioredis';
import { BrushtalkError } from '../errors.ts';

/**
 * Pictures that travel with a BullMQ job, by reference: one Redis hash per job holds its input PNGs (written
 * by the bot when it dispatches) and the rendered PNGs (written by the worker), as raw bytes. The job itself,
 * its return value and the events stream carry only names, so they stay a few hundred bytes whatever the
 * picture's size. The bot drops the hash as soon as the job's outcome is applied; the expiry only catches a
 * hash whose bot died at that moment.
 */
export interface PayloadStore {
  /** keepSeconds: how long the job's pictures may outlive a bot that never drops them (default a week). */
  put(jobId: string, name: string, bytes: Uint8Array, keepSeconds?: number): Promise<void>;
  get(jobId: string, name: string): Promise<Buffer>;
  drop(jobId: string): Promise<void>;
}

/** A week: longer than any job waits in the queue; a dropped job's pictures go at once anyway. */
const inputSeconds = 7 * 24 * 3600;
/** Results are applied within moments (or at a restarted bot's reconcile, within the hour it keeps jobs). */
export const resultSeconds = 24 * 3600;

export const payloadKey = (queueName: string, jobId: string) => `brushtalk:${queueName}:payload:${jobId}`;

export function createPayloadStore(client: Redis, queueName: string): PayloadStore {
  return {
    async put(jobId, name, bytes, keepSeconds = inputSeconds) {
      const key = payloadKey(queueName, jobId);
      await client.multi().hset(key, name, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).expire(key, keepSeconds).exec();
    },
    async get(jobId, name) {
      const bytes = await client.hgetBuffer(payloadKey(queueName, jobId), name);
      if (!bytes) throw new BrushtalkError('job.not_found', 'The pictures for this edit are no longer on the queue; send the picture again.');
      return bytes;
    },
    async drop(jobId) {
      await client.del(payloadKey(queueName, jobId));
    },
  };
}
