import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import type { ConversationRef, IncomingTurn } from '../../src/contracts.ts';
import { fakeEngine } from '../helpers/fake-engine.ts';
import { silentLog, tempDataDir, testConfig } from '../helpers/env.ts';
import { pictureFile } from '../helpers/images.ts';
import { recordingAdapter, recordingReply } from '../helpers/reply.ts';

/** No detector installed (an empty data dir): what each surface answers to an instruction without a marked area. */
let app: App;
const adapters = new Map<string, ReturnType<typeof recordingAdapter>>();
let temp: ReturnType<typeof tempDataDir>;
beforeAll(async () => {
  temp = tempDataDir();
  app = await createApp({ config: testConfig(temp.dir), log: silentLog, engine: fakeEngine({ generative: true }) });
  for (const platform of ['studio', 'cli', 'discord', 'slack']) adapters.set(platform, recordingAdapter(platform));
  for (const adapter of adapters.values()) app.attach(adapter);
  app.startWorker();
});
afterAll(async () => {
  await app.close();
  temp.cleanup();
});

async function say(ref: ConversationRef, text: string, extra: Partial<IncomingTurn> = {}) {
  const reply = recordingReply();
  await app.core.handleTurn({ ref, messageId: randomUUID(), userId: 'u1', text, images: [], ...extra }, reply);
  await app.core.settled(ref);
  return reply;
}

const byHand: Record<string, RegExp> = {
  studio: /Meanwhile, mark the area yourself: paint over it with the Brush, or drag a Box around it/,
  cli: /Meanwhile, mark the area yourself: add `--box x,y,w,h` .* or `--mask mask\.png` .*; in `brushtalk chat`, say `mask box x,y,w,h` first/,
  discord: /Meanwhile, mark the area yourself: say `mask box x,y,w,h` .* first, then what to change/,
  slack: /Meanwhile, mark the area yourself: say `mask box x,y,w,h` .* first, then what to change/,
};

describe('a free-text instruction when the detector is not installed', () => {
  it.each(Object.keys(byHand))('on %s: names the pull command and the way to mark the area there; the turn failed with weights.missing', async (platform) => {
    const ref: ConversationRef = { platform, scope: 'local', channelId: `hints-${platform}` };
    expect((await say(ref, '', { images: [{ bytes: await pictureFile(64, 48) }] })).outcomes).toEqual([{ failed: null }]);

    // Free text goes through the agent, which answers in words: still a failed turn, with the hint.
    for (const instruction of ['remove the bench', 'make the sky pink']) {
      const reply = await say(ref, instruction);
      const text = reply.texts.join('\n');
      expect(text).toMatch(/detector model grounding-dino-tiny is not installed\. Run: npx brushtalk weights pull grounding-dino-tiny/);
      expect(text).toMatch(byHand[platform]);
      for (const other of Object.keys(byHand).filter((p) => byHand[p].source !== byHand[platform].source)) expect(text).not.toMatch(byHand[other]);
      expect(reply.outcomes).toEqual([{ failed: 'weights.missing' }]);
    }
    // The explicit command is refused as an error, with the same hint and the same outcome.
    const find = await say(ref, 'find the dog');
    expect(find.errors.join('\n')).toMatch(byHand[platform]);
    expect(find.outcomes).toEqual([{ failed: 'weights.missing' }]);
    // What the hint says works: a box, then the instruction, queues the edit.
    expect((await say(ref, 'mask box 10,10,20,20')).outcomes).toEqual([{ failed: null }]);
    const edit = await say(ref, 'remove the bench');
    expect(edit.outcomes).toEqual([{ failed: null }]);
    expect(edit.texts.join('\n')).toMatch(/Editing with fake/);
    expect(adapters.get(platform)!.reply.images.map((i) => i.details.role)).toContain('result'); // results arrive through the adapter
  });
});
