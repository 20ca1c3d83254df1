import { describe, expect, it } from 'vitest';
import * as S from '../../src/session/session.ts';
import { isBrushtalkError } from '../../src/errors.ts';

const ref = { platform: 'cli', scope: 'local', channelId: 'test' };

function clock(): S.Clock {
  let id = 0;
  let time = 1000;
  return { newId: () => `id${++id}`, now: () => time++ };
}

function started(c = clock()) {
  const session = S.addSource(S.createSession('s', ref, 'u'), { imageId: 'img1', width: 64, height: 48, maskId: 'm1', maskCoverage: 0.2 }, 7, c);
  return { session, c };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isBrushtalkError(error)) return error.code;
    throw error;
  }
  return 'ok';
}

describe('edit session transitions', () => {
  it('a new session has no head; adding a picture makes version 1 the head', () => {
    const empty = S.createSession('s', ref, 'u');
    expect(S.headVersion(empty)).toBeNull();
    const { session } = started();
    const head = S.requireHead(session);
    expect(head).toMatchObject({ number: 1, kind: 'source', parentId: null, imageId: 'img1', maskId: 'm1', maskCoverage: 0.2 });
    expect(head.params.seed).toBe(7);
    expect(session.undo).toEqual([]);
  });

  it('each step appends a child of the head, pushes the old head on the undo stack and clears redo', () => {
    const { session, c } = started();
    const masked = S.setMask(session, 'm2', 0.3, 'mask grow 4', c);
    const captioned = S.setCaption(masked, '  a red car  ', c);
    const tuned = S.setParams(captioned, { steps: 20, blend: false }, c);
    const [v1, v2, v3, v4] = tuned.versions;
    expect([v2.parentId, v3.parentId, v4.parentId]).toEqual([v1.id, v2.id, v3.id]);
    expect(v3.caption).toBe('a red car');
    expect(v4.params).toMatchObject({ steps: 20, blend: false, seed: 7 });
    expect(v4.maskId).toBe('m2');
    expect(tuned.undo).toEqual([v1.id, v2.id, v3.id]);
    expect(tuned.headId).toBe(v4.id);
    // the input session is untouched (pure)
    expect(session.versions).toHaveLength(1);
  });

  it('undo and redo walk the stacks and a new step after undo branches and drops redo', () => {
    const { session, c } = started();
    const a = S.setMask(session, 'm2', 0.3, 'grow', c);
    const b = S.setCaption(a, 'x', c);
    const undone = S.undo(S.undo(b));
    expect(undone.headId).toBe(session.headId);
    expect(undone.redo).toHaveLength(2);
    const redone = S.redo(undone);
    expect(redone.headId).toBe(a.headId);
    const branched = S.setCaption(redone, 'y', c);
    expect(branched.redo).toEqual([]);
    expect(S.requireHead(branched).parentId).toBe(a.headId);
    expect(branched.versions.map((v) => v.number)).toEqual([1, 2, 3, 4]);
  });

  it('checkout jumps to any version, keeps it undoable, and a no-op checkout changes nothing', () => {
    const { session, c } = started();
    const later = S.setCaption(S.setMask(session, 'm2', 0.3, 'g', c), 'x', c);
    const back = S.checkout(later, 1);
    expect(back.headId).toBe(session.headId);
    expect(S.undo(back).headId).toBe(later.headId);
    expect(S.checkout(back, 1)).toBe(back);
  });

  it('planEdit takes the head mask; the prompt is a caption set for this edit or the reading of it, never the instruction', () => {
    const { session, c } = started();
    // A painted mask and "remove the cup", nothing known of what remains: an empty prompt, the cup in the negative.
    expect(S.planEdit(session, 'remove the cup', 'removal', { caption: null, object: 'cup' })).toMatchObject({
      sourceVersionId: session.headId, imageId: 'img1', maskId: 'm1', caption: '', negativePrompt: 'cup, ugly, low quality',
    });
    expect(S.planEdit(session, 'remove the cup').caption).toBe('');
    expect(S.planEdit(session, 'make it a red car', 'local', { caption: 'a red car', object: 'car' })).toMatchObject({ caption: 'a red car', negativePrompt: 'ugly, low quality' });
    const captioned = S.setCaption(session, 'an empty table', c);
    expect(S.planEdit(captioned, 'remove the cup', 'removal', { caption: 'a table', object: 'cup' }).caption).toBe('an empty table');
  });

  it("a caption belongs to its edit: a re-run keeps it, a new instruction never inherits the last edit's", () => {
    const { session, c } = started();
    const captioned = S.setCaption(session, 'a dog wearing a hat', c);
    const spec = S.planEdit(captioned, 'add a hat', 'addition', { caption: 'a hat', object: 'hat' });
    const done = S.applyEditResult(captioned, spec, { jobId: 'j', imageId: 'img2', engine: 'e', metrics: {}, previewId: null }, c);
    expect(S.requireHead(done)).toMatchObject({ caption: 'a dog wearing a hat', negativePrompt: 'ugly, low quality' });
    expect(S.planEdit(done, 'add a hat', 'addition').caption).toBe('a dog wearing a hat');
    const removal = S.planEdit(done, 'remove the dog', 'removal', { caption: null, object: 'dog' });
    expect(removal).toMatchObject({ caption: '', negativePrompt: 'dog, ugly, low quality' });
    // A mask step after the result does not make the old caption this edit's either.
    expect(S.planEdit(S.setMask(done, 'm3', 0.2, 'mask grow 5', c), 'remove the dog', 'removal').caption).toBe('');
  });

  it('refine = redo: the same instruction after a mask change starts from that edit\'s input; a new one from the result', () => {
    const { session, c } = started();
    const first = S.planEdit(session, 'remove the cup', 'removal');
    const done = S.applyEditResult(session, first, { jobId: 'j1', imageId: 'img2', engine: 'e', metrics: {}, previewId: null }, c);
    const shrunk = S.setMask(done, 'm2', 0.1, 'mask shrink 10', c);
    const redo = S.planEdit(shrunk, 'remove the cup', 'removal');
    expect(redo).toMatchObject({ imageId: 'img1', maskId: 'm2', sourceVersionId: shrunk.headId, inputVersionId: session.headId });
    const sibling = S.requireHead(S.applyEditResult(shrunk, redo, { jobId: 'j2', imageId: 'img3', engine: 'e', metrics: {}, previewId: null }, c));
    expect(sibling).toMatchObject({ parentId: session.headId, maskId: 'm2', imageId: 'img3' });
    expect(S.planEdit(shrunk, 'remove the saucer', 'removal')).toMatchObject({ imageId: 'img2', maskId: 'm2' });
    expect(S.planEdit(shrunk, 'remove the saucer', 'removal').inputVersionId).toBeUndefined();
  });

  it('caption text is taken without the punctuation and quotes people put around it', () => {
    const { session, c } = started();
    for (const typed of [': a red vase', '"a red vase"', '= “a red vase”', '  - a red vase ', 'should be a red vase', 'is: a red vase', 'to "a red vase"']) {
      expect(S.requireHead(S.setCaption(session, typed, c)).caption).toBe('a red vase');
    }
  });

  it('applyEditResult adds the result as a child of the source version, once', () => {
    const { session, c } = started();
    const spec = S.planEdit(session, 'remove the cup');
    const moved = S.setCaption(session, 'meanwhile', c); // the user kept talking while the job ran
    const outcome = { jobId: 'job1', imageId: 'img2', engine: 'classical-telea', metrics: { psnr: 40 }, previewId: 'p1' };
    const done = S.applyEditResult(moved, spec, outcome, c);
    const result = S.requireHead(done);
    expect(result).toMatchObject({ kind: 'result', parentId: session.headId, imageId: 'img2', maskId: 'm1', jobId: 'job1', engine: 'classical-telea' });
    expect(done.undo.at(-1)).toBe(moved.headId);
    expect(S.applyEditResult(done, spec, outcome, c)).toBe(done);
  });

  it('a result completes the step it was queued from when the spec says so: undo skips both', () => {
    const { session, c } = started();
    const masked = S.setMask(session, 'm2', 0.3, 'find the cup', c);
    const outcome = { jobId: 'job2', imageId: 'img3', engine: 'e', metrics: {}, previewId: null };
    const completing = S.applyEditResult(masked, { ...S.planEdit(masked, 'remove it'), completesSource: true }, outcome, c);
    expect(completing.undo).toEqual(masked.undo);
    expect(S.undo(completing).headId).toBe(session.headId);
    const separate = S.applyEditResult(masked, S.planEdit(masked, 'remove it'), outcome, c);
    expect(S.undo(separate).headId).toBe(masked.headId);
  });

  const illegal: [string, (s: S.EditSession, c: S.Clock) => unknown, string][] = [
    ['undo at the first step', (s) => S.undo(s), 'session.nothing_to_undo'],
    ['redo with nothing undone', (s) => S.redo(s), 'session.nothing_to_redo'],
    ['checkout of a missing version', (s) => S.checkout(s, 9), 'session.unknown_version'],
    ['an empty caption', (s, c) => S.setCaption(s, '   ', c), 'command.bad_arguments'],
    ['a caption over 500 characters', (s, c) => S.setCaption(s, 'x'.repeat(501), c), 'command.bad_arguments'],
    ['a mask with zero coverage', (s, c) => S.setMask(s, 'm9', 0, 'm', c), 'mask.empty'],
    ['an edit with the mask cleared', (s, c) => S.planEdit(S.setMask(s, null, 0, 'clear', c), 'x'), 'mask.missing'],
    ['a caption that is only punctuation', (s, c) => S.setCaption(s, ' : "" ', c), 'command.bad_arguments'],
    ['steps out of range', (s, c) => S.setParams(s, { steps: 0 }, c), 'params.invalid'],
    ['a fractional seed', (s, c) => S.setParams(s, { seed: 1.5 }, c), 'params.invalid'],
    ['strength above 1.1', (s, c) => S.setParams(s, { strength: 1.2 }, c), 'params.invalid'],
    ['guidance NaN', (s, c) => S.setParams(s, { guidance: Number.NaN }, c), 'params.invalid'],
    ['too many samples', (s, c) => S.setParams(s, { samples: 5 }, c), 'params.invalid'],
  ];
  it.each(illegal)('refuses %s with a worded error', (_name, transition, code) => {
    const { session, c } = started();
    expect(codeOf(() => transition(session, c))).toBe(code);
  });

  const needsPicture: [string, (s: S.EditSession, c: S.Clock) => unknown][] = [
    ['setMask', (s, c) => S.setMask(s, 'm', 0.5, 'x', c)],
    ['setCaption', (s, c) => S.setCaption(s, 'x', c)],
    ['setParams', (s, c) => S.setParams(s, { seed: 1 }, c)],
    ['planEdit', (s) => S.planEdit(s, 'x')],
    ['undo', (s) => S.undo(s)],
    ['checkout', (s) => S.checkout(s, 1)],
  ];
  it.each(needsPicture)('%s before any picture is refused', (_name, transition) => {
    const empty = S.createSession('s', ref, 'u');
    expect(codeOf(() => transition(empty, clock()))).toMatch(/^session\.(no_image|nothing_to_undo|unknown_version)$/);
  });

  it('error messages are worded for people and name the bad value', () => {
    const { session, c } = started();
    expect(() => S.setParams(session, { steps: 500 }, c)).toThrow(/steps must be a whole number from 1 to 100, not "500"/);
    expect(() => S.checkout(session, 4)).toThrow(/There is no version 4: versions run from 1 to 1/);
  });
});
