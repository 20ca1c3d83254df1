import { randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Secrets never reach the logs: any field with one of these names is censored wherever it appears
 * (two levels deep covers our log shapes: `{ config: { token } }`, `{ headers: { authorization } }`).
 */
const secretKeys = ['token', 'botToken', 'apiKey', 'api_key', 'authorization', 'password', 'secret', 'signingSecret'];
const redactPaths = secretKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

export function createLogger(level: string, destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino({ level, redact: { paths: redactPaths, censor: '[redacted]' }, base: { app: 'brushtalk' } }, destination);
}

// Crockford base32 without ambiguous letters: easy to read aloud and to type into a log search.
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A short reference id, shown to users in error replies and attached to every log line of a turn or job. */
export function newRef(prefix: 'T' | 'J' = 'T'): string {
  const bytes = randomBytes(6);
  let out = '';
  for (const b of bytes) out += alphabet[b & 31];
  return `${prefix}-${out}`;
}
