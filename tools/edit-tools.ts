import { tool } from 'langchain';
import * as z from 'zod';
import { maxInstructionChars } from '../src/contracts.ts';
import { attempt, contextOf } from './context.ts';

const editTypes = ['addition', 'removal', 'local', 'global', 'background'] as const;

export const classifyEdit = tool(
  ({ instruction }, runtime) =>
    attempt(async () => {
      const { ops, instructor } = contextOf(runtime);
      const head = ops.session.versions.find((v) => v.id === ops.session.headId);
      const r = await instructor.classify(instruction, head?.caption ?? null);
      // An edit the engine cannot do is refused now, before any mask is made for it.
      ops.checkEdit(instruction, r.type);
      const parts = [`${r.type} (confidence ${r.confidence.toFixed(2)})`];
      if (r.object) parts.push(`object "${r.object}"`);
      if (r.targetCaption) parts.push(`target caption "${r.targetCaption}"`);
      return parts.join('; ');
    }),
  {
    name: 'classify_edit',
    description:
      "Classify an edit instruction as addition, removal, local, global or background (BrushEdit's categories), with the object and a target caption. Answers with an error when this server's engine cannot do that kind of edit: tell the user, do not try.",
    schema: z.object({ instruction: z.string().min(1).max(maxInstructionChars) }),
  },
);

export const setCaption = tool(({ caption }, runtime) => attempt(() => contextOf(runtime).ops.setCaption(caption)), {
  name: 'set_caption',
  description: 'Set the target caption: what the picture shows AFTER the edit, only what remains (never the removed thing), no apologies.',
  schema: z.object({ caption: z.string().min(1).max(maxInstructionChars) }),
});

export const setParams = tool(
  ({ new_seed, ...update }, runtime) =>
    attempt(async () => {
      const { ops } = contextOf(runtime);
      const lines: string[] = [];
      if (new_seed) lines.push(await ops.reseed());
      const given = Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined));
      if (Object.keys(given).length > 0) lines.push(await ops.setParams(given));
      return lines.join(' ') || 'Nothing to set.';
    }),
  {
    name: 'set_params',
    description: 'Set generation parameters: new_seed (another variation), seed, samples 1–4, steps 1–100, guidance 0–30, strength 0–1.1, blend on/off.',
    schema: z.object({
      new_seed: z.boolean().optional(),
      seed: z.number().int().min(0).max(4294967295).optional(),
      samples: z.number().int().min(1).max(4).optional(),
      steps: z.number().int().min(1).max(100).optional(),
      guidance: z.number().min(0).max(30).optional(),
      strength: z.number().min(0).max(1.1).optional(),
      blend: z.boolean().optional(),
    }),
  },
);

export const runEdit = tool(({ instruction, edit_type }, runtime) => attempt(() => contextOf(runtime).ops.runEdit(instruction, edit_type ?? null)), {
  name: 'run_edit',
  description: 'Queue the inpainting of the current mask with the current caption. Call it last, once the mask and caption are right.',
  schema: z.object({ instruction: z.string().min(1).max(maxInstructionChars), edit_type: z.enum(editTypes).optional() }),
});
