/**
 * The contracts between adapters (transport) and the core. Adapters translate platform events into an
 * IncomingTurn and give the core a ReplyChannel; everything else is decided in src/.
 */
import type { ErrorCode } from './errors.ts';

/** Enough to find the session and to reply later, after restarts. */
export interface ConversationRef {
  platform: string; // 'cli' | 'discord' | 'slack' | 'studio'
  scope: string; // guild / team / 'local'
  channelId: string;
  threadId?: string;
}

export interface ImageInput {
  bytes: Uint8Array;
  name?: string;
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A mask given alongside the turn: painted (a picture, white = change) or a box in image pixels. */
export type MaskInput = { kind: 'image'; bytes: Uint8Array } | { kind: 'box'; box: Box };

export interface IncomingTurn {
  ref: ConversationRef;
  /** Platform message id: the same id twice is one turn (retries, double deliveries). */
  messageId: string;
  userId: string;
  text: string;
  images: ImageInput[];
  mask?: MaskInput;
  /** A button press instead of words (text is then ignored). */
  action?: TurnAction;
  /** The bot's default lets anyone in the conversation press its buttons (a server's own choice overrides it). */
  othersMayAct?: boolean;
  /** The platform says this person administers the server / workspace (Discord: Manage Server). */
  scopeAdmin?: boolean;
}

/**
 * The longest message (an instruction, a command, a caption) the core takes, in characters. The core refuses
 * longer ones in words before anything reads them; adapters may cap their input fields at it too.
 */
export const maxInstructionChars = 500;

/** What result buttons can do. Custom ids carry `v1:<action>:<sessionId>:<versionId>`; state stays in the DB. */
export type ButtonAction = 'reroll' | 'grow' | 'shrink' | 'invert' | 'undo' | 'redo' | 'caption' | 'mask' | 'accept';

export const buttonActions: readonly ButtonAction[] = ['reroll', 'grow', 'shrink', 'invert', 'undo', 'redo', 'caption', 'mask', 'accept'];

export interface TurnAction {
  action: ButtonAction;
  /** The session and version the button was attached to: a press on an older result acts on that result. */
  sessionId: string;
  versionId: string;
  /** The new caption, for 'caption'. ('mask' takes the turn's uploaded mask picture.) */
  value?: string;
}

export interface ImageDetails {
  caption: string;
  fileName: string;
  /** The edited picture, its mask overlay, or the before/after strip. */
  role: 'result' | 'mask' | 'compare';
  /** For results: where the buttons act, and which buttons make sense. */
  sessionId?: string;
  versionId?: string;
  actions?: readonly ButtonAction[];
}

export interface ReplyChannel {
  /** A transient "working on it" line; adapters may overwrite it. */
  status(text: string): Promise<void>;
  text(markdown: string): Promise<void>;
  /** A refusal or failure, already worded for the user (with its reference id). */
  error(message: string): Promise<void>;
  image(png: Uint8Array, details: ImageDetails): Promise<void>;
  progress(jobId: string, fraction: number): Promise<void>;
  /** How the turn ended, after its reply was sent; for a surface that reports it (the command line's exit code). */
  ended?(outcome: TurnOutcome): void;
}

export interface TurnOutcome {
  /** The error code when the turn was refused or failed, also when it answered in words because its agent's last step failed; null otherwise. */
  failed: ErrorCode | null;
}

export interface ChatAdapter {
  readonly platform: string;
  start(onTurn: (turn: IncomingTurn, reply: ReplyChannel) => Promise<void>): Promise<void>;
  replyTo(ref: ConversationRef): ReplyChannel;
  stop(): Promise<void>;
}

/** What adapters may ask of the core. */
export interface Core {
  handleTurn(turn: IncomingTurn, reply: ReplyChannel): Promise<void>;
  /** Resolves once the conversation has no queued or running edits and their results were delivered. */
  settled(ref: ConversationRef): Promise<void>;
  /** The conversation's versions and state, for surfaces that show them (the studio); null when there is none. */
  view(ref: ConversationRef): Promise<SessionView | null>;
  /** The command line's session names on this machine, most recent first (the studio offers them to the local user). */
  cliSessions(): string[];
  /** A stored picture of this conversation (result, mask, preview); null when it does not belong to it. */
  picture(ref: ConversationRef, blobId: string): Promise<Uint8Array | null>;
  /** What is installed and what to run to add more (engine, models, LLM). */
  status(): ServiceStatus;
  /** Find an object in a picture outside any conversation: the mask, an overlay, and what was found. */
  findInPicture(image: Uint8Array, phrase: string): Promise<PictureSearchResult>;
}

export interface PictureSearchResult {
  maskPng: Uint8Array;
  overlayPng: Uint8Array;
  /** One line per match, left to right, marked when used in the mask. */
  lines: string[];
}

/** One picture of a conversation (a source or a result) as surfaces draw it. */
export interface VersionView {
  id: string;
  /** The picture number users see and type ("version 2"). */
  number: number;
  kind: string;
  note: string;
  width: number;
  height: number;
  imageId: string;
  maskId: string | null;
  /** The mask overlay for results. */
  previewId: string | null;
  /** A result's prompt (its target caption) and negative prompt. */
  caption: string | null;
  negativePrompt: string | null;
  engine: string | null;
  metrics: Record<string, unknown> | null;
  /** The picture a result was made from. */
  parentNumber: number | null;
}

export interface SessionView {
  sessionId: string;
  ownerId: string;
  /** The graph's head: a picture, or a mask, caption or settings step made on one (buttons act on it). */
  headId: string | null;
  /** The picture the head stands on: the one shown and marked in the strip. */
  pictureId: string | null;
  /** Steps made on that picture for its next edit, when the head is one: what they did and where they leave the mask and caption. */
  pending: { notes: string[]; maskId: string | null; maskCoverage: number; caption: string | null } | null;
  canUndo: boolean;
  canRedo: boolean;
  /** The pictures, in the order they were made. */
  versions: VersionView[];
  /** Queued or running edits, with progress 0..1. */
  active: { jobId: string; state: string; progress: number }[];
}

export interface ServiceStatus {
  /** generative: it can add, change and restyle; deterministic: the same picture for every seed. */
  engine: { name: string; generative: boolean; deterministic: boolean; hint: string | null };
  detector: { model: string; installed: boolean; hint: string | null };
  segmenter: { model: string; installed: boolean; hint: string | null };
  llm: { configured: boolean; model: string | null; hint: string | null };
}
