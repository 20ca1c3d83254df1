import type { types } from '@slack/bolt';
import type { ButtonAction, ImageDetails } from '../../src/contracts.ts';
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

/** Core messages use Markdown; Slack's mrkdwn marks bold with single asterisks. */
export function toMrkdwn(markdown: string): string {
  return markdown.replace(/\*\*(.+?)\*\*/g, '*$1*');
}

/** The message under a result: its caption and the buttons that act on that version. */
export function resultBlocks(details: ImageDetails): types.KnownBlock[] {
  const blocks: types.KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: toMrkdwn(details.caption).slice(0, maxSectionText) } }];
  const { sessionId, versionId, actions = [] } = details;
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

/** The "Edit caption" modal; where the answer goes travels in private_metadata, so nothing is kept in memory. */
export function captionModal(privateMetadata: string): types.View {
  return {
    type: 'modal',
    callback_id: captionCallbackId,
    private_metadata: privateMetadata,
    title: { type: 'plain_text', text: 'Edit caption' },
    submit: { type: 'plain_text', text: 'Re-run' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: captionBlockId,
        label: { type: 'plain_text', text: 'What the picture should show after the edit' },
        element: { type: 'plain_text_input', action_id: captionInputId, multiline: true, max_length: 500 },
      },
    ],
  };
}
