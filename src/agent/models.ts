import type { ChatOpenAI } from '@langchain/openai';
import type { Config } from '../config.ts';
import { BrushtalkError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { createInterpreter } from './agent.ts';
import { llmInstructor, offlineInstructor, type Instructor } from './instructor.ts';
import type { Interpreter } from '../turn/turn.ts';

/**
 * The only module that builds chat models: ChatOpenAI against OpenAI or any OpenAI-compatible server
 * (vLLM, Ollama, llama.cpp — set OPENAI_BASE_URL), or nothing, and the offline instructor serves.
 * The OpenAI client is imported only when an LLM is configured.
 */
export async function createChatModel(llm: NonNullable<Config['llm']>): Promise<ChatOpenAI> {
  const { ChatOpenAI } = await import('@langchain/openai');
  return new ChatOpenAI({
    model: llm.model,
    apiKey: llm.apiKey,
    temperature: 0,
    timeout: llm.timeoutMs,
    maxRetries: 1,
    configuration: llm.baseURL ? { baseURL: llm.baseURL } : undefined,
  });
}

export async function createDefaultInterpreter(config: Config, log: Logger): Promise<{ interpret: Interpreter; instructor: Instructor }> {
  if (!config.llm) return { interpret: createInterpreter({ log }), instructor: offlineInstructor };
  const model = await createChatModel(config.llm);
  const instructor = llmInstructor(model, log);
  return { interpret: createInterpreter({ log, llm: { model, instructor, vision: config.llm.vision } }), instructor };
}

/**
 * The instructor `brushtalk eval instructions` scores: the offline one, or with `--llm` the LLM one on the
 * configured server (OPENAI_API_KEY / OPENAI_BASE_URL / LLM_MODEL), so both can be compared on the same file.
 */
export async function evalInstructor(config: Config, log: Logger, llm: boolean): Promise<Instructor> {
  if (!llm) return offlineInstructor;
  if (!config.llm) throw new BrushtalkError('command.bad_arguments', '--llm needs a language model: set OPENAI_API_KEY or OPENAI_BASE_URL (and LLM_MODEL)');
  return llmInstructor(await createChatModel(config.llm), log);
}
