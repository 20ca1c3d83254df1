import type { ConversationRef, SessionView } from '../contracts.ts';
import type { JobQueue } from '../jobs/queue.ts';
import { inputPicture, pendingSteps, pictures, pictureVersion } from '../session/pictures.ts';
import { headVersion } from '../session/session.ts';
import type { BlobStore, SessionStore } from '../store.ts';

/** Read-only views of a conversation for surfaces that draw it (the studio): its pictures, and where it stands. */
export function createSessionViews(deps: { sessions: SessionStore; blobs: BlobStore; queue: JobQueue }) {
  return {
    view(ref: ConversationRef, active: SessionView['active'] = []): SessionView | null {
      const session = deps.sessions.loadByRef(ref);
      if (!session) return null;
      const head = headVersion(session);
      const steps = head ? pendingSteps(session, head) : [];
      return {
        sessionId: session.id,
        ownerId: session.ownerId,
        headId: session.headId,
        pictureId: head ? pictureVersion(session, head).id : null,
        pending:
          head && steps.length > 0
            ? { notes: steps.map((s) => s.note), maskId: head.maskId, maskCoverage: head.maskCoverage, caption: steps.some((s) => s.kind === 'caption') ? head.caption : null }
            : null,
        canUndo: session.undo.length > 0,
        canRedo: session.redo.length > 0,
        versions: pictures(session).map((v) => ({
          id: v.id,
          number: v.picture ?? 0,
          kind: v.kind,
          note: v.note,
          width: v.width,
          height: v.height,
          imageId: v.imageId,
          maskId: v.maskId,
          previewId: v.previewId,
          caption: v.caption,
          negativePrompt: v.negativePrompt ?? null,
          engine: v.engine,
          metrics: v.metrics,
          parentNumber: v.kind === 'result' ? (inputPicture(session, v)?.picture ?? null) : null,
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
