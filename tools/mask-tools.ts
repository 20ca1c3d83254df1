import { tool } from 'langchain';
import * as z from 'zod';
import type { Box } from '../src/contracts.ts';
import type { MaskOp } from '../src/turn/commands.ts';
import { attempt, contextOf } from './context.ts';

const boxSchema = z.object({ x: z.number().int(), y: z.number().int(), w: z.number().int().positive(), h: z.number().int().positive() });

export const findObject = tool(
  ({ object, choose, combine }, runtime) =>
    attempt(async () => {
      const { ops } = contextOf(runtime);
      const head = ops.session.versions.find((v) => v.id === ops.session.headId);
      // Choosing again among the matches already found costs no detection.
      const known = head?.detections && (!object || object.toLowerCase() === head.detections.phrase.toLowerCase());
      if (known && choose && combine === 'replace') return ops.choose(choose);
      if (!object) return 'Error: say which object to find.';
      return ops.find(choose ? `${choose} ${object}` : object, combine);
    }),
  {
    name: 'find_object',
    description:
      'Find an object in the current picture by a short noun phrase (at most 5 words) and make the mask from it. ' +
      'choose picks among several matches: best (default), all, left, right, top, bottom, largest, smallest, other, or a number (1 = left-most). ' +
      'combine: replace the mask (default), add to it ("also the collar"), or subtract from it ("not the tail").',
    schema: z.object({
      object: z.string().max(60).optional().describe('noun phrase, e.g. "dog", "red car"; omit to choose again among the last matches'),
      choose: z.string().max(30).optional(),
      combine: z.enum(['replace', 'add', 'subtract']).default('replace'),
    }),
  },
);

/** Where a new object goes when nobody said: centred, a third of the picture, above the middle. */
export function defaultPlacement(width: number, height: number): Box {
  const w = Math.max(8, Math.round(width / 3));
  const h = Math.max(8, Math.round(height / 3));
  return { x: Math.round((width - w) / 2), y: Math.round(height * 0.45 - h / 2), w, h };
}

/** Clamp a proposed box into the picture, keeping at least 8 px on each side. */
export function clampBox(box: Box, width: number, height: number): Box {
  const x = Math.min(Math.max(0, box.x), width - 8);
  const y = Math.min(Math.max(0, box.y), height - 8);
  return { x, y, w: Math.max(8, Math.min(box.w, width - x)), h: Math.max(8, Math.min(box.h, height - y)) };
}

export const placeObject = tool(
  ({ object, box }, runtime) =>
    attempt(async () => {
      const { ops } = contextOf(runtime);
      const head = ops.session.versions.find((v) => v.id === ops.session.headId);
      if (!head) return 'Error: there is no picture yet.';
      const placed = box ? clampBox(box, head.width, head.height) : defaultPlacement(head.width, head.height);
      return ops.place(placed, object);
    }),
  {
    name: 'place_object',
    description:
      'For an addition: mark where the new object goes as a box [x, y, w, h] in pixels of the current picture (its size is in the session summary; x is across, y is down). ' +
      'Omit the box for a sensible default. The box is clamped to the picture.',
    schema: z.object({ object: z.string().max(60), box: boxSchema.optional() }),
  },
);

const maskActions = ['grow', 'shrink', 'invert', 'all', 'clear', 'box', 'ellipse', 'add_box', 'cut_box', 'move'] as const;

export const editMask = tool(
  ({ action, amount, box, dx, dy }, runtime) =>
    attempt(async () => {
      const { ops } = contextOf(runtime);
      let op: MaskOp;
      switch (action) {
        case 'grow':
        case 'shrink':
          op = { op: action, px: Math.min(512, Math.max(1, Math.round(amount ?? 12))) };
          break;
        case 'invert':
        case 'all':
        case 'clear':
          op = { op: action };
          break;
        case 'move':
          op = { op: 'move', dx: Math.round(dx ?? 0), dy: Math.round(dy ?? 0) };
          break;
        default: {
          if (!box) return `Error: ${action} needs a box {x, y, w, h}.`;
          const shape = action === 'ellipse' ? 'ellipse' : 'box';
          const mode = action === 'add_box' ? 'add' : action === 'cut_box' ? 'cut' : 'replace';
          op = { op: 'shape', shape, mode, box };
        }
      }
      return ops.maskOp(op, `mask ${action}${amount ? ` ${amount}` : ''}`);
    }),
  {
    name: 'edit_mask',
    description:
      'Change the current mask: grow/shrink by amount px ("bigger" ≈ 12), invert (everything but it), all (whole picture, for global edits), ' +
      'clear, box/ellipse (replace with a shape), add_box/cut_box, move by dx, dy px.',
    schema: z.object({
      action: z.enum(maskActions),
      amount: z.number().positive().max(512).optional(),
      box: boxSchema.optional(),
      dx: z.number().optional(),
      dy: z.number().optional(),
    }),
  },
);
