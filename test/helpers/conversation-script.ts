import { expect } from 'vitest';
import type { App } from '../../src/app.ts';
import type { ConversationRef } from '../../src/contracts.ts';
import type { Version } from '../../src/session/session.ts';
import type { fakeEngine } from './fake-engine.ts';
import { pictureFile, readRgb } from './images.ts';

/**
 * Issue 13's recorded conversation, the same on every surface: each surface test drives it through its own
 * transport (a Slack thread, Discord commands, the studio's HTTP API, the core turn) and this script checks what
 * reached the engine, the pictures and the graph. The engine is the fake that paints the hole magenta and says
 * it generates, so additions and changes run too.
 */

export interface ConversationSurface {
  app: App;
  ref: ConversationRef;
  engine: ReturnType<typeof fakeEngine>;
  /** The picture, sent with a first message: everything the surface answered, as text. */
  begin(png: Uint8Array, text: string): Promise<string>;
  say(text: string): Promise<string>;
}

export const width = 96;
export const height = 64;
const firstBox = { x: 16, y: 8, w: 64, h: 48 };
/** `mask shrink 16` of the first box: 32,24,32,16. The blend feathers 10 px around it. */
const shrunkHole = { x: 32, y: 24, w: 32, h: 16 };
const feather = 10;

function pictures(app: App, ref: ConversationRef): Version[] {
  return app.sessions.loadByRef(ref)!.versions.filter((v) => v.picture !== null).sort((a, b) => a.picture! - b.picture!);
}

/** [picture number, kind, number of the picture it was made from]. */
function numbering(app: App, ref: ConversationRef): [number, string, number | null][] {
  const session = app.sessions.loadByRef(ref)!;
  const inputOf = (v: Version): number | null => {
    let p = session.versions.find((x) => x.id === v.parentId);
    while (p && p.picture === null) p = session.versions.find((x) => x.id === p!.parentId);
    return p?.picture ?? null;
  };
  return pictures(app, ref).map((v) => [v.picture!, v.kind, inputOf(v)]);
}

/** Pixels of `a` that differ from `b` inside the first box but farther than the feather from the shrunk hole. */
async function changedOutsideShrunkHole(app: App, a: Version, b: Version): Promise<{ changed: number; checked: number }> {
  const [out, input] = await Promise.all([readRgb(await app.blobs.get(a.imageId)), readRgb(await app.blobs.get(b.imageId))]);
  let changed = 0;
  let checked = 0;
  for (let y = firstBox.y; y < firstBox.y + firstBox.h; y++) {
    for (let x = firstBox.x; x < firstBox.x + firstBox.w; x++) {
      const near = x >= shrunkHole.x - feather && x < shrunkHole.x + shrunkHole.w + feather && y >= shrunkHole.y - feather && y < shrunkHole.y + shrunkHole.h + feather;
      if (near) continue;
      checked++;
      const p = (y * out.width + x) * 3;
      if (out.data[p] !== input.data[p] || out.data[p + 1] !== input.data[p + 1] || out.data[p + 2] !== input.data[p + 2]) changed++;
    }
  }
  return { changed, checked };
}

export async function recordedConversation(surface: ConversationSurface): Promise<void> {
  const { app, ref, engine } = surface;
  const prompt = () => engine.prompts.at(-1);

  // A picture and a new area: nothing runs yet (the area waits for its instruction); v1 is the only picture.
  const begun = await surface.begin(await pictureFile(width, height), `mask box ${firstBox.x},${firstBox.y},${firstBox.w},${firstBox.h}`);
  expect(begun).toMatch(/Got the picture \(96×64, png\)[\s\S]*Mask updated: v1 with mask box 16,8,64,48 · mask 50\.0% for the next edit\./);
  expect(engine.calls).toBe(0);

  // Remove: no prompt (nothing is known of what remains), the removed thing in the negative prompt.
  expect(await surface.say('remove the square')).toMatch(/Editing with fake-fill/);
  expect(prompt()).toEqual({ caption: '', negativePrompt: 'square, ugly, low quality' });
  expect(numbering(app, ref)).toEqual([[1, 'source', null], [2, 'result', 1]]);

  // Shrink after the edit: the edit is redone at once from the photo (v3, a sibling of v2), so none of the first
  // pass's fill is left outside the new mask: far from it, the result equals the photo.
  expect(await surface.say('mask shrink 16')).toMatch(/^Mask updated: v2 with mask shrink 16 · mask 8\.3% for the next edit\.\nEditing with fake-fill/);
  expect(numbering(app, ref)).toEqual([[1, 'source', null], [2, 'result', 1], [3, 'result', 1]]);
  const [v1, v2, v3] = pictures(app, ref);
  const redo = await changedOutsideShrunkHole(app, v3, v1);
  expect(redo.checked).toBeGreaterThan(1000);
  expect(redo.changed).toBe(0);
  expect((await changedOutsideShrunkHole(app, v2, v1)).changed).toBeGreaterThan(1000); // the first pass did fill there
  // Measured against the photo it started from (against v2 the first pass's magenta would bring it far down).
  expect((v3.metrics as { psnr: number }).psnr).toBeGreaterThan(40);

  // `seed 42` and "use seed 42" are one thing: each redoes the edit with seed 42 from the photo — the same picture.
  const command = await surface.say('seed 42');
  const words = await surface.say('use seed 42');
  for (const reply of [command, words]) expect(reply).toMatch(/^Set seed 42\.\nEditing with fake-fill/);
  const [, , , v4, v5] = pictures(app, ref);
  expect([v4.params.seed, v5.params.seed]).toEqual([42, 42]);
  expect(v5.imageId).toBe(v4.imageId);
  expect(numbering(app, ref).slice(3)).toEqual([[4, 'result', 1], [5, 'result', 1]]);

  // A new instruction applies to the current result: an addition names the new thing, the default negative prompt.
  expect(await surface.say('add a red hat')).toMatch(/Editing with fake-fill/);
  expect(prompt()!.caption).toMatch(/\bred hat\b/);
  expect(prompt()!.caption).not.toMatch(/^add\b/i); // the instruction itself is never a prompt
  expect(prompt()!.negativePrompt).toBe('ugly, low quality');

  // A change in an area the user marks: the area waits, the instruction runs on it, the prompt names the result.
  expect(await surface.say('mask box 8,8,24,24')).toMatch(/^Mask updated: v6 with mask box 8,8,24,24 · mask 9\.4% for the next edit\.$/);
  expect(await surface.say('turn it into a blue vase')).toMatch(/Editing with fake-fill/);
  expect(prompt()!.caption).toMatch(/\bblue vase\b/);
  expect(prompt()!.caption).not.toMatch(/turn it into/i);
  expect(prompt()!.negativePrompt).toBe('ugly, low quality');
  expect(numbering(app, ref).slice(5)).toEqual([[6, 'result', 5], [7, 'result', 6]]);

  // Numbering counts pictures everywhere: history lists seven, `version 2` is the first result.
  const history = (await surface.say('history')).split('\n').filter((line) => /^[→ ] v\d+ /.test(line));
  expect(history.map((line) => /^[→ ] (v\d+ \w+)/.exec(line)![1])).toEqual(['v1 source', 'v2 result', 'v3 result', 'v4 result', 'v5 result', 'v6 result', 'v7 result']);
  expect(history[6]).toMatch(/^→ v7/);
  expect(await surface.say('version 2')).toMatch(/^Now at v2 result: remove the square · 96×64 · mask 50\.0%/);
  expect(await surface.say('go back to the original')).toMatch(/v1 source: new picture/);
  expect(engine.calls).toBe(6);
}
