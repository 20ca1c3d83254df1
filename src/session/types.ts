import type { ConversationRef } from '../contracts.ts';
import type { EditParams } from './params.ts';

/** The shapes of an edit session (session.ts has the transitions). */

export type VersionKind = 'source' | 'mask' | 'caption' | 'params' | 'result';
export type EditType = 'addition' | 'removal' | 'local' | 'global' | 'background';

/** What the detector found for a phrase on this version's picture, and which boxes the mask uses. */
export interface Detections {
  phrase: string;
  /** The box threshold of BrushEdit's cascade at which boxes appeared. */
  threshold: number;
  boxes: { x: number; y: number; w: number; h: number; score: number; label: string }[];
  /** Indices into boxes, in the order a person counts them (left to right). */
  selected: number[];
}

export interface Version {
  id: string;
  /** 1, 2, 3… per session over every step: the storage order (unique per conversation). */
  number: number;
  /**
   * 1, 2, 3… over the pictures only (sources and results): what users number, list and type in "version 2".
   * Null on mask, caption and settings steps, which belong to the picture they stand on.
   */
  picture: number | null;
  parentId: string | null;
  kind: VersionKind;
  /** One line saying what this step did ("mask grow 12", "remove the cup"). */
  note: string;
  imageId: string;
  width: number;
  height: number;
  maskId: string | null;
  maskCoverage: number;
  caption: string | null;
  /** A result's negative prompt (absent on rows stored before it was recorded, null on other steps). */
  negativePrompt?: string | null;
  editType: EditType | null;
  object: string | null;
  /** Kept so later turns can say "the other one" or "both" without detecting again. */
  detections: Detections | null;
  params: EditParams;
  engine: string | null;
  metrics: Record<string, unknown> | null;
  previewId: string | null;
  jobId: string | null;
  /**
   * Who brought the picture this version descends from (copied down the graph): in a shared channel each
   * person's result buttons are theirs. Absent on versions stored before it was recorded: the session's owner.
   */
  authorId?: string | null;
  createdAt: number;
}

export interface EditSession {
  id: string;
  ref: ConversationRef;
  ownerId: string;
  versions: Version[];
  headId: string | null;
  undo: string[];
  redo: string[];
  /** Loaded revision; the repository refuses a save if someone else saved in between. */
  rev: number;
}

/** Ids and time come from outside so transitions stay pure and testable. */
export interface Clock {
  newId(): string;
  now(): number;
}

/** What the worker needs to run an edit, decided when the edit is queued. */
export interface EditJobSpec {
  conversationId: string;
  /** The version the edit was asked from: its mask, caption and settings. */
  sourceVersionId: string;
  /**
   * Set when the edit redoes an earlier one from that edit's input picture (edit-inputs.ts): the result becomes
   * a child of this version, a sibling of the result it replaces. Absent: the source's own picture.
   */
  inputVersionId?: string;
  /** The input picture. */
  imageId: string;
  maskId: string;
  /** The positive prompt: the target caption (may be empty: a removal when nothing is known of what remains). */
  caption: string;
  /** What the engine must steer away from; absent on jobs queued before it was recorded (the engine's default). */
  negativePrompt?: string;
  instruction: string;
  editType: EditType | null;
  params: EditParams;
  /**
   * The source is a step made on the way to this edit in the same turn (a mask found for it): the result then
   * completes that step, and undo goes back past both.
   */
  completesSource?: boolean;
}

export interface EditOutcome {
  jobId: string;
  imageId: string;
  engine: string;
  metrics: Record<string, unknown>;
  previewId: string | null;
}

export interface SourceImage {
  imageId: string;
  width: number;
  height: number;
  maskId?: string | null;
  maskCoverage?: number;
  /** Who brought it. */
  authorId?: string;
  /** Settings that override the carried-over ones (the author's own defaults). */
  params?: Partial<EditParams>;
}

/** What the instructor read in the instruction itself: its target caption and the object it names. */
export interface InstructionReading {
  caption?: string | null;
  object?: string | null;
}

