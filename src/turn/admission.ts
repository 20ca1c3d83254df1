import { randomUUID } from 'node:crypto';
import { BrushtalkError } from '../errors.ts';
import { formatEta } from '../jobs/eta.ts';
import type { JobQueue, JobSpec } from '../jobs/queue.ts';
import type { EditJobSpec } from '../session/types.ts';

export interface AdmissionDeps {
  queue: JobQueue;
  /** Edits a user / a conversation may have waiting or running; absent: no limit. */
  caps?: { perUser: number; perConversation: number };
  userId?: string;
}

/**
 * Lets an edit into the queue, or refuses it in words when its user or conversation already has its share
 * waiting. `pending` are the jobs this turn made before (saved with the session at the end of the turn).
 * Returns the job to save and where it will stand, with the ETA from measured edit times.
 */
export async function admitEdit(deps: AdmissionDeps, spec: EditJobSpec, pending: readonly JobSpec[], ref: string): Promise<{ job: JobSpec; place: string }> {
  const userId = deps.userId ?? null;
  const load = await deps.queue.load({ userId, conversationId: spec.conversationId });
  const queued = { user: load.user + pending.length, conversation: load.conversation + pending.length };
  if (deps.caps && userId !== null && queued.user >= deps.caps.perUser) {
    throw new BrushtalkError('queue.full', `You already have ${plural(queued.user, 'edit')} queued; wait for one to finish.`);
  }
  if (deps.caps && queued.conversation >= deps.caps.perConversation) {
    throw new BrushtalkError('queue.full', `This conversation already has ${plural(queued.conversation, 'edit')} queued; wait for one to finish, or say \`cancel\`.`);
  }
  // Fairness: a user's second waiting edit goes behind everyone's first (BullMQ: 1 runs first).
  const priority = 1 + queued.user;
  const job = { id: randomUUID(), kind: 'inpaint', conversationId: spec.conversationId, payload: { ...spec, userId, priority }, ref };
  const position = load.position + pending.length;
  return { job, place: `Queue position ${position}${load.etaMs === null ? '' : `, ready in ${formatEta(load.etaMs)}`}.` };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
