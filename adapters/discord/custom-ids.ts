import { buttonActions, type ButtonAction, type TurnAction } from '../../src/contracts.ts';

/**
 * Stateless, versioned custom ids: `v1:<action>:<sessionId>:<versionId>`. Everything else lives in the
 * database, so a button keeps working after restarts. Discord caps custom ids at 100 characters.
 */
export const maxCustomIdLength = 100;

// Session and version ids are UUIDs today; allow any short id of the same alphabet, nothing else.
const idPart = '[A-Za-z0-9_-]{1,40}';
const buttonPattern = new RegExp(`^v1:(${buttonActions.join('|')}):(${idPart}):(${idPart})$`);
// The "Edit image" modal remembers which message it is about (the picture is fetched again after a restart).
const editModalPattern = /^v1:edit-image:(\d{1,25}):(\d{1,25})$/;

export function buttonId(action: ButtonAction, sessionId: string, versionId: string): string | null {
  const id = `v1:${action}:${sessionId}:${versionId}`;
  return id.length <= maxCustomIdLength && buttonPattern.test(id) ? id : null;
}

/** A result button (or the caption modal it opens); null for anything malformed or from another version. */
export function parseButtonId(customId: string): Pick<TurnAction, 'action' | 'sessionId' | 'versionId'> | null {
  if (customId.length > maxCustomIdLength) return null;
  const match = buttonPattern.exec(customId);
  if (!match) return null;
  return { action: match[1] as ButtonAction, sessionId: match[2], versionId: match[3] };
}

export function editModalId(channelId: string, messageId: string): string {
  return `v1:edit-image:${channelId}:${messageId}`;
}

export function parseEditModalId(customId: string): { channelId: string; messageId: string } | null {
  const match = editModalPattern.exec(customId);
  return match ? { channelId: match[1], messageId: match[2] } : null;
}

/** The hint for a button or modal we cannot read (an old bot version, or a hand-made payload). */
export const staleComponentHint = 'That button is from an older version of this bot and no longer works. Run `/edit` again to get fresh buttons.';
