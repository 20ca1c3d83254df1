import type { types } from '@slack/bolt';
import { maxInstructionChars, type ButtonAction, type ImageDetails } from '../../src/contracts.ts';
import { encodeAction } from './ids.ts';

const labels: Record<ButtonAction, string> = {
  reroll: 'Re-roll',
  grow: 'Grow mask',
  shrink: 'Shrink mask',
  invert: 'Invert mask',
  undo: 'Undo',
  redo: 'Redo',
  caption: 'Edit caption',
  mask: 'Upload mask',
  accept: 'Accept',
};

/** Slack refuses an actions block with more than 25 elements (and a message with more than 50 blocks). */
const maxElements = 25;
/** Section text is capped at 3,000 characters. */
const maxSectionText = 3000;

export const captionCallbackId = 'brushtalk_caption';
export const captionBlockId = 'caption';
export const captionInputId = 'caption_input';
export const maskCallbackId = 'brushtalk_mask';
export const maskBlockId = 'mask';
export const maskInputId = 'mask_input';

/** Core messages use Markdown; Slack's mrkdwn marks bold with single asterisks. */
export function toMrkdwn(markdown: string): string {
  return markdown.replace(/\*\*(.+?)\*\*/g, '*$1*');
}

/** Uploading a mask is a Slack modal with a file input: this adapter offers it beside the core's buttons, before Accept. */
function withUploadMask(actions: readonly ButtonAction[]): readonly ButtonAction[] {
  if (actions.length === 0 || actions.includes('mask')) return actions;
  const at = actions.indexOf('accept');
  return at < 0 ? [...actions, 'mask'] : [...actions.slice(0, at), 'mask', ...actions.slice(at)];
}

/** The message under a result: its caption and the buttons that act on that version. */
export function resultBlocks(details: ImageDetails): types.KnownBlock[] {
  const blocks: types.KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: toMrkdwn(details.caption).slice(0, maxSectionText) } }];
  const { sessionId, versionId } = details;
  const actions = withUploadMask(details.actions ?? []);
  if (sessionId && versionId && actions.length > 0) {
    const elements: types.Button[] = actions.slice(0, maxElements).map((action) => {
      const id = encodeAction(action, sessionId, versionId);
      const button: types.Button = { type: 'button', action_id: id, value: id, text: { type: 'plain_text', text: labels[action] } };
      if (action === 'accept') button.style = 'primary';
      return button;
    });
    blocks.push({ type: 'actions', block_id: `result:${versionId}`, elements });
  }
  return blocks;
}

/** A one-field modal that re-runs the edit; where the answer goes travels in private_metadata, nothing is kept in memory. */
function rerunModal(callbackId: string, title: string, privateMetadata: string, input: types.InputBlock): types.View {
  return {
    type: 'modal',
    callback_id: callbackId,
    private_metadata: privateMetadata,
    title: { type: 'plain_text', text: title },
    submit: { type: 'plain_text', text: 'Re-run' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [input],
  };
}

export function captionModal(privateMetadata: string): types.View {
  return rerunModal(captionCallbackId, 'Edit caption', privateMetadata, {
    type: 'input',
    block_id: captionBlockId,
    label: { type: 'plain_text', text: 'What the picture should show after the edit' },
    element: { type: 'plain_text_input', action_id: captionInputId, multiline: true, max_length: maxInstructionChars },
  });
}

/** "Upload mask": one picture in a file input; Slack filters by extension, the adapter checks type and size again. */
export function maskModal(privateMetadata: string): types.View {
  return rerunModal(maskCallbackId, 'Upload mask', privateMetadata, {
    type: 'input',
    block_id: maskBlockId,
    label: { type: 'plain_text', text: 'Mask picture' },
    hint: { type: 'plain_text', text: 'White where the picture should change, black or transparent where it stays. It is scaled to the picture.' },
    element: { type: 'file_input', action_id: maskInputId, max_files: 1, filetypes: ['png', 'jpg', 'jpeg', 'webp'] },
  });
}
