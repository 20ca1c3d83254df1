import { and, asc, desc, eq } from 'drizzle-orm';
import type { ConversationRef } from '../src/contracts.ts';
import { BrushtalkError } from '../src/errors.ts';
import type { EditParams } from '../src/session/params.ts';
import type { Detections, EditSession, EditType, Version } from '../src/session/session.ts';
import { insertJob, type NewJob } from './jobs.ts';
import type { Db } from './open.ts';
import { markSeen } from './seen.ts';
import { blobs, conversations, versions } from './schema.ts';

function refWhere(ref: ConversationRef) {
  return and(
    eq(conversations.platform, ref.platform),
    eq(conversations.scope, ref.scope),
    eq(conversations.channelId, ref.channelId),
    eq(conversations.threadId, ref.threadId ?? ''),
  );
}

function loadVersions(db: Db, conversationId: string): Version[] {
  const rows = db
    .select({ v: versions, width: blobs.width, height: blobs.height })
    .from(versions)
    .innerJoin(blobs, eq(blobs.id, versions.imageId))
    .where(eq(versions.conversationId, conversationId))
    .orderBy(asc(versions.number))
    .all();
  return rows.map(({ v, width, height }) => ({
    id: v.id,
    number: v.number,
    picture: v.picture,
    parentId: v.parentId,
    kind: v.kind,
    note: v.note,
    imageId: v.imageId,
    width,
    height,
    maskId: v.maskId,
    maskCoverage: v.maskCoverage,
    caption: v.caption,
    negativePrompt: v.negativePrompt,
    editType: v.editType as EditType | null,
    object: v.object,
    detections: (v.detections as unknown as Detections | null) ?? null,
    params: v.params as unknown as EditParams,
    engine: v.engine,
    metrics: v.metrics ?? null,
    previewId: v.previewId,
    jobId: v.jobId,
    authorId: v.authorId,
    createdAt: v.createdAt,
  }));
}

function toSession(db: Db, row: typeof conversations.$inferSelect): EditSession {
  return {
    id: row.id,
    ref: { platform: row.platform, scope: row.scope, channelId: row.channelId, ...(row.threadId ? { threadId: row.threadId } : {}) },
    ownerId: row.ownerId,
    versions: loadVersions(db, row.id),
    headId: row.headVersionId,
    undo: row.undoStack,
    redo: row.redoStack,
    rev: row.rev,
  };
}

export function loadSessionByRef(db: Db, ref: ConversationRef): EditSession | null {
  const row = db.select().from(conversations).where(refWhere(ref)).get();
  return row ? toSession(db, row) : null;
}

/** The channel ids of one platform's conversations in a scope (the command line's session names), newest first. */
export function listChannels(db: Db, platform: string, scope: string, limit: number): string[] {
  return db
    .select({ channelId: conversations.channelId })
    .from(conversations)
    .where(and(eq(conversations.platform, platform), eq(conversations.scope, scope)))
    .orderBy(desc(conversations.updatedAt))
    .limit(limit)
    .all()
    .map((row) => row.channelId);
}

export function loadSessionById(db: Db, id: string): EditSession | null {
  const row = db.select().from(conversations).where(eq(conversations.id, id)).get();
  return row ? toSession(db, row) : null;
}

const conflict = () =>
  new BrushtalkError('session.conflict', 'Someone else changed this conversation at the same moment; please try again.', { retryable: true });

/** The platform event a save answers: marked seen in the save's own transaction. */
export interface SeenEvent {
  platform: string;
  eventId: string;
}

/**
 * Persist a session that was loaded at `session.rev`: new versions are inserted, the head and stacks
 * updated, and any jobs inserted — all in one transaction, so a queued job never exists without the state
 * it was queued from. `seen` (the message the turn answers) is marked in the same transaction: a crash before
 * the commit leaves the message unseen, so the platform's redelivery is taken; a message already marked (by
 * another process taking the same redelivery) rolls the save back with turn.duplicate. Throws
 * session.conflict when another writer saved first. Returns the new rev.
 */
export function saveSession(db: Db, session: EditSession, newJobs: NewJob[] = [], seen?: SeenEvent): number {
  const now = Date.now();
  return db.transaction((tx) => {
    if (seen && !markSeen(tx, seen.platform, seen.eventId, now)) throw new BrushtalkError('turn.duplicate', 'That message was already handled.');
    const fields = { headVersionId: session.headId, undoStack: session.undo, redoStack: session.redo, updatedAt: now };
    if (session.rev === 0) {
      const inserted = tx
        .insert(conversations)
        .values({
          id: session.id,
          platform: session.ref.platform,
          scope: session.ref.scope,
          channelId: session.ref.channelId,
          threadId: session.ref.threadId ?? '',
          ownerId: session.ownerId,
          ...fields,
          headVersionId: null, // set below, once the versions exist (foreign keys)
          rev: 1,
          createdAt: now,
        })
        .onConflictDoNothing()
        .run();
      if (inserted.changes !== 1) throw conflict();
    } else {
      const updated = tx
        .update(conversations)
        .set({ rev: session.rev + 1, updatedAt: now })
        .where(and(eq(conversations.id, session.id), eq(conversations.rev, session.rev)))
        .run();
      if (updated.changes !== 1) throw conflict();
    }
    const stored = new Set(tx.select({ id: versions.id }).from(versions).where(eq(versions.conversationId, session.id)).all().map((r) => r.id));
    for (const v of session.versions) {
      if (stored.has(v.id)) continue;
      tx.insert(versions)
        .values({
          id: v.id,
          conversationId: session.id,
          number: v.number,
          picture: v.picture,
          parentId: v.parentId,
          kind: v.kind,
          note: v.note,
          imageId: v.imageId,
          maskId: v.maskId,
          maskCoverage: v.maskCoverage,
          caption: v.caption,
          negativePrompt: v.negativePrompt ?? null,
          editType: v.editType,
          object: v.object,
          detections: v.detections as unknown as Record<string, unknown> | null,
          params: v.params as unknown as Record<string, unknown>,
          engine: v.engine,
          metrics: v.metrics,
          previewId: v.previewId,
          jobId: v.jobId,
          authorId: v.authorId ?? null,
          createdAt: v.createdAt,
        })
        .run();
    }
    tx.update(conversations).set(fields).where(eq(conversations.id, session.id)).run();
    for (const job of newJobs) insertJob(tx, job, now);
    return session.rev + 1;
  });
}
