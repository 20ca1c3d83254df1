import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIP_BOS, CLIP_EOS, CLIP_LENGTH, frameClipIds, loadClipTokenizer, type ClipTokenizer } from '../../src/engines/brushnet/tokenizer.ts';
import { writeClipTokenizer } from '../helpers/tiny-brushnet.ts';

/*
 * The tiny vocabulary (see writeClipTokenizer): letters a..z are ids 0..25, word-final letters "a</w>".."z</w>"
 * are 26..51, then merges c+a → "ca" 52, ca+t</w> → "cat</w>" 53, d+o → "do" 54, do+g</w> → "dog</w>" 55,
 * "," 56 and ",</w>" 57; <|startoftext|> 49406, <|endoftext|> 49407, as in openai/clip-vit-large-patch14.
 */
const pad = (ids: number[]) => [...ids, ...Array(CLIP_LENGTH - ids.length).fill(CLIP_EOS)];

describe('CLIP tokenizer', () => {
  let dir: string;
  let tokenizer: ClipTokenizer;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-clip-'));
    writeClipTokenizer(path.join(dir, 'clip-test', 'tokenizer'));
    tokenizer = await loadClipTokenizer(dir, 'clip-test');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['a cat, dog', [CLIP_BOS, 26, 53, 57, 55, CLIP_EOS]],
    // CLIP lower-cases and collapses whitespace before splitting.
    ['  A   CAT ', [CLIP_BOS, 26, 53, CLIP_EOS]],
    // No merge for "ca"+"b</w>": the word stays in two pieces.
    ['cab', [CLIP_BOS, 52, 27, CLIP_EOS]],
    // Words without merges fall apart into their letters; the last carries </w>.
    ['dot', [CLIP_BOS, 54, 45, CLIP_EOS]],
  ])('golden ids for %j', (text, ids) => {
    expect(tokenizer.encode(text)).toEqual(pad(ids));
  });

  it('the empty prompt is BOS then EOS padding', () => {
    expect(tokenizer.encode('')).toEqual(pad([CLIP_BOS, CLIP_EOS]));
  });

  it('always returns 77 ids; long prompts are truncated keeping EOS last', () => {
    const ids = tokenizer.encode(Array(100).fill('cat').join(' '));
    expect(ids).toHaveLength(CLIP_LENGTH);
    expect(ids[0]).toBe(CLIP_BOS);
    expect(ids.slice(1, 76)).toEqual(Array(75).fill(53));
    expect(ids[76]).toBe(CLIP_EOS);
  });

  it('exactly 75 words fill the window with no padding', () => {
    const ids = tokenizer.encode(Array(75).fill('a').join(' '));
    expect(ids).toEqual([CLIP_BOS, ...Array(75).fill(26), CLIP_EOS]);
  });

  it('frames ids with the special ids it is given', () => {
    expect(frameClipIds([5, 6], { bos: 1, eos: 2, pad: 0 })).toEqual([1, 5, 6, 2, ...Array(73).fill(0)]);
  });

  it('a folder without a tokenizer fails with a worded weights error', async () => {
    await expect(loadClipTokenizer(dir, 'no-such-model')).rejects.toMatchObject({ code: 'weights.corrupt' });
  });
});
