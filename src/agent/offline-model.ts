import { randomUUID } from 'node:crypto';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { interpretTurn } from './offline-instructor.ts';
import { planTurn } from './offline-plan.ts';
import { readSummary, type SessionSummary } from './summary.ts';

function textOf(message: BaseMessage): string {
  const { content } = message;
  if (typeof content === 'string') return content;
  return content.map((part) => ('text' in part && typeof part.text === 'string' ? part.text : '')).join(' ');
}

const emptySummary: SessionSummary = {
  version: null, kind: null, image: null, maskPercent: null, maskDrawn: false, caption: null, editType: null, object: null, detections: null, lastInstruction: null, versions: 0, firstResult: null, params: null,
};

/**
 * The offline instructor as a chat model that emits tool calls, so the agent runs the same loop with or
 * without an LLM. Each call looks at the last user message and the tool results since: it plans the turn
 * (deterministically), makes the next call of the plan, stops at the first tool error, and finally answers
 * with what the tools said.
 */
export class OfflineInstructorModel extends BaseChatModel {
  override _llmType(): string {
    return 'brushtalk-offline-instructor';
  }

  // Tools are known by name from the plan; binding only has to keep the agent's contract.
  override bindTools(): this {
    return this;
  }

  override async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const lastHuman = messages.findLastIndex((m) => m.getType() === 'human');
    const text = lastHuman >= 0 ? textOf(messages[lastHuman]).trim() : '';
    const system = messages.find((m) => m.getType() === 'system');
    const summary = (system && readSummary(textOf(system))) ?? emptySummary;
    const since = messages.slice(lastHuman + 1);
    const results = since.filter((m) => m.getType() === 'tool').map((m) => ({ name: (m as { name?: string }).name ?? '', text: textOf(m) }));
    const turn = interpretTurn(text, {
      hasMask: summary.maskPercent !== null,
      hasDetections: summary.detections !== null,
      caption: summary.caption,
      object: summary.object,
    });
    const plan = planTurn(turn, text, summary, summary.engine);
    const failed = results.find((r) => r.text.startsWith('Error'));
    const step = results.length;
    let message: AIMessage;
    if (failed) {
      message = new AIMessage(failed.text.replace(/^Error:\s*/, ''));
    } else if (step < plan.calls.length) {
      const call = plan.calls[step];
      message = new AIMessage({ content: '', tool_calls: [{ id: `call_${randomUUID()}`, name: call.name, args: call.args, type: 'tool_call' }] });
    } else {
      // The user reads what the tools did (the classification is for the agent, not for them).
      const said = results.filter((r) => r.name !== 'classify_edit').map((r) => r.text);
      message = new AIMessage([plan.reply, ...said].filter(Boolean).join('\n'));
    }
    return { generations: [{ message, text: typeof message.content === 'string' ? message.content : '' }] };
  }
}
