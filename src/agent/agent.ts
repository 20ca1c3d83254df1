import { HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { createAgent } from 'langchain';
import { editingTools, type ToolContext } from '../../tools/index.ts';
import { previewJpeg } from '../images/codec.ts';
import type { Logger } from '../log.ts';
import type { SessionOps } from '../turn/ops.ts';
import type { Interpreter } from '../turn/turn.ts';
import { offlineInstructor, type Instructor } from './instructor.ts';
import { loadLanguage } from './offline/language.ts';
import { OfflineInstructorModel } from './offline-model.ts';
import { summarize, systemPrompt } from './summary.ts';

/** A tool-calling agent over the editing tools, with the instructor its classify tool uses. */
interface EditingAgent {
  run(ops: SessionOps, text: string): Promise<string>;
}

function lastWords(messages: BaseMessage[]): string {
  const last = messages.at(-1);
  const content = last?.content;
  const text = typeof content === 'string' ? content : (content ?? []).map((p) => ('text' in p ? p.text : '')).join(' ');
  if (text.trim()) return text.trim();
  // A model that ended silently: tell the user what the tools did.
  return messages.filter((m) => m.getType() === 'tool').map((m) => String(m.content)).join('\n');
}

function editingAgent(model: BaseChatModel, instructor: Instructor, options: { vision: boolean }): EditingAgent {
  const agent = createAgent({ model, tools: editingTools });
  return {
    async run(ops, text) {
      const picture = options.vision ? await ops.headPicture() : null;
      const human = picture
        ? new HumanMessage({
            content: [
              { type: 'text', text },
              { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${(await previewJpeg(picture)).toString('base64')}` } },
            ],
          })
        : new HumanMessage(text);
      const context: ToolContext = { ops, instructor };
      const prompt = systemPrompt(summarize(ops.session), ops.engine);
      const result = await agent.invoke({ messages: [new SystemMessage(prompt), human] }, { context, recursionLimit: 24 });
      return lastWords(result.messages as BaseMessage[]);
    },
  };
}

export interface InterpreterOptions {
  log: Logger;
  /** The LLM agent's model and instructor; absent runs the offline instructor only. */
  llm?: { model: BaseChatModel; instructor: Instructor; vision: boolean };
}

/**
 * Free text → tool calls → session changes. With an LLM configured it runs first; when it is down or answers
 * junk, whatever it did is rolled back and the offline instructor handles the turn, with a notice.
 */
export function createInterpreter(options: InterpreterOptions): Interpreter {
  const offline = editingAgent(new OfflineInstructorModel({}), offlineInstructor, { vision: false });
  const primary = options.llm ? editingAgent(options.llm.model, options.llm.instructor, { vision: options.llm.vision }) : null;
  const interpret: Interpreter = async (ops, text, log) => {
    if (!primary) return offline.run(ops, text);
    const restore = ops.checkpoint();
    try {
      return await primary.run(ops, text);
    } catch (error) {
      log.warn({ err: error }, 'the language model failed; the offline instructor takes this turn');
      restore();
      return `(The language model is unavailable right now, so I used the built-in instructor.)\n${await offline.run(ops, text)}`;
    }
  };
  return async (ops, text, log) => {
    // The offline rules' language libraries load on the first free-text turn, not at start-up.
    await loadLanguage();
    const before = ops.checkpoint();
    const queued = ops.jobs.length;
    const answer = await interpret(ops, text, log);
    // An edit the engine cannot do leaves nothing behind: masks and captions made on the way to it go too.
    if (ops.refused && ops.jobs.length === queued) before();
    return answer;
  };
}
