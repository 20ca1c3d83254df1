import { tool } from 'langchain';
import * as z from 'zod';
import { attempt, contextOf } from './context.ts';

export const history = tool((_input, runtime) => attempt(() => contextOf(runtime).ops.history()), {
  name: 'history',
  description: 'List the versions of this conversation (the edit graph), marking the current one.',
  schema: z.object({}),
});

export const undo = tool((_input, runtime) => attempt(() => contextOf(runtime).ops.undo()), {
  name: 'undo',
  description: 'Go back one step (a whole earlier turn).',
  schema: z.object({}),
});

export const redo = tool((_input, runtime) => attempt(() => contextOf(runtime).ops.redo()), {
  name: 'redo',
  description: 'Redo the step that was undone.',
  schema: z.object({}),
});

export const checkout = tool(({ version }, runtime) => attempt(() => contextOf(runtime).ops.checkout(version)), {
  name: 'checkout',
  description: 'Go to version N of this conversation; edits from there start a branch.',
  schema: z.object({ version: z.number().int().positive() }),
});
