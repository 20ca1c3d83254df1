import os from 'node:os';
import type { ConversationRef } from './contracts.ts';

/**
 * The person at this machine. The command line and a loopback-bound studio are the same local user on the same
 * database: a session made with `brushtalk edit … --session kitchen` opens in the studio as "cli:kitchen", with
 * the same owner, so its buttons and settings are theirs there too.
 */
export function localUserId(): string {
  return os.userInfo().username;
}

/** The conversation behind a command-line session name. */
export function cliSessionRef(name: string): ConversationRef {
  return { platform: 'cli', scope: 'local', channelId: name };
}
