import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIButtonComponent } from 'discord.js';
import type { ButtonAction, ImageDetails } from '../../src/contracts.ts';
import { buttonId } from './custom-ids.ts';

/** Re-encodes a picture under a byte limit (src/images/codec.ts's shrinkForUpload, injected by main.ts). */
export type Shrinker = (png: Uint8Array, maxBytes: number) => Promise<{ bytes: Uint8Array; format: 'png' | 'jpeg' }>;

export interface OutgoingFile {
  name: string;
  data: Buffer;
}

/** A message as both paths send it: the interaction webhook (discord.js) and the bot token (REST). */
export interface OutgoingMessage {
  content: string;
  files: OutgoingFile[];
  components: APIActionRowComponent<APIButtonComponent>[];
}

const labels: Record<ButtonAction, string> = {
  reroll: 'Re-roll',
  grow: 'Grow mask',
  shrink: 'Shrink mask',
  invert: 'Invert',
  undo: 'Undo',
  redo: 'Redo',
  caption: 'Edit caption',
  mask: 'Upload mask',
  accept: 'Accept',
};

/** Uploading a mask is a Discord modal with a File Upload component: this adapter offers it beside the core's buttons. */
function withUploadMask(actions: readonly ButtonAction[]): readonly ButtonAction[] {
  if (actions.includes('mask')) return actions;
  const at = actions.indexOf('accept');
  return at < 0 ? [...actions, 'mask'] : [...actions.slice(0, at), 'mask', ...actions.slice(at)];
}

/** Discord allows at most 5 buttons per row and 5 rows; stale-id-safe because ids carry the version. */
export function resultButtons(details: ImageDetails): APIActionRowComponent<APIButtonComponent>[] {
  if (!details.sessionId || !details.versionId || !details.actions?.length) return [];
  const buttons: APIButtonComponent[] = [];
  for (const action of withUploadMask(details.actions)) {
    const customId = buttonId(action, details.sessionId, details.versionId);
    if (!customId) continue; // an id that would not fit 100 characters: leave the button out rather than fail the message
    const style = action === 'accept' ? ButtonStyle.Success : action === 'reroll' ? ButtonStyle.Primary : ButtonStyle.Secondary;
    buttons.push({ type: ComponentType.Button, style, label: labels[action], custom_id: customId });
  }
  const rows: APIActionRowComponent<APIButtonComponent>[] = [];
  for (let i = 0; i < buttons.length && rows.length < 5; i += 5) rows.push({ type: ComponentType.ActionRow, components: buttons.slice(i, i + 5) });
  return rows;
}

export interface PendingImage {
  png: Uint8Array;
  details: ImageDetails;
}

/**
 * One message for one result: the edited picture first, then its mask overlay and before/after strip,
 * the captions as text and the buttons under it. Pictures over the upload limit are re-encoded smaller.
 */
export async function resultMessage(images: PendingImage[], uploadLimit: number, shrink: Shrinker | undefined): Promise<OutgoingMessage> {
  const files: OutgoingFile[] = [];
  const notes: string[] = [];
  for (const { png, details } of images) {
    if (png.byteLength <= uploadLimit) {
      files.push({ name: details.fileName, data: Buffer.from(png) });
      continue;
    }
    const shrunk = shrink ? await shrink(png, uploadLimit).catch(() => null) : null;
    if (!shrunk) {
      notes.push(`(${details.fileName} is too large to upload here.)`);
      continue;
    }
    const name = shrunk.format === 'jpeg' ? details.fileName.replace(/\.png$/i, '') + '.jpg' : details.fileName;
    files.push({ name, data: Buffer.from(shrunk.bytes) });
    notes.push(`(${name} was re-encoded to fit the ${(uploadLimit / 1024 / 1024).toFixed(1)} MB upload limit.)`);
  }
  const result = images.find((i) => i.details.role === 'result') ?? images[0];
  const content = [`**${result.details.caption}**`, ...notes].join('\n');
  return { content, files, components: resultButtons(result.details) };
}

/** The REST body for POST /channels/{id}/messages: attachments are declared, files sent as multipart parts. */
export function channelMessageBody(message: OutgoingMessage): { body: Record<string, unknown>; files: { name: string; data: Buffer }[] } {
  return {
    body: {
      content: message.content,
      components: message.components,
      attachments: message.files.map((file, id) => ({ id, filename: file.name })),
      allowed_mentions: { parse: [] },
    },
    files: message.files.map((file) => ({ name: file.name, data: file.data })),
  };
}
