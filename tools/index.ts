import { classifyEdit, runEdit, setCaption, setParams } from './edit-tools.ts';
import { checkout, history, redo, undo } from './history-tools.ts';
import { guarded } from './context.ts';
import { editMask, findObject, placeObject } from './mask-tools.ts';

export type { ToolContext } from './context.ts';

/** The agent's tools, in the order a typical edit uses them; their failures reach nobody as raw text (see guarded). */
export const editingTools = [classifyEdit, findObject, placeObject, editMask, setCaption, setParams, runEdit, history, undo, redo, checkout].map(guarded);
