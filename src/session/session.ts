import type { ConversationRef } from '../contracts.ts';
import { BrushtalkError } from '../errors.ts';
import { captionForEdit, cleanCaption, inputForEdit, negativePromptFor } from './edit-inputs.ts';
import { defaultParams, validateParams, type EditParams } from './params.ts';
import { isPicture, pictures } from './pictures.ts';
import type { Clock, Detections, EditJobSpec, EditOutcome, EditSession, EditType, InstructionReading, SourceImage, Version, VersionKind } from './types.ts';

export type { Clock, Detections, EditJobSpec, EditOutcome, EditSession, EditType, InstructionReading, SourceImage, Version, VersionKind };

/**
 * An edit session as pure state: an append-only graph of versions, a head, and undo/redo stacks of
 * version ids. Every transition returns a new session and never touches pixels, files or the database;
 * the turn loads pixels, the repository persists. Illegal transitions throw user-worded BrushtalkErrors.
 */

export function createSession(id: string, ref: ConversationRef, ownerId: string): EditSession {
  return { id, ref, ownerId, versions: [], headId: null, undo: [], redo: [], rev: 0 };
}

export function headVersion(session: EditSession): Version | null {
  return session.headId === null ? null : findVersion(session, session.headId);
}

export function requireHead(session: EditSession): Version {
  const head = headVersion(session);
  if (!head) throw new BrushtalkError('session.no_image', 'There is no picture in this conversation yet. Send one first.');
  return head;
}

function findVersion(session: EditSession, id: string): Version {
  const version = session.versions.find((v) => v.id === id);
  if (!version) throw new Error(`session ${session.id} has no version ${id}`);
  return version;
}

/** Append a version as a child of `parentId` and make it the head; the old head becomes undoable. */
function append(session: EditSession, fields: Omit<Version, 'id' | 'number' | 'picture' | 'createdAt'>, clock: Clock): EditSession {
  const number = session.versions.reduce((max, v) => Math.max(max, v.number), 0) + 1;
  const picture = isPicture(fields) ? session.versions.reduce((max, v) => Math.max(max, v.picture ?? 0), 0) + 1 : null;
  const version: Version = { ...fields, id: clock.newId(), number, picture, createdAt: clock.now() };
  return {
    ...session,
    versions: [...session.versions, version],
    headId: version.id,
    undo: session.headId === null ? session.undo : [...session.undo, session.headId],
    redo: [],
  };
}

/** Whose result buttons a version's are: the author of its picture, or the session's owner for older rows. */
export function ownerOf(session: EditSession, version: Version): string {
  return version.authorId ?? session.ownerId;
}

/** A new picture starts a new root in the graph; its parameters carry over from the current head. */
export function addSource(session: EditSession, source: SourceImage, seed: number, clock: Clock): EditSession {
  const previous = headVersion(session);
  return append(
    session,
    {
      parentId: null,
      kind: 'source',
      note: 'new picture',
      imageId: source.imageId,
      width: source.width,
      height: source.height,
      maskId: source.maskId ?? null,
      maskCoverage: source.maskId ? (source.maskCoverage ?? 0) : 0,
      caption: null,
      negativePrompt: null,
      editType: null,
      object: null,
      detections: null,
      params: { ...(previous ? previous.params : { ...defaultParams, seed }), ...validateParams(source.params ?? {}) },
      engine: null,
      metrics: null,
      previewId: null,
      jobId: null,
      authorId: source.authorId ?? session.ownerId,
    },
    clock,
  );
}

function derive(session: EditSession, kind: VersionKind, note: string, change: Partial<Version>, clock: Clock): EditSession {
  const head = requireHead(session);
  return append(
    session,
    { ...head, parentId: head.id, kind, note, negativePrompt: null, engine: null, metrics: null, previewId: null, jobId: null, ...change },
    clock,
  );
}

/**
 * Replace the mask (null clears it). Coverage is the hole's share of the image, computed by the caller.
 * A mask built from detections records them (and the object); a hand-made mask forgets stale ones.
 */
export function setMask(
  session: EditSession,
  maskId: string | null,
  coverage: number,
  note: string,
  clock: Clock,
  found: { detections: Detections; object: string } | null = null,
): EditSession {
  if (maskId !== null && !(coverage > 0)) {
    throw new BrushtalkError('mask.empty', 'That would leave the mask empty. Draw a region first, e.g. `mask box 10,10,200,150`.');
  }
  const change: Partial<Version> = { maskId, maskCoverage: maskId === null ? 0 : coverage };
  if (found) Object.assign(change, { detections: found.detections, object: found.object });
  return derive(session, 'mask', note, change, clock);
}

export const maxCaptionLength = 500;

