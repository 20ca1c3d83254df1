/**
 * What an edit is made from: the picture it starts from, and its prompts (issue 13).
 *
 * Refine = redo: running the same instruction again after changing its mask, caption or settings redoes that
 * edit from the picture it started from (a sibling of the earlier result), not on top of its result; a new
 * instruction applies to the current picture.
 *
 * The prompts are built as BrushEdit builds them. The positive prompt is the
 * target caption: what the picture shows after the edit. A removal describes only what remains — or nothing,
 * when nothing is known — and the removed object goes into the negative prompt. The instruction text itself is
 * never a prompt ("remove the dog" as a prompt paints a dog back).
 *
 * A caption belongs to the edit it was written for: one set for the coming edit (a caption step after the last
 * picture) is used; a re-run of the same instruction keeps its result's caption; a new instruction gets its
 * own, never the previous edit's.
 */
import { inputPicture, isPicture, pictureVersion } from './pictures.ts';
import type { EditSession, EditType, Version } from './types.ts';

/** The negative prompt every guided edit carries (the BrushNet reference pipeline's default). */
export const DEFAULT_NEGATIVE_PROMPT = 'ugly, low quality';

/**
 * "caption: a red vase", "caption = 'a red vase'", "caption should be a red vase": the text alone, without the
 * words and punctuation that introduce it or the quotes around it.
 */
export function cleanCaption(text: string): string {
  return text
    .trim()
    .replace(/^[\s:=;,.\-–—>]+/u, '')
    // "caption should be a red vase", "caption is …", "caption to …": the words that introduce the text.
    .replace(/^(?:should\s+(?:be|say|read)|(?:is|says|reads|to)\b)[\s:]*/iu, '')
    .replace(/^["'“”‘’`]+|["'“”‘’`]+$/gu, '')
    .trim();
}

/**
 * The caption chosen for an edit about to run from `head`: one set since the last picture, else the last
 * result's when this runs the same instruction again, else null (the caller asks the instructor).
 */
export function captionForEdit(session: EditSession, head: Version, instruction: string): string | null {
  let v: Version | undefined = head;
  while (v && !isPicture(v)) {
    if (v.kind === 'caption' && v.caption) return v.caption;
    v = session.versions.find((p) => p.id === v!.parentId);
  }
  if (v?.kind === 'result' && v.caption !== null && sameWords(v.note, instruction)) return v.caption;
  return null;
}

/**
 * The picture an edit about to run from `head` starts from: the head's own picture, except when the same
 * instruction as that picture's edit runs again — then that edit's input.
 */
export function inputForEdit(session: EditSession, head: Version, instruction: string): Version {
  const picture = pictureVersion(session, head);
  if (picture.kind !== 'result' || !sameWords(picture.note, instruction)) return picture;
  return inputPicture(session, picture) ?? picture;
}

/** The negative prompt: for a removal the removed object first, so the engine steers away from painting it back. */
export function negativePromptFor(editType: EditType | null, object: string | null): string {
  const removed = editType === 'removal' ? object?.trim() : '';
  return removed ? `${removed}, ${DEFAULT_NEGATIVE_PROMPT}` : DEFAULT_NEGATIVE_PROMPT;
}

function sameWords(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();
  return norm(a) === norm(b);
}
