import { ComponentType, TextInputStyle, type APIModalInteractionResponseCallbackData } from 'discord.js';
import { maxInstructionChars } from '../../src/contracts.ts';

/** The modals we show: plain JSON (what the API takes), built in one place. */

export function textModal(customId: string, title: string, field: string, label: string, value?: string): APIModalInteractionResponseCallbackData {
  return {
    custom_id: customId,
    title,
    components: [
      {
        type: ComponentType.ActionRow,
        components: [{ type: ComponentType.TextInput, custom_id: field, label, style: TextInputStyle.Paragraph, required: true, max_length: maxInstructionChars, ...(value ? { value } : {}) }],
      },
    ],
  };
}

/** The field the uploaded mask arrives in. */
export const maskUploadField = 'mask';

/** "Upload mask": a File Upload component (type 19) must sit in a Label (type 18); one picture, required. */
export function maskUploadModal(customId: string): APIModalInteractionResponseCallbackData {
  return {
    custom_id: customId,
    title: 'Upload mask',
    components: [
      {
        type: ComponentType.Label,
        label: 'Mask picture',
        description: 'White where the picture should change, black or transparent where it stays. It is scaled to the picture.',
        component: { type: ComponentType.FileUpload, custom_id: maskUploadField, min_values: 1, max_values: 1, required: true },
      },
    ],
  };
}
