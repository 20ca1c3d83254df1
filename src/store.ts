import type { ConversationRef } from './contracts.ts';
import type { JobSpec } from './jobs/queue.ts';
import type { EditParams } from './session/params.ts';
import type { EditSession } from './session/session.ts';

/** What the core needs from persistence; db/ implements it, tests may too. */

export type BlobKind = 'image' | 'mask' | 'preview';

export interface BlobMeta {
  id: string;
  kind: BlobKind;
  mime: string;
  bytes: number;
  width: number;
  height: number;
}

export interface BlobStore {
  /** Store bytes under their sha256; storing the same bytes twice is a no-op returning the same id. */
  put(bytes: Uint8Array, meta: Omit<BlobMeta, 'id' | 'bytes'>): Promise<string>;
  get(id: string): Promise<Buffer>;
  meta(id: string): BlobMeta | null;
  pathOf(id: string): string;
}

export interface SessionStore {
  loadByRef(ref: ConversationRef): EditSession | null;
  loadById(id: string): EditSession | null;
  /**
   * Save a session loaded at session.rev, with jobs to enqueue and the platform event it answers marked seen,
   * all in one transaction; throws session.conflict, or turn.duplicate when the event was marked already.
   */
  save(session: EditSession, jobs?: JobSpec[], seen?: { platform: string; eventId: string }): number;
  /** Whether this (platform, event id) was handled before. */
  seen(platform: string, eventId: string): boolean;
  /** Mark a handled event that saved nothing; false when it was marked before. */
  markSeen(platform: string, eventId: string): boolean;
  /** The channel ids of a platform's conversations in one scope, most recently changed first. */
  listChannels(platform: string, scope: string, limit: number): string[];
}

/** Choices that outlive a conversation: a person's defaults, a server's rules. */
export interface SettingsStore {
  userDefaults(platform: string, userId: string): Partial<EditParams> | null;
  /** null forgets them. */
  setUserDefaults(platform: string, userId: string, params: Partial<EditParams> | null): void;
  /** Whether anyone in the server may press result buttons; null: the bot's configured default. */
  othersMayAct(platform: string, scope: string): boolean | null;
  setOthersMayAct(platform: string, scope: string, value: boolean, updatedBy: string): void;
}