export function setCaption(session: EditSession, caption: string, clock: Clock): EditSession {
  const text = cleanCaption(caption);
  if (text.length === 0) throw new BrushtalkError('command.bad_arguments', 'The caption is empty. Usage: `caption a red car on a wet street`.');
  if (text.length > maxCaptionLength) {
    throw new BrushtalkError('command.bad_arguments', `That caption is ${text.length} characters; keep it under ${maxCaptionLength}.`);
  }
  return derive(session, 'caption', `caption: ${text}`, { caption: text }, clock);
}

export function setParams(session: EditSession, update: Partial<EditParams>, clock: Clock): EditSession {
  const head = requireHead(session);
  validateParams(update);
  const note = Object.entries(update).map(([k, v]) => `${k} ${typeof v === 'boolean' ? (v ? 'on' : 'off') : v}`).join(', ');
  return derive(session, 'params', note, { params: { ...head.params, ...update } }, clock);
}

/**
 * Check that an edit can run from the head and say what the worker must do. The session itself does not
 * change: the result version appears when the job finishes (applyEditResult). The prompts follow edit-inputs.ts:
 * a caption set for this edit, else the instructor's reading of this instruction, never the instruction.
 */
export function planEdit(session: EditSession, instruction: string, editType: EditType | null = null, reading: InstructionReading = {}): EditJobSpec {
  const head = requireHead(session);
  if (!head.maskId) {
    throw new BrushtalkError('mask.missing', 'There is no mask yet: say which region to change, e.g. `mask box 40,60,200,120`, or send a mask picture.');
  }
  if (!(head.maskCoverage > 0)) throw new BrushtalkError('mask.empty', 'The mask is empty: draw a region first, e.g. `mask box 40,60,200,120`.');
  const caption = captionForEdit(session, head, instruction) ?? reading.caption?.trim() ?? '';
  const input = inputForEdit(session, head, instruction);
  return {
    conversationId: session.id,
    sourceVersionId: head.id,
    ...(input.imageId !== head.imageId ? { inputVersionId: input.id } : {}),
    imageId: input.imageId,
    maskId: head.maskId,
    caption: caption.slice(0, maxCaptionLength),
    negativePrompt: negativePromptFor(editType, reading.object ?? head.object),
    instruction: instruction.trim(),
    editType,
    params: head.params,
  };
}

/**
 * The finished job becomes a child of the version it was queued from and the new head (the user asked for
 * it, even if they undid something meanwhile). When the head is still that version and the job completes it
 * (see EditJobSpec.completesSource), undo goes back past both. Applying the same job twice changes nothing.
 */
export function applyEditResult(session: EditSession, spec: EditJobSpec, outcome: EditOutcome, clock: Clock): EditSession {
  if (session.versions.some((v) => v.jobId === outcome.jobId)) return session;
  const source = findVersion(session, spec.sourceVersionId);
  const completesStep = session.headId === source.id && spec.completesSource === true;
  const next = append(
    session,
    {
      ...source,
      parentId: spec.inputVersionId ?? source.id,
      kind: 'result',
      note: spec.instruction || spec.caption,
      imageId: outcome.imageId,
      maskId: spec.maskId,
      caption: spec.caption,
      negativePrompt: spec.negativePrompt ?? null,
      editType: spec.editType,
      params: spec.params,
      engine: outcome.engine,
      metrics: outcome.metrics,
      previewId: outcome.previewId,
      jobId: outcome.jobId,
    },
    clock,
  );
  return completesStep ? { ...next, undo: session.undo } : next;
}

export function undo(session: EditSession): EditSession {
  const target = session.undo.at(-1);
  if (target === undefined || session.headId === null) throw new BrushtalkError('session.nothing_to_undo', 'Nothing to undo: this is the first step.');
  return { ...session, headId: target, undo: session.undo.slice(0, -1), redo: [...session.redo, session.headId] };
}

export function redo(session: EditSession): EditSession {
  const target = session.redo.at(-1);
  if (target === undefined || session.headId === null) throw new BrushtalkError('session.nothing_to_redo', 'Nothing to redo.');
  return { ...session, headId: target, redo: session.redo.slice(0, -1), undo: [...session.undo, session.headId] };
}

/** Jump to picture `number` (what users call version N); editing from there starts a branch. */
export function checkout(session: EditSession, number: number): EditSession {
  const target = session.versions.find((v) => v.picture === number);
  if (!target) {
    const last = pictures(session).length;
    const range = last === 0 ? 'there are no versions yet' : `versions run from 1 to ${last}`;
    throw new BrushtalkError('session.unknown_version', `There is no version ${number}: ${range}.`);
  }
  return checkoutVersion(session, target);
}

/** Jump to one version of the graph (a button on an older result, the head a page believes). */
export function checkoutVersion(session: EditSession, target: Version): EditSession {
  if (target.id === session.headId) return session;
  return {
    ...session,
    headId: target.id,
    undo: session.headId === null ? session.undo : [...session.undo, session.headId],
    redo: [],
  };
}
