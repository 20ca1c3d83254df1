import { BrushtalkError } from './errors.ts';

export interface Listener {
  /** What listens, for the message: "the studio", "the health endpoints". */
  what: string;
  /** The variable that chooses its port. */
  envVar: string;
  port: number;
  host?: string;
}

/**
 * Start a server; a port that is taken or not allowed becomes a worded error naming the port and the
 * variable that picks another, instead of `listen EADDRINUSE` and a stack trace.
 */
export async function listenOrExplain<T>(listener: Listener, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw error;
    const { what, envVar, port, host } = listener;
    const where = host ? `${host}:${port}` : `port ${port}`;
    const other = port === 0 ? 0 : port + 1;
    const why =
      code === 'EADDRINUSE'
        ? `${where} is already in use (is brushtalk already running? Stop it, or run this one on another port)`
        : `${where} needs privileges this process does not have`;
    throw new BrushtalkError('server.port_in_use', `${what} cannot listen: ${why}. Choose another port with ${envVar} (for example ${envVar}=${other}).`, { cause: error });
  }
}
