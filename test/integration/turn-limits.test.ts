import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { maxInstructionChars, type IncomingTurn } from '../../src/contracts.ts';
import { createLogger } from '../../src/log.ts';
import type { SessionOps } from '../../src/turn/ops.ts';
import type { VisionService } from '../../src/vision/service.ts';
import { editingTools } from '../../tools/index.ts';
import { fakeEngine } from '../helpers/fake-engine.ts';
import { fakeVision } from '../helpers/fake-vision.ts';
import { silentLog, tempDataDir, testConfig } from '../helpers/env.ts';
import { pictureFile } from '../helpers/images.ts';
import { recordingReply } from '../helpers/reply.ts';

/**
 * One instruction length limit, enforced by the core before anything reads the words, and no tool or library
 * error text in front of a user: through the real turn (the offline agent and its LangChain tools).
 */

const ref = { platform: 'test', scope: 'guild', channelId: 'chan' };
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A logger whose JSON lines the test can read. */
function capturingLog() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
  return { log: createLogger('info', sink), lines };
}

async function start(options: { vision?: VisionService; log?: ReturnType<typeof createLogger> } = {}) {
  const temp = tempDataDir();
  const app = await createApp({ config: testConfig(temp.dir), log: options.log ?? silentLog, engine: fakeEngine(), vision: options.vision ?? fakeVision({}).service });
  app.startWorker();
  cleanups.push(temp.cleanup, () => app.close());
  return app;
}

async function say(app: Awaited<ReturnType<typeof start>>, text: string, extra: Partial<IncomingTurn> = {}) {
  const reply = recordingReply();
  await app.core.handleTurn({ ref, messageId: randomUUID(), userId: 'u1', text, images: [], ...extra }, reply);
  await app.core.settled(ref);
  return reply;
}

const leaks = /kwargs|Error invoking|Please fix|\bat .*\.ts:\d+|stack/i;

describe('instruction length and tool errors', () => {
  it(`refuses past ${maxInstructionChars} characters in words, before the picture is taken, without echoing the words`, async () => {
    const app = await start();
    const png = await pictureFile(64, 48);
    const long = `remove the big square ${'and more '.repeat(80)}`.slice(0, 600);
    expect(long).toHaveLength(600);
    const reply = await say(app, long, { images: [{ bytes: png }] });
    expect(reply.texts).toEqual([]);
    expect(reply.errors).toEqual([expect.stringMatching(/^That message is 600 characters; keep instructions to 500 or fewer\. \(ref T-[0-9A-Z]{6}\)$/)]);
    expect(await app.core.view(ref)).toBeNull();

    const started = performance.now();
    const huge = await say(app, 'x'.repeat(1024 * 1024), { images: [{ bytes: png }] });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(huge.errors).toEqual([expect.stringMatching(/^That message is 1,048,576 characters; keep instructions to 500 or fewer\./)]);
    expect(huge.errors[0].length).toBeLessThan(200);

    // A caption typed into a result's form is the same kind of words.
    const caption = await say(app, '', { action: { action: 'caption', sessionId: 's', versionId: 'v', value: 'y'.repeat(501) } });
    expect(caption.errors).toEqual([expect.stringMatching(/^That message is 501 characters/)]);
  });

  it('up to the limit the agent runs, and its answer carries no tool error text', async () => {
    const app = await start();
    const png = await pictureFile(64, 48);
    const words = `remove the ${'really '.repeat(68)}big square!!!`;
    expect(words).toHaveLength(maxInstructionChars);
    const reply = await say(app, words, { images: [{ bytes: png }] });
    const said = [...reply.texts, ...reply.errors].join('\n');
    expect(said).toMatch(/Got the picture/);
    expect(said).not.toMatch(leaks);
    expect(said).not.toContain('really really');
  });

  it('a tool that throws a plain Error (library text, arguments, a stack) reaches the user as the generic words with a reference that finds it in the log', async () => {
    const secret = 'SECRET-ARGUMENT-TEXT';
    const vision: VisionService = {
      ...fakeVision({}).service,
      async detect() {
        throw new Error(`Error invoking tool 'find_object' with kwargs {"object":"${secret}"}\n    at detect (/srv/brushtalk/src/vision/x.ts:12:3)`);
      },
    };
    const { log, lines } = capturingLog();
    const app = await start({ vision, log });
    const reply = await say(app, 'remove the dog', { images: [{ bytes: await pictureFile(64, 48) }] });
    const said = [...reply.texts, ...reply.errors].join('\n');
    expect(said).not.toContain(secret);
    expect(said).not.toMatch(leaks);
    const reference = /Something went wrong on our side\. The reference (T-[0-9A-Z]{6}) finds the details in the logs\./.exec(said);
    expect(reference).not.toBeNull();
    const logged = lines.find((l) => l.ref === reference![1] && l.msg === 'tool failed');
    expect(logged).toMatchObject({ tool: 'find_object', err: { message: expect.stringContaining(secret) } });
  });

  it('arguments a model got wrong (past a tool schema) come back to it as words with a reference, not the kwargs', async () => {
    const { log, lines } = capturingLog();
    const ops = { ref: 'T-TESTED', log } as unknown as SessionOps;
    const find = editingTools.find((t) => t.name === 'find_object')!;
    const object = `the ${'enormous '.repeat(20)}dog`;
    const message = (await find.invoke({ type: 'tool_call', id: 'call-1', name: 'find_object', args: { object } }, { context: { ops } } as never)) as { content: unknown; status?: string };
    expect(message.status).toBe('error');
    expect(message.content).toBe("Error: I couldn't work out the details of that request. Try saying it more simply, or use a command (`help` lists them). (ref T-TESTED)");
    expect(lines.find((l) => l.ref === 'T-TESTED')).toMatchObject({ msg: 'tool arguments refused', tool: 'find_object' });
  });
});
