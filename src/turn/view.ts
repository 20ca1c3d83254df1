import type { ConversationRef, SessionView } from '../contracts.ts';
import type { JobQueue } from '../jobs/queue.ts';
import type { BlobStore, SessionStore } from '../store.ts';

/** Read-only views of a conversation for surfaces that draw it (the studio). */
export function createSessionViews(deps: { sessions: SessionStore; blobs: BlobStore; queue: JobQueue }) {
  return {
    view(ref: ConversationRef, active: SessionView['active'] = []): SessionView | null {
      const session = deps.sessions.loadByRef(ref);
      if (!session) return null;
      const numberOf = new Map(session.versions.map((v) => [v.id, v.number]));
      return {
        sessionId: session.id,
        ownerId: session.ownerId,
        headId: session.headId,
        canUndo: session.undo.length > 0,
        canRedo: session.redo.length > 0,
        versions: session.versions.map((v) => ({
          id: v.id,
          number: v.number,
          kind: v.kind,
          note: v.note,
          width: v.width,
          height: v.height,
          imageId: v.imageId,
          maskId: v.maskId,
          previewId: v.previewId,
          caption: v.caption,
          engine: v.engine,
          metrics: v.metrics,
          parentNumber: v.parentId ? (numberOf.get(v.parentId) ?? null) : null,
        })),
        active,
      };
    },
    async activeJobs(ref: ConversationRef): Promise<SessionView['active']> {
      const session = deps.sessions.loadByRef(ref);
      if (!session) return [];
      return (await deps.queue.activeJobs(session.id)).map((j) => ({ jobId: j.id, state: j.state, progress: j.progress }));
    },
    /** Only pictures this conversation refers to: a guessed blob id from elsewhere gets nothing. */
    async picture(ref: ConversationRef, blobId: string): Promise<Uint8Array | null> {
      const session = deps.sessions.loadByRef(ref);
      const owned = session?.versions.some((v) => v.imageId === blobId || v.maskId === blobId || v.previewId === blobId);
      return owned ? deps.blobs.get(blobId) : null;
    },
  };
}
