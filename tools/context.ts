import type { Instructor } from '../src/agent/instructor.ts';
import { isBrushtalkError } from '../src/errors.ts';
import type { SessionOps } from '../src/turn/ops.ts';

/**
 * What every tool gets through the agent's runtime context: this conversation's session operations and the
 * instructor. Tools never take a session or conversation id from the model, so a prompt cannot point them
 * at someone else's pictures.
 */
export interface ToolContext {
  ops: SessionOps;
  instructor: Instructor;
}

export function contextOf(runtime: { context?: unknown }): ToolContext {
  const context = runtime.context as ToolContext | undefined;
  if (!context?.ops) throw new Error('brushtalk tools need { ops, instructor } in the agent context');
  return context;
}

/** Tool errors go back to the model as text (it can try something else); user-worded when they are ours. */
export async function attempt(work: () => Promise<string>): Promise<string> {
  try {
    return await work();
  } catch (error) {
    if (isBrushtalkError(error)) return `Error: ${error.userMessage}`;
    throw error;
  }
}
