import type { App } from '@slack/bolt';
import type { SlackFile } from './files.ts';
import { messageTurn, withoutMention, type TurnDeps } from './turns.ts';

/** Runs work after the ack, and lets the adapter know when it is all done. */
export type Track = (work: () => Promise<void>) => void;

/** Message subtypes that are people talking; edits, joins and bot posts are not turns. */
const spoken = new Set([undefined, 'file_share', 'thread_broadcast']);

interface RawMessage {
  subtype?: string;
  bot_id?: string;
  user?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  channel: string;
  channel_type?: string;
  team?: string;
  files?: SlackFile[];
}

/**
 * Mentions start or continue the thread's session; other messages continue it only where a session already
 * exists (our DB says so — Slack's history is never read back for state); in DMs every message is for us.
 */
export function registerEvents(app: App, deps: TurnDeps, track: Track): void {
  app.event('app_mention', async ({ event, body, context }) => {
    if (!event.user || event.bot_id) return;
    const teamId = body.team_id ?? event.team ?? context.teamId ?? '';
    const place = { teamId, channel: event.channel, threadTs: event.thread_ts ?? event.ts };
    const message = { place, ts: event.ts, user: event.user, text: withoutMention(event.text, context.botUserId), files: (event.files ?? []) as SlackFile[] };
    track(() => messageTurn(deps, message, { lookAtParent: event.thread_ts !== undefined }));
  });

  app.event('message', async ({ event, body, context }) => {
    const raw = event as unknown as RawMessage;
    if (!spoken.has(raw.subtype) || raw.bot_id || !raw.user || raw.user === context.botUserId) return;
    const dm = raw.channel_type === 'im';
    // In channels a mention arrives twice (app_mention and message); the app_mention handler takes it.
    if (!dm && (!raw.thread_ts || (context.botUserId && raw.text?.includes(`<@${context.botUserId}`)))) return;
    const teamId = body.team_id ?? raw.team ?? context.teamId ?? '';
    const place = { teamId, channel: raw.channel, threadTs: raw.thread_ts ?? raw.ts };
    const message = { place, ts: raw.ts, user: raw.user, text: withoutMention(raw.text ?? '', context.botUserId), files: raw.files ?? [] };
    track(async () => {
      if (!dm && (await deps.core.view({ platform: 'slack', scope: teamId, channelId: raw.channel, threadId: raw.thread_ts })) === null) return;
      await messageTurn(deps, message, { lookAtParent: false });
    });
  });
}
