import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.ts';

export interface HealthChecks {
  /** Ready to take work (connected to its database / Redis). */
  ready(): Promise<boolean>;
  /** Prometheus text for /metrics. */
  metrics(): Promise<string>;
}

export interface HealthServer {
  port: number;
  /** The address it listens on (HEALTH_HOST). */
  host: string;
  close(): Promise<void>;
}

/**
 * /healthz (the process answers), /readyz (its dependencies answer: 503 otherwise) and /metrics, for a bot
 * or a worker. Port 0 picks a free one (tests); all interfaces unless `host` says otherwise.
 */
export async function startHealthServer(port: number, checks: HealthChecks, log: Logger, host = '0.0.0.0'): Promise<HealthServer> {
  const server = http.createServer((request, response) => {
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    const route = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'method not allowed\n');
    if (route === '/healthz') return send(200, 'ok\n');
    if (route === '/readyz') {
      void withTimeout(checks.ready(), 2000).then(
        (ok) => send(ok ? 200 : 503, ok ? 'ready\n' : 'not ready\n'),
        () => send(503, 'not ready\n'),
      );
      return;
    }
    if (route === '/metrics') {
      void withTimeout(checks.metrics(), 5000).then(
        (text) => send(200, text, 'text/plain; version=0.0.4; charset=utf-8'),
        (error: unknown) => {
          log.warn({ err: error }, 'metrics failed');
          send(503, 'metrics unavailable\n');
        },
      );
      return;
    }
    send(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  log.info({ host: address.address, port: address.port }, 'health endpoints listening: /healthz /readyz /metrics');
  return {
    port: address.port,
    host: address.address,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), ms);
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });
}
