import { newRef, type Logger } from './log.ts';

export interface LastResortOptions {
  log: Logger;
  /** The process (tests pass their own). */
  target?: Pick<NodeJS.Process, 'on' | 'off'>;
  exit?: (code: number) => void;
}

/**
 * The process-level last resort, for what every handler's own try/catch missed. Each is logged once, at
 * fatal/error, with a reference (P-…) to find it.
 *
 * - An unhandled rejection is a promise nobody awaited: an adapter's fire-and-forget handler, a library's
 *   internal promise. The work it belonged to is lost, but nothing was cut off half-way and every other turn,
 *   job and connection is intact, so the process keeps serving.
 * - An uncaught exception was thrown out of a callback while it ran (an event emitter without an error
 *   listener, a timer): whatever it was doing stopped half-way and what it held in memory (a lease's
 *   heartbeat, a socket, a lock) may be inconsistent, so the process exits with 1 for its supervisor to
 *   restart. Nothing durable is lost: SQLite transactions are whole or absent, a running job's lease runs out
 *   and it goes back to the queue without spending an attempt, and a message is marked seen only with its
 *   turn's session, so the platform's redelivery is taken.
 */
export function installLastResort(options: LastResortOptions): () => void {
  const target = options.target ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const onRejection = (reason: unknown) => {
    options.log.error({ ref: newRef('P'), err: reason }, 'unhandled promise rejection; still serving');
  };
  const onException = (error: Error) => {
    options.log.fatal({ ref: newRef('P'), err: error }, 'uncaught exception; exiting for the supervisor to restart');
    exit(1);
  };
  target.on('unhandledRejection', onRejection);
  target.on('uncaughtException', onException);
  return () => {
    target.off('unhandledRejection', onRejection);
    target.off('uncaughtException', onException);
  };
}
