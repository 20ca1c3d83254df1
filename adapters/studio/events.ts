import type { ServerResponse } from 'node:http';
import type { ConversationRef, ImageDetails, ReplyChannel } from '../../src/contracts.ts';
import { StudioHttpError, baseHeaders } from './http.ts';

/**
 * Server-sent events: each open page subscribes to its conversation and the ReplyChannel for that
 * conversation pushes status, text, error, image and progress events to it. Pictures travel as version ids,
 * never as bytes: the page fetches them through the conversation-scoped picture route.
 */

export type StudioEvent =
  | { type: 'status' | 'text' | 'error'; message: string }
  | { type: 'progress'; jobId: string; fraction: number }
  | { type: 'image'; role: ImageDetails['role']; caption: string; versionId: string | null };

// Proxies and browsers drop idle streams; a comment line every 15 s keeps them open.
const heartbeatMs = 15_000;

export function conversationKey(ref: ConversationRef): string {
  return `${ref.channelId}/${ref.threadId ?? 'main'}`;
}

/**
 * Open streams allowed per browser (its cookie, across its named sessions) and in all: each holds a socket and
 * a file descriptor, so an unbounded number stops the server answering. Past either, the stream is refused (429).
 */
export interface StreamLimits {
  perCookie: number;
  total: number;
}

export const defaultStreamLimits: StreamLimits = { perCookie: 4, total: 64 };

export function createEventHub(limits: StreamLimits = defaultStreamLimits) {
  const subscribers = new Map<string, Set<ServerResponse>>();
  const perCookie = new Map<string, number>();
  let open = 0;
  const heartbeat = setInterval(() => {
    for (const set of subscribers.values()) for (const res of set) res.write(': ping\n\n');
  }, heartbeatMs);
  heartbeat.unref();

  function publish(key: string, event: StudioEvent): void {
    const frame = `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    for (const res of subscribers.get(key) ?? []) res.write(frame);
  }

  /** Pushes everything to the conversation's open pages (results and progress arrive long after the turn). */
  function channel(ref: ConversationRef): ReplyChannel {
    const key = conversationKey(ref);
    return {
      status: async (message) => publish(key, { type: 'status', message }),
      text: async (message) => publish(key, { type: 'text', message }),
      error: async (message) => publish(key, { type: 'error', message }),
      image: async (_png, details) => publish(key, { type: 'image', role: details.role, caption: details.caption, versionId: details.versionId ?? null }),
      progress: async (jobId, fraction) => publish(key, { type: 'progress', jobId, fraction }),
    };
  }

  /**
   * The channel for one HTTP turn: words go back in the HTTP answer (so the page that asked shows them in
   * order, exactly once); transient status, pictures and progress still go to the event stream.
   */
  function turnChannel(ref: ConversationRef): ReplyChannel & { messages: string[]; errors: string[] } {
    const live = channel(ref);
    const messages: string[] = [];
    const errors: string[] = [];
    return {
      ...live,
      messages,
      errors,
      text: async (message) => void messages.push(message),
      error: async (message) => void errors.push(message),
    };
  }

  function subscribe(ref: ConversationRef, res: ServerResponse): void {
    const key = conversationKey(ref);
    const cookie = ref.channelId;
    const mine = perCookie.get(cookie) ?? 0;
    if (mine >= limits.perCookie) {
      throw new StudioHttpError(429, `This browser already has ${mine} studio pages with live updates open; close one (or reload it) to follow this one.`);
    }
    if (open >= limits.total) throw new StudioHttpError(429, 'The studio is following as many pages as it can right now; close a studio tab and reload this one.');
    perCookie.set(cookie, mine + 1);
    open++;
    res.writeHead(200, { ...baseHeaders(), 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    res.write(': connected\n\n');
    let set = subscribers.get(key);
    if (!set) subscribers.set(key, (set = new Set()));
    set.add(res);
    res.on('close', () => {
      set.delete(res);
      if (set.size === 0 && subscribers.get(key) === set) subscribers.delete(key);
      const left = (perCookie.get(cookie) ?? 1) - 1;
      if (left > 0) perCookie.set(cookie, left);
      else perCookie.delete(cookie);
      open--;
    });
  }

  function close(): void {
    clearInterval(heartbeat);
    for (const set of subscribers.values()) for (const res of set) res.end();
    subscribers.clear();
  }

  /** Streams open now (tests and metrics). */
  const counts = () => ({ open, browsers: perCookie.size });

  return { channel, turnChannel, subscribe, close, counts };
}

export type EventHub = ReturnType<typeof createEventHub>;
