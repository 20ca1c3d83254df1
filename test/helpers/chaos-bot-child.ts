/**
 * A bot process for the chaos tests, driven over IPC the way a chat platform drives a real one:
 * `node --import tsx chaos-bot-child.ts <dataDir> embedded|bullmq [redisUrl queueName]`.
 * The parent sends `{ type: 'turn', … }`; the bot answers `{ type: 'taking' }` as it starts and `{ type: 'handled' }`
 * once the turn is handled (the platform's ack), and every reply it makes, in any conversation, becomes a
 * `{ type: 'reply' }` message. A reply is sent only once the parent has it (process.send's callback), so a
 * SIGKILL cannot lose one the bot has counted as delivered. Embedded: the worker runs here; bullmq: it does not.
 */
import type { ChatAdapter, ConversationRef, IncomingTurn, ReplyChannel } from '../../src/contracts.ts';
import { createApp } from '../../src/app.ts';
import { fakeEngine } from './fake-engine.ts';
import { silentLog, testConfig } from './env.ts';

export type ChaosTurn = { type: 'turn'; messageId: string; channelId: string; userId: string; png: string };
export type ChaosReply = { type: 'reply'; channelId: string; kind: 'text' | 'status' | 'error' | 'image' | 'progress'; role?: string; text?: string };
export type ChaosMessage = { type: 'ready' } | { type: 'taking'; messageId: string } | { type: 'handled'; messageId: string } | ChaosReply;

const [dataDir, mode, redisUrl, queueName] = process.argv.slice(2);
const send = (message: ChaosMessage) => new Promise<void>((resolve, reject) => process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())));

function replyTo(ref: ConversationRef): ReplyChannel {
  const say = (kind: ChaosReply['kind'], extra: Partial<ChaosReply> = {}) => send({ type: 'reply', channelId: ref.channelId, kind, ...extra });
  return {
    status: (text) => say('status', { text }),
    text: (text) => say('text', { text }),
    error: (text) => say('error', { text }),
    image: (_png, details) => say('image', { role: details.role, text: details.caption }),
    progress: async () => {}, // not counted; keeps the channel quiet
  };
}

const adapter: ChatAdapter = { platform: 'chaos', async start() {}, replyTo, async stop() {} };
const overrides: Record<string, string> =
  mode === 'bullmq' ? { REDIS_URL: redisUrl, QUEUE_NAME: queueName, WORKER_IN_PROCESS: 'false' } : { WORKER_CONCURRENCY: '2' };
// The default crash limit; a crashed job waits 1 s, 2 s, 4 s… (production: 2 s, 4 s, 8 s…) before it runs again.
const config = testConfig(dataDir, { JOB_LEASE_MS: '2000', JOB_RETRY_BASE_MS: '1000', MAX_JOBS_PER_USER: '100', MAX_JOBS_PER_CONVERSATION: '100', ...overrides });
const app = await createApp({ config, log: silentLog, engine: fakeEngine({ delayMs: 300 }) });
if (mode !== 'bullmq') app.startWorker();
await app.ready();
app.attach(adapter);

process.on('message', (message: ChaosTurn) => {
  if (message.type !== 'turn') return;
  const turn: IncomingTurn = {
    ref: { platform: 'chaos', scope: 'chaos', channelId: message.channelId },
    messageId: message.messageId,
    userId: message.userId,
    text: 'remove the square',
    images: [{ bytes: Buffer.from(message.png, 'base64') }],
    mask: { kind: 'box', box: { x: 8, y: 6, w: 20, h: 14 } },
  };
  void send({ type: 'taking', messageId: message.messageId })
    .then(() => app.core.handleTurn(turn, replyTo(turn.ref)))
    .then(() => send({ type: 'handled', messageId: message.messageId }));
});
await send({ type: 'ready' });
