/**
 * The contracts between adapters (transport) and the core. Adapters translate platform events into an
 * IncomingTurn and give the core a ReplyChannel; everything else is decided in src/.
 */

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
}

export interface ImageDetails {
  caption: string;
  fileName: string;
  /** The edited picture, its mask overlay, or the before/after strip. */
  role: 'result' | 'mask' | 'compare';
}

export interface ReplyChannel {
  /** A transient "working on it" line; adapters may overwrite it. */
  status(text: string): Promise<void>;
  text(markdown: string): Promise<void>;
  /** A refusal or failure, already worded for the user (with its reference id). */
  error(message: string): Promise<void>;
  image(png: Uint8Array, details: ImageDetails): Promise<void>;
  progress(jobId: string, fraction: number): Promise<void>;
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
  /** Find an object in a picture outside any conversation: the mask, an overlay, and what was found. */
  findInPicture(image: Uint8Array, phrase: string): Promise<PictureSearchResult>;
}

export interface PictureSearchResult {
  maskPng: Uint8Array;
  overlayPng: Uint8Array;
  /** One line per match, left to right, marked when used in the mask. */
  lines: string[];
}
