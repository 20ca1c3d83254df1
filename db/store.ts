import type { JobSpec } from '../src/jobs/queue.ts';
import type { SessionStore } from '../src/store.ts';
import type { Db } from './open.ts';
import { isSeen, markSeen } from './seen.ts';
import { listChannels, loadSessionById, loadSessionByRef, saveSession } from './sessions.ts';

/** The SessionStore the core uses, over the SQLite file. */
export function createSessionStore(db: Db, maxAttempts: number): SessionStore {
  return {
    loadByRef: (ref) => loadSessionByRef(db, ref),
    loadById: (id) => loadSessionById(db, id),
    save: (session, jobs: JobSpec[] = [], seen) => saveSession(db, session, jobs.map((job) => ({ ...job, maxAttempts })), seen),
    seen: (platform, eventId) => isSeen(db, platform, eventId),
    markSeen: (platform, eventId) => markSeen(db, platform, eventId),
    listChannels: (platform, scope, limit) => listChannels(db, platform, scope, limit),
  };
}
