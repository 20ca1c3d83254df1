/// <reference lib="dom" />
import type { ButtonAction, ServiceStatus, SessionView } from '../../../src/contracts.ts';

/** The studio's HTTP API as the page sees it. The cookie rides along by itself (same origin, HttpOnly). */

export type PageView = Omit<SessionView, 'ownerId'>;

export interface State {
  session: string;
  view: PageView | null;
  status: ServiceStatus;
}

/** What a turn said: replies to show, and refusals already worded for the person. */
export interface TurnAnswer {
  messages: string[];
  errors: string[];
}

export interface TurnBody {
  text?: string;
  /** A PNG, base64: white = change. */
  mask?: string;
  action?: ButtonAction;
  value?: string;
}

const q = (session: string) => `session=${encodeURIComponent(session)}`;

export const pictureUrl = (session: string, blobId: string) => `/api/picture/${encodeURIComponent(blobId)}?${q(session)}`;
export const eventsUrl = (session: string) => `/api/events?${q(session)}`;

export async function getState(session: string): Promise<State> {
  const res = await fetch(`/api/state?${q(session)}`);
  if (!res.ok) throw new Error((await answerOf(res)).errors.join(' ') || `the studio answered ${res.status}`);
  return (await res.json()) as State;
}

/** The command line's sessions on this machine ("cli:kitchen"), for the session picker. */
export async function getCliSessions(session: string): Promise<string[]> {
  const res = await fetch(`/api/sessions?${q(session)}`);
  if (!res.ok) return [];
  return ((await res.json()) as { cli?: string[] }).cli ?? [];
}

export async function upload(session: string, file: File): Promise<TurnAnswer> {
  return answerOf(
    await fetch(`/api/upload?${q(session)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'x-file-name': encodeURIComponent(file.name) },
      body: file,
    }),
  );
}

export async function sendTurn(session: string, body: TurnBody): Promise<TurnAnswer> {
  return answerOf(await fetch(`/api/turn?${q(session)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
}

// Errors come back as JSON with words for the person, whatever the status; anything else is worded here.
async function answerOf(res: Response): Promise<TurnAnswer> {
  try {
    const body = (await res.json()) as Partial<TurnAnswer>;
    return { messages: body.messages ?? [], errors: body.errors ?? [] };
  } catch {
    return { messages: [], errors: [`The studio answered ${res.status} ${res.statusText}.`] };
  }
}
