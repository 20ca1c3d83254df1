import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Logger } from '../../src/log.ts';

/**
 * The door in front of Bolt's HTTP receiver. Bolt reads fields of whatever JSON a request carries before its own
 * error handling starts (`null.ssl_check` is an unhandled rejection, and that ends the process), so every body
 * is read here first, bounded, and must be what Slack sends: a JSON object, or a form whose `payload` is one.
 * Anything else gets a worded 400; the body then goes to Bolt already read, and Bolt checks the signature as
 * before. Only POSTs to the events path carry bodies; other requests go to Bolt's listener untouched.
 */

export interface InboundOptions {
  log: Logger;
  /** Where Slack posts (Bolt's endpoint). */
  path: string;
  /** The largest body read (Bolt's own default is 4 MB; Slack's payloads are far smaller). */
  maxBytes: number;
}

class InboundError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** The body, whole, or an InboundError(413) once past `max` (what is left is drained, so the client reads our answer). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max * 4) req.destroy();
      else if (size <= max) chunks.push(chunk);
    });
    const tooLarge = () => new InboundError(413, `The request body is over ${max} bytes; Slack never sends that much.`);
    req.on('end', () => (size > max ? reject(tooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
    // Destroyed past the hard cap, or the client went away: settle, so nothing read is held.
    req.on('close', () => {
      if (!req.complete) reject(size > max ? tooLarge() : new InboundError(400, 'The request ended before its body did.'));
    });
  });
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InboundError(400, `This is not a Slack request: ${what} is not valid JSON.`);
  }
}

/**
 * What Bolt will make of the body, read the way Bolt reads it (a form only under its exact content type, its
 * `payload` field as JSON), checked to be an object: throws the worded refusal otherwise.
 */
export function checkSlackBody(raw: Buffer, contentType: string | undefined): void {
  const text = raw.toString('utf8');
  let body: unknown;
  if (contentType === 'application/x-www-form-urlencoded') {
    const fields = parseQuery(text);
    body = typeof fields.payload === 'string' ? parseJson(fields.payload, 'its payload') : fields;
  } else {
    body = parseJson(text, 'the body');
  }
  if (!isObject(body)) throw new InboundError(400, `This is not a Slack request: the body is ${body === null ? 'null' : Array.isArray(body) ? 'a list' : `a ${typeof body}`}, not an object.`);
  // An Events API envelope carries its event as an object; Bolt reads its fields before any handler runs.
  if (body.type === 'event_callback' && !isObject(body.event)) throw new InboundError(400, 'This is not a Slack event: the envelope has no event object.');
}

function refuse(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
  res.end(`${message}\n`);
}

/** Bolt's request listener behind the door. Bolt takes a request whose `rawBody` is already read as is. */
export function guardSlackRequests(bolt: RequestListener, options: InboundOptions): RequestListener {
  async function take(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const raw = await readBody(req, options.maxBytes);
      checkSlackBody(raw, req.headers['content-type']);
      Object.assign(req, { rawBody: raw });
    } catch (error) {
      if (!(error instanceof InboundError)) throw error;
      options.log.warn({ status: error.status, reason: error.message }, 'slack request refused before Bolt');
      return refuse(res, error.status, error.message);
    }
    bolt(req, res);
  }

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'POST' || path !== options.path) return bolt(req, res);
    take(req, res).catch((error: unknown) => {
      options.log.error({ err: error }, 'slack request failed before Bolt');
      refuse(res, 500, 'Something went wrong on our side; the server log has the details.');
    });
  };
}
