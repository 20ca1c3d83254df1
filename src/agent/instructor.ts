import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import * as z from 'zod';
import type { Logger } from '../log.ts';
import type { InstructorResult } from './instruction.ts';
import { classifyInstruction } from './offline-instructor.ts';
import { loadLanguage } from './offline/language.ts';

/** BrushEdit's instructor: edit type, object and target caption for an instruction. */
export interface Instructor {
  readonly name: string;
  classify(instruction: string, sourceCaption?: string | null): Promise<InstructorResult>;
}

export const offlineInstructor: Instructor = {
  name: 'offline',
  async classify(instruction, sourceCaption) {
    await loadLanguage();
    return classifyInstruction(instruction, sourceCaption ?? undefined);
  },
};

const resultSchema = z.object({
  type: z.enum(['addition', 'removal', 'local', 'global', 'background']),
  confidence: z.number().min(0).max(1),
  object: z.string().nullable().describe('the object to edit or add: one noun phrase, at most 5 words; null for global and background'),
  target_caption: z.string().nullable().describe('what the picture shows after the edit: only what remains, never the removed object'),
});

const classifyPrompt = [
  'Classify the image-editing instruction into one of: addition (add a new object), removal (remove an object),',
  'local (change an existing object or its attributes, or replace it), global (the whole picture: season, weather,',
  'time of day, style), background (change the background or setting, keep the subject).',
  'Give the object to edit (or to add) in no more than 5 words, one noun phrase; null for global and background.',
  'If a caption of the current picture is given, write the target caption: what the picture shows after the edit,',
  'only what remains, never mentioning a removed object, no apologies. Otherwise give null.',
].join(' ');

/** The instructor on a chat model with structured output; its failures fall back to the offline parser. */
export function llmInstructor(model: BaseChatModel, log: Logger): Instructor {
  const structured = model.withStructuredOutput(resultSchema, { name: 'edit_instruction' });
  return {
    name: 'llm',
    async classify(instruction, sourceCaption) {
      await loadLanguage();
      const offline = classifyInstruction(instruction, sourceCaption ?? undefined);
      try {
        const answer = await structured.invoke([
          { role: 'system', content: classifyPrompt },
          { role: 'user', content: `Instruction: ${instruction}\nCaption of the current picture: ${sourceCaption ?? '(unknown)'}` },
        ]);
        return {
          type: answer.type,
          confidence: answer.confidence,
          object: answer.object?.split(/\s+/).slice(0, 5).join(' ') || null,
          selector: offline.selector,
          targetCaption: answer.target_caption || null,
        };
      } catch (error) {
        log.warn({ err: error }, 'the LLM instructor failed; using the offline parser');
        return { ...offline, fellBack: true };
      }
    },
  };
}
