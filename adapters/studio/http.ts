import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * Small HTTP helpers for the studio: cookies, same-origin checks, bounded bodies and the headers every
 * response carries. No framework: the studio has a dozen routes and Node's http module is enough.
 */

export const cookieName = 'brushtalk_studio';
const cookieIdPattern = /^[A-Za-z0-9_-]{22,64}$/;
// A year: the cookie is the only key to a browser's sessions, so it should outlive a browser restart.
const cookieMaxAgeS = 365 * 24 * 3600;

/** A word for the person, with the HTTP status it goes out with. */
export class StudioHttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function readCookieId(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    const value = rest.join('=');
    if (name === cookieName && cookieIdPattern.test(value)) return value;
  }
  return null;
}

export function newCookieId(): string {
  return randomBytes(18).toString('base64url');
}

/** HttpOnly keeps the id away from page scripts; SameSite=Strict keeps it off every cross-site request. */
export function cookieHeader(id: string): string {
  return `${cookieName}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${cookieMaxAgeS}`;
}

/** A loopback bind address: localhost, ::1, or an IPv4 literal in 127.0.0.0/8. */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase();
  return name === 'localhost' || name === '::1' || name === '[::1]' || (isIPv4(name) && name.startsWith('127.'));
}

/** A Host header as a name and a port (null when absent); null for anything else (user info, paths, spaces, two colons). */
export function parseHostHeader(header: string): { name: string; port: number | null } | null {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(header);
  if (!match) return null;
  return { name: match[1].toLowerCase(), port: match[2] === undefined ? null : Number(match[2]) };
}

/**
 * On a loopback bind only this studio's own loopback addresses are served, compared whole after parsing: the
 * names 127.0.0.1, localhost, [::1] and the bind address itself, with the studio's port (a browser leaves the
 * port out only for 80). A DNS-rebinding page (evil.example, 127.0.0.1.nip.io resolving to 127.0.0.1) sends
 * its own name and gets nothing. A deliberate LAN bind (STUDIO_HOST=0.0.0.0) accepts any Host.
 */
export function hostAllowed(req: IncomingMessage, bindHost: string, port: number): boolean {
  if (!isLoopback(bindHost)) return true;
  const host = parseHostHeader(req.headers.host ?? '');
  if (!host) return false;
  const bind = bindHost.toLowerCase();
  const names = new Set(['127.0.0.1', 'localhost', '[::1]', isIPv6(bind) ? `[${bind}]` : bind]);
  return names.has(host.name) && (host.port ?? 80) === port;
}

/** CSRF: a state-changing request must come from a page of this very origin. */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  return origin !== undefined && origin === `http://${req.headers.host}`;
}

export function megabytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * The body, refused past `limit` with a worded error. An oversized body is still drained (up to a hard cap)
 * so the browser sees our answer instead of a reset connection halfway through its upload.
 */
export function readBody(req: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const tooLarge = (size: number) => new StudioHttpError(413, `That ${what} is ${megabytes(size)}; the studio takes up to ${megabytes(limit)}. Try a smaller version.`);
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit * 4 + 1024 * 1024) req.destroy();
      else if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => (size > limit ? reject(tooLarge(Math.max(size, declared || 0))) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(tooLarge(Math.max(size, declared || 0)));
    });
  });
}

/** Headers for every response: nothing framed, sniffed or cached, and only this origin's scripts run. */
export function baseHeaders(): Record<string, string> {
  return {
    'content-security-policy':
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-store',
  };
}

export function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...baseHeaders(), 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...extra });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}
