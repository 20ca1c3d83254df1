import { ToolMessage } from '@langchain/core/messages';
import { ToolInputParsingException, type StructuredToolInterface } from '@langchain/core/tools';
import type { Instructor } from '../src/agent/instructor.ts';
import { BrushtalkError, isBrushtalkError, userFacingMessage } from '../src/errors.ts';
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

const badArguments = "I couldn't work out the details of that request. Try saying it more simply, or use a command (`help` lists them).";

/** The words for a tool's failure (logged with the turn's reference); never the failure's own text. */
function reported(error: unknown, tool: string, ops: SessionOps): string {
  if (error instanceof ToolInputParsingException) {
    // The model's arguments did not fit the schema; the log gets the schema's complaint, not the arguments.
    ops.log?.warn({ ref: ops.ref, tool, issue: error.message.slice(0, 500) }, 'tool arguments refused');
    return userFacingMessage(new BrushtalkError('agent.bad_arguments', badArguments), ops.ref);
  }
  ops.log?.error({ ref: ops.ref, tool, err: error }, 'tool failed');
  return userFacingMessage(error, ops.ref);
}

const isToolCall = (input: unknown): input is { id: string } => typeof input === 'object' && input !== null && (input as { type?: unknown }).type === 'tool_call';

/**
 * A tool whose failures stay out of the conversation. LangChain hands a tool's throw back to the model as its
 * text: for arguments that miss the schema "Error invoking tool '…' with kwargs {…every argument…} with error:
 * <stack>", for anything else the error's own message. A model may repeat that text to the user (the offline
 * instructor passes a tool's error on as is), so here bad arguments become a worded, coded refusal and any other
 * error the generic words, both with the turn's reference, which finds the details in the log. ours
 * (BrushtalkErrors) are already words: `attempt` returns them. A cancelled turn still throws.
 */
export function guarded<T extends StructuredToolInterface>(tool: T): T {
  const invoke = tool.invoke.bind(tool) as (input: unknown, config?: { signal?: AbortSignal; context?: unknown }) => Promise<unknown>;
  const safe = async (input: unknown, config?: { signal?: AbortSignal; context?: unknown }) => {
    try {
      return await invoke(input, config);
    } catch (error) {
      const ops = (config?.context as ToolContext | undefined)?.ops;
      if (config?.signal?.aborted || !ops) throw error;
      const content = `Error: ${reported(error, tool.name, ops)}`;
      return isToolCall(input) ? new ToolMessage({ content, tool_call_id: input.id, name: tool.name, status: 'error' }) : content;
    }
  };
  return Object.assign(tool, { invoke: safe });
}
