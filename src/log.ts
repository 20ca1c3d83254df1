import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { styleText } from 'node:util';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

export type { Logger };

/**
 * Secrets never reach the logs: any field with one of these names is censored wherever it appears
 * (two levels deep covers our log shapes: `{ config: { token } }`, `{ headers: { authorization } }`).
 */
const secretKeys = ['token', 'botToken', 'apiKey', 'api_key', 'authorization', 'password', 'secret', 'signingSecret'];
const redactPaths = secretKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

/** 'json' for machines (piped, production); 'pretty' for a person at a terminal; 'auto' picks by the stream. */
export type LogFormat = 'json' | 'pretty' | 'auto';

export interface LogDestination {
  write(line: string): unknown;
  isTTY?: boolean;
  /** tty.WriteStream's: false under NO_COLOR or TERM=dumb. */
  hasColors?(): boolean;
}

export interface LoggerOptions {
  format?: LogFormat;
  /** Where lines go (default stderr); 'auto' reads its isTTY. */
  destination?: LogDestination;
}

/** JSON lines, or (format 'pretty', or 'auto' on a terminal) one readable line per entry; a bare stream means JSON to it. */
export function createLogger(level: string, options: LoggerOptions | LogDestination = {}): Logger {
  const { format = 'json', destination = process.stderr } = 'write' in options ? { destination: options } : options;
  const pretty = format === 'pretty' || (format === 'auto' && destination.isTTY === true);
  const color = destination.isTTY === true && (destination.hasColors?.() ?? true);
  const target = pretty ? { write: (line: string) => destination.write(prettyLine(line, color)) } : destination;
  return lazyLogger(level, () => {
    const { pino } = createRequire(import.meta.url)('pino') as typeof import('pino');
    return pino({ level, redact: { paths: redactPaths, censor: '[redacted]' }, base: { app: 'brushtalk' } }, target as NodeJS.WritableStream);
  });
}

const levelValues: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
const noop = () => {};

/**
 * pino is a dozen modules and node:worker_threads (≈ 15 ms of a command's start on Node 24): it loads when the
 * first line at the logger's level is written or anything else of it is used, so a command that logs nothing
 * (the command line runs at `warn`) never loads it. Until then the logger and its children are stand-ins that
 * keep their bindings; after, every property is pino's own.
 */
function lazyLogger(level: string, create: () => Logger): Logger {
  let real: Logger | undefined;
  const load = () => (real ??= create());
  const threshold = levelValues[level] ?? 0;
  const forward = (prop: string | symbol) => {
    const logger = load();
    const value: unknown = Reflect.get(logger, prop, logger);
    return typeof value === 'function' ? value.bind(logger) : value;
  };
  return new Proxy({} as Logger, {
    get(_, prop) {
      if (real || typeof prop !== 'string') return forward(prop);
      if (prop === 'level') return level;
      if (prop === 'isLevelEnabled') return (name: string) => (levelValues[name] ?? 0) >= threshold;
      if (prop === 'child') return (bindings: Bindings, options?: ChildLoggerOptions<never>) => lazyLogger(options?.level ?? level, () => load().child(bindings, options));
      if (prop in levelValues && prop !== 'silent') return levelValues[prop] < threshold ? noop : forward(prop);
      return forward(prop);
    },
    set(_, prop, value) {
      return Reflect.set(load(), prop, value);
    },
  });
}

const levelNames: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const levelColors: Record<string, Parameters<typeof styleText>[0]> = { warn: 'yellow', error: 'red', fatal: 'red', debug: 'gray', trace: 'gray' };
const hidden = new Set(['level', 'time', 'msg', 'app', 'pid', 'hostname', 'err']);

function fieldText(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return typeof value === 'string' && /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}

/**
 * One pino JSON line as a person reads it: `12:30:05 warn  message  key=value …`, an error as its message
 * (the JSON format keeps the stack for whoever collects the logs).
 */
export function prettyLine(json: string, color: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const paint = (style: Parameters<typeof styleText>[0], text: string) => (color ? styleText(style, text, { validateStream: false }) : text);
  const level = levelNames[Number(entry.level)] ?? String(entry.level);
  const time = new Date(Number(entry.time)).toTimeString().slice(0, 8);
  const fields = Object.entries(entry)
    .filter(([key]) => !hidden.has(key))
    .map(([key, value]) => `${key}=${fieldText(value)}`);
  const err = entry.err as { type?: string; message?: string } | undefined;
  if (err?.message) fields.push(`error=${fieldText(`${err.type ?? 'Error'}: ${err.message}`)}`);
  const head = `${paint('dim', time)} ${paint(levelColors[level] ?? 'green', level.padEnd(5))} ${String(entry.msg ?? '')}`;
  return `${[head, ...fields].join('  ')}\n`;
}

/**
 * A destination that keeps lines until released: `npm start` shows the studio's URL first and the start-up
 * logs after it. A start that takes longer than `maxMs` (Redis not answering, say) shows them anyway.
 */
export function holdLines(target: LogDestination, maxMs = 5_000): LogDestination & { release(): void } {
  let held: string[] | null = [];
  const timer = setTimeout(() => release(), maxMs);
  timer.unref();
  function release() {
    clearTimeout(timer);
    const lines = held ?? [];
    held = null;
    for (const line of lines) target.write(line);
  }
  return {
    isTTY: target.isTTY,
    hasColors: () => target.isTTY === true && (target.hasColors?.() ?? true),
    write(line) {
      if (held) held.push(line);
      else target.write(line);
      return true;
    },
    release,
  };
}

// Crockford base32 without ambiguous letters: easy to read aloud and to type into a log search.
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A short reference id, shown to users in error replies and attached to every log line of a turn or job (P: the process). */
export function newRef(prefix: 'T' | 'J' | 'P' = 'T'): string {
  const bytes = randomBytes(6);
  let out = '';
  for (const b of bytes) out += alphabet[b & 31];
  return `${prefix}-${out}`;
}
