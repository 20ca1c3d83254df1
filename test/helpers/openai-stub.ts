import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequest {
  model: string;
  messages: { role: string; content: unknown; tool_calls?: { function: { name: string } }[]; name?: string }[];
  tools?: { function: { name: string } }[];
  response_format?: { type: string; json_schema?: { name: string } };
  tool_choice?: unknown;
}

export type StubAnswer = { content?: string; toolCalls?: { name: string; args: Record<string, unknown> }[] } | { status: number; body: string };

/**
 * A local server speaking OpenAI's chat-completions protocol, for ChatOpenAI tests: every request is recorded
 * and answered by the test's function (plain text, tool calls, or an HTTP error).
 */
export async function startOpenAIStub(answer: (request: ChatRequest) => StubAnswer) {
  const requests: ChatRequest[] = [];
  let calls = 0;
  let responses = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const request = JSON.parse(body) as ChatRequest;
      requests.push(request);
      const reply = answer(request);
      if ('status' in reply) {
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
        return;
      }
      const toolCalls = reply.toolCalls?.map((call, i) => ({
        id: `call_${++calls}_${i}`,
        type: 'function',
        function: { name: call.name, arguments: JSON.stringify(call.args) },
      }));
      const message = { role: 'assistant', content: reply.content ?? null, ...(toolCalls?.length ? { tool_calls: toolCalls } : {}) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: `chatcmpl-${++responses}`, // unique: the agent's message list replaces messages that share an id
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: request.model,
          choices: [{ index: 0, message, finish_reason: toolCalls?.length ? 'tool_calls' : 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The text of the last user message of a request. */
export function lastUserText(request: ChatRequest): string {
  const user = [...request.messages].reverse().find((m) => m.role === 'user');
  const content = user?.content;
  if (typeof content === 'string') return content;
  return (content as { type: string; text?: string }[] | undefined)?.filter((p) => p.type === 'text').map((p) => p.text).join(' ') ?? '';
}

/** How many tool results came back since the last user message (which step of a plan we are at). */
export function toolResultsSinceUser(request: ChatRequest): { name?: string; content: string }[] {
  const lastUser = request.messages.map((m) => m.role).lastIndexOf('user');
  return request.messages.slice(lastUser + 1).filter((m) => m.role === 'tool').map((m) => ({ content: String(m.content) }));
}
