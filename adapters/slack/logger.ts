import type { AppOptions } from '@slack/bolt';
import { LogLevel } from '@slack/bolt';
import type { Logger } from '../../src/log.ts';

type BoltLogger = NonNullable<AppOptions['logger']>;

/** Bolt's and the WebClient's log lines go to our logger (and its redaction), not to the console. */
export function boltLogger(log: Logger): BoltLogger {
  const child = log.child({ component: 'slack' });
  const line = (parts: unknown[]) => parts.map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
  let level = LogLevel.INFO;
  return {
    debug: (...parts: unknown[]) => child.debug(line(parts)),
    info: (...parts: unknown[]) => child.info(line(parts)),
    warn: (...parts: unknown[]) => child.warn(line(parts)),
    error: (...parts: unknown[]) => child.error(line(parts)),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
