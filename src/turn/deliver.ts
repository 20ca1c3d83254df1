import type { ButtonAction, ConversationRef, ReplyChannel } from '../contracts.ts';
import type { EditResult } from '../edit/run-edit.ts';
import type { JobEvent, JobQueue, JobRecord } from '../jobs/queue.ts';
import type { Logger } from '../log.ts';
import type { BlobStore, SessionStore } from '../store.ts';

/** The buttons under every result (redo only makes sense after an undo, so it is not offered here). */
const resultActions: readonly ButtonAction[] = ['reroll', 'grow', 'shrink', 'invert', 'undo', 'caption', 'accept'];
/** An engine that gives the same picture for every seed gets no re-roll button (pressing an old one says why). */
const deterministicActions = resultActions.filter((action) => action !== 'reroll');

/**
 * The outbox of outcomes (db/deliveries.ts): a result, failure or cancellation reaches its conversation once,
 * even when the process that finished the job dies before it has sent it.
 */
export interface JobDeliveries {
  /**
   * Take the delivery of a finished job for a while: how many of its messages went out before (a deliverer
   * that died half-way), or null when it was delivered or another process has it.
   */
  claim(jobId: string): number | null;
  /** `step` of its messages are sent (renews the hold). */
  step(jobId: string, step: number): void;
  delivered(jobId: string): void;
  /** Finished jobs nobody delivered (their deliverer died, or a send failed) and nobody is delivering now. */
  missed(): JobRecord[];
}

export interface DeliveryDeps {
  queue: JobQueue;
  deliveries: JobDeliveries;
  /** How often to look for outcomes a dead process left undelivered. */
  sweepMs: number;
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
  /** Look for outcomes left undelivered now (also runs every sweepMs). */
  sweep(): void;
}

export function startResultDelivery(deps: DeliveryDeps): ResultDelivery {
  const pending = new Set<Promise<void>>();

  /** The messages an event becomes, in order (a result is three: the picture with its buttons, the mask, the strip). */
  function messages(event: JobEvent, reply: ReplyChannel): (() => Promise<void>)[] {
    const { job } = event;
    switch (event.type) {
      case 'progress':
        return [() => reply.progress(job.id, event.fraction)];
      case 'done': {
        const result = job.result as EditResult;
        const caption = `v${result.versionNumber} · ${result.engine} · ${formatMetrics(result.metrics)}`;
        const v = `v${result.versionNumber}`;
        return [
          async () => reply.image(await deps.blobs.get(result.imageId), { caption, fileName: `${v}.png`, role: 'result', sessionId: job.conversationId!, versionId: result.versionId, actions: result.deterministic ? deterministicActions : resultActions }),
          async () => reply.image(await deps.blobs.get(result.overlayId), { caption: `${v} mask`, fileName: `${v}-mask.png`, role: 'mask' }),
          async () => reply.image(await deps.blobs.get(result.compareId), { caption: `${v} before/after`, fileName: `${v}-compare.png`, role: 'compare' }),
        ];
      }
      case 'failed':
        if (event.willRetry) return [() => reply.status(`The edit hit a problem; trying again (job ${job.ref}).`)];
        return [() => reply.error(`The edit failed: ${job.error?.message ?? 'unknown error'} (ref ${job.ref})`)];
      case 'cancelled':
        return [() => reply.text(`Edit cancelled (job ${job.ref}).`)];
    }
  }

  /** Outcomes this process is sending now: its own sweep leaves them alone however long a send takes. */
  const sending = new Set<string>();

  /** Synchronous up to the claim, so no pass in this process can take the same outcome in between. */
  function deliver(event: JobEvent): Promise<void> {
    const { job } = event;
    if (!job.conversationId) return Promise.resolve();
    const session = deps.sessions.loadById(job.conversationId);
    const reply = session ? deps.replyTo(session.ref) : null;
    if (!reply) return Promise.resolve(); // that platform runs elsewhere: its process delivers
    const parts = messages(event, reply);
    const outcome = event.type === 'done' || event.type === 'cancelled' || (event.type === 'failed' && !event.willRetry);
    if (!outcome) return parts[0]();
    if (sending.has(job.id)) return Promise.resolve();
    const from = deps.deliveries.claim(job.id);
    if (from === null) return Promise.resolve();
    sending.add(job.id);
    return (async () => {
      try {
        for (let step = from; step < parts.length; step++) {
          await parts[step]();
          deps.deliveries.step(job.id, step + 1);
        }
        deps.deliveries.delivered(job.id);
      } finally {
        // A send that failed keeps its hold: the next try comes when it runs out (a platform that is down is
        // not hammered), and stops once the outcome is older than the outbox looks back.
        sending.delete(job.id);
      }
    })();
  }

  function track(event: JobEvent): void {
    let delivery: Promise<void>;
    try {
      delivery = deliver(event);
    } catch (error) {
      delivery = Promise.reject(error);
    }
    const logged = delivery.catch((error: unknown) => deps.log.error({ err: error, jobId: event.job.id }, 'could not deliver a job event'));
    pending.add(logged);
    void logged.finally(() => pending.delete(logged));
  }

  /** Outcomes a process finished but died before sending (or could not send): delivered now. */
  function sweep(): void {
    let missed: JobRecord[];
    try {
      missed = deps.deliveries.missed();
    } catch (error) {
      deps.log.warn({ err: error }, 'could not look for undelivered results');
      return;
    }
    for (const job of missed) {
      const event: JobEvent = job.state === 'done' ? { type: 'done', job } : job.state === 'cancelled' ? { type: 'cancelled', job } : { type: 'failed', job, willRetry: false };
      track(event);
    }
  }

  const stop = deps.queue.on(track);
  const timer = setInterval(sweep, deps.sweepMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      stop();
    },
    async flush() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    sweep,
  };
}
