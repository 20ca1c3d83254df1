import type { ButtonAction, ConversationRef, ReplyChannel } from '../contracts.ts';
import type { EditResult } from '../edit/run-edit.ts';
import type { JobEvent, JobQueue } from '../jobs/queue.ts';
import type { Logger } from '../log.ts';
import type { BlobStore, SessionStore } from '../store.ts';

/** The buttons under every result (redo only makes sense after an undo, so it is not offered here). */
const resultActions: readonly ButtonAction[] = ['reroll', 'grow', 'shrink', 'invert', 'undo', 'caption', 'accept'];
/** An engine that gives the same picture for every seed gets no re-roll button (pressing an old one says why). */
const deterministicActions = resultActions.filter((action) => action !== 'reroll');

export interface DeliveryDeps {
  queue: JobQueue;
  sessions: SessionStore;
  blobs: BlobStore;
  log: Logger;
  /** The adapter's reply channel for a conversation, or null when that platform is not running here. */
  replyTo(ref: ConversationRef): ReplyChannel | null;
}

function formatMetrics(metrics: EditResult['metrics']): string {
  const psnr = metrics.psnr === null ? '∞' : Number(metrics.psnr).toFixed(1);
  return `background PSNR ${psnr} dB, SSIM ${Number(metrics.ssim).toFixed(4)}, ${metrics.totalMs} ms`;
}

/**
 * Job events become messages in the conversation the job came from: progress, the result with its mask
 * overlay and before/after strip, or a worded failure. Returns a function that stops listening.
 */
export interface ResultDelivery {
  stop(): void;
  /** Resolves when every event received so far has been delivered. */
  flush(): Promise<void>;
}

export function startResultDelivery(deps: DeliveryDeps): ResultDelivery {
  const pending = new Set<Promise<void>>();
  async function deliver(event: JobEvent): Promise<void> {
    const { job } = event;
    if (!job.conversationId) return;
    const session = deps.sessions.loadById(job.conversationId);
    const reply = session ? deps.replyTo(session.ref) : null;
    if (!reply) return;
    switch (event.type) {
      case 'progress':
        return reply.progress(job.id, event.fraction);
      case 'done': {
        const result = job.result as EditResult;
        const caption = `v${result.versionNumber} · ${result.engine} · ${formatMetrics(result.metrics)}`;
        const v = `v${result.versionNumber}`;
        await reply.image(await deps.blobs.get(result.imageId), { caption, fileName: `${v}.png`, role: 'result', sessionId: job.conversationId, versionId: result.versionId, actions: result.deterministic ? deterministicActions : resultActions });
        await reply.image(await deps.blobs.get(result.overlayId), { caption: `${v} mask`, fileName: `${v}-mask.png`, role: 'mask' });
        await reply.image(await deps.blobs.get(result.compareId), { caption: `${v} before/after`, fileName: `${v}-compare.png`, role: 'compare' });
        return;
      }
      case 'failed':
        if (event.willRetry) return reply.status(`The edit hit a problem; trying again (job ${job.ref}).`);
        return reply.error(`The edit failed: ${job.error?.message ?? 'unknown error'} (ref ${job.ref})`);
      case 'cancelled':
        return reply.text(`Edit cancelled (job ${job.ref}).`);
    }
  }
  const stop = deps.queue.on((event) => {
    const delivery = deliver(event).catch((error: unknown) => deps.log.error({ err: error, jobId: event.job.id }, 'could not deliver a job event'));
    pending.add(delivery);
    void delivery.finally(() => pending.delete(delivery));
  });
  return {
    stop,
    async flush() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
