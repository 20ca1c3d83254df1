import { buttonActions, type ButtonAction, type ConversationRef, type TurnAction } from '../../src/contracts.ts';

/**
 * Button ids carry everything a press needs (`v1:<action>:<sessionId>:<versionId>`), so buttons keep working
 * after restarts: nothing about them is held in memory or read back from Slack.
 */
export const actionIdPattern = /^v1:/;

export function encodeAction(action: ButtonAction, sessionId: string, versionId: string): string {
  return `v1:${action}:${sessionId}:${versionId}`;
}

export function decodeAction(raw: string): TurnAction | null {
  const [version, action, sessionId, versionId, ...rest] = raw.split(':');
  if (version !== 'v1' || rest.length > 0 || !sessionId || !versionId) return null;
  if (!buttonActions.includes(action as ButtonAction)) return null;
  return { action: action as ButtonAction, sessionId, versionId };
}

/** Where a conversation lives in Slack: a channel and the PARENT ts of its thread (a session per thread). */
export interface SlackPlace {
  teamId: string;
  channel: string;
  threadTs: string;
}

export function refOf(place: SlackPlace): ConversationRef {
  return { platform: 'slack', scope: place.teamId, channelId: place.channel, threadId: place.threadTs };
}

export function placeOf(ref: ConversationRef): SlackPlace {
  // Every Slack conversation we create has a thread; a ref without one would post at the channel's top level.
  return { teamId: ref.scope, channel: ref.channelId, threadTs: ref.threadId ?? '' };
}

/** One key per conversation, for the per-thread reply state kept in memory. */
export function placeKey(place: SlackPlace): string {
  return `${place.teamId}/${place.channel}/${place.threadTs}`;
}
