import { randomInt, randomUUID } from 'node:crypto';
import type { IncomingTurn, ReplyChannel } from '../contracts.ts';
import { BrushtalkError, isBrushtalkError, userFacingMessage } from '../errors.ts';
import { decodeImage, decodeMask, encodeMaskPng, encodePng, type DecodeLimits } from '../images/codec.ts';
import { maskCoverage, type Mask } from '../images/raster.ts';
import type { JobQueue, JobSpec } from '../jobs/queue.ts';
import { newRef, type Logger } from '../log.ts';
import * as S from '../session/session.ts';
import type { BlobStore, SessionStore } from '../store.ts';
import { helpText, parseCommand, type Command } from './commands.ts';
import { describeVersion, formatHistory } from './history.ts';
import { createKeyedLock } from './locks.ts';
import { applyMaskOp } from './mask-edit.ts';
import { findObject, reselect, type FoundObject } from './find.ts';
import type { VisionService } from '../vision/service.ts';

export interface TurnDeps {
  sessions: SessionStore;
  blobs: BlobStore;
  queue: JobQueue;
  log: Logger;
  limits: DecodeLimits;
  /** Open-vocabulary detection and segmentation; absent where no vision service runs. */
  vision?: VisionService;
  /** Name and kind of the engine that will run edits, for honest replies. */
  engine: { name: string; generative: boolean };
  clock?: S.Clock;
}

/** What a turn decided: the next session state, jobs to queue with it, and what to tell the user. */
interface Decision {
  session: S.EditSession;
  jobs: JobSpec[];
  messages: string[];
}

const systemClock: S.Clock = { newId: () => randomUUID(), now: () => Date.now() };
const conflictRetries = 3;

export type TurnHandler = (turn: IncomingTurn, reply: ReplyChannel) => Promise<void>;

export function conversationKey(ref: IncomingTurn['ref']): string {
  return [ref.platform, ref.scope, ref.channelId, ref.threadId ?? ''].join('/');
}

export function createTurnHandler(deps: TurnDeps): TurnHandler {
  const clock = deps.clock ?? systemClock;
  const locks = createKeyedLock();

  async function storeMask(mask: Mask): Promise<{ id: string; coverage: number }> {
    const coverage = maskCoverage(mask);
    if (coverage === 0) throw new BrushtalkError('mask.empty', 'That mask is empty: mark the area to change.');
    const id = await deps.blobs.put(await encodeMaskPng(mask), { kind: 'mask', mime: 'image/png', width: mask.width, height: mask.height });
    return { id, coverage };
  }

  async function loadMask(version: S.Version): Promise<Mask | null> {
    if (!version.maskId) return null;
    return decodeMask(await deps.blobs.get(version.maskId), version.width, version.height, deps.limits);
  }

  async function maskFromInput(input: NonNullable<IncomingTurn['mask']>, width: number, height: number): Promise<Mask> {
    if (input.kind === 'image') return decodeMask(input.bytes, width, height, deps.limits);
    return applyMaskOp(null, { op: 'shape', shape: 'box', mode: 'replace', box: input.box }, width, height);
  }

  async function takeImage(session: S.EditSession, turn: IncomingTurn, messages: string[]): Promise<S.EditSession> {
    const decoded = await decodeImage(turn.images[0].bytes, deps.limits);
    const png = await encodePng(decoded);
    const imageId = await deps.blobs.put(png, { kind: 'image', mime: 'image/png', width: decoded.width, height: decoded.height });
    const mask = turn.mask ? await storeMask(await maskFromInput(turn.mask, decoded.width, decoded.height)) : null;
    if (turn.images.length > 1) messages.push(`I took the first of the ${turn.images.length} pictures.`);
    const next = S.addSource(
      session,
      { imageId, width: decoded.width, height: decoded.height, maskId: mask?.id ?? null, maskCoverage: mask?.coverage ?? 0 },
      randomInt(0, 2 ** 32 - 1),
      clock,
    );
    messages.push(`Got the picture (${decoded.width}×${decoded.height}, ${decoded.format}): ${describeVersion(S.requireHead(next))}.`);
    return next;
  }

  async function runCommand(session: S.EditSession, command: Command, turn: IncomingTurn, ref: string, messages: string[]): Promise<Decision> {
    const done = (next: S.EditSession, message?: string): Decision => {
      if (message) messages.push(message);
      return { session: next, jobs: [], messages };
    };
    switch (command.type) {
      case 'help':
        return done(session, helpText);
      case 'history':
        return done(session, formatHistory(session));
      case 'undo': {
        const next = S.undo(session);
        return done(next, `Undone. Now at ${describeVersion(S.requireHead(next))}.`);
      }
      case 'redo': {
        const next = S.redo(session);
        return done(next, `Redone. Now at ${describeVersion(S.requireHead(next))}.`);
      }
      case 'version': {
        const next = S.checkout(session, command.number);
        return done(next, `Now at ${describeVersion(S.requireHead(next))}. Edits from here start a new branch.`);
      }
      case 'caption': {
        const next = S.setCaption(session, command.text, clock);
        return done(next, `Caption set: ${describeVersion(S.requireHead(next))}.`);
      }
      case 'params': {
        const next = S.setParams(session, command.update, clock);
        return done(next, `Set ${S.requireHead(next).note}.`);
      }
      case 'reseed': {
        const next = S.setParams(session, { seed: randomInt(0, 2 ** 32 - 1) }, clock);
        return done(next, `New ${S.requireHead(next).note}.`);
      }
      case 'cancel': {
        const active = await deps.queue.activeJobs(session.id);
        const cancelled = (await Promise.all(active.map((job) => deps.queue.cancel(job.id)))).filter(Boolean).length;
        return done(session, cancelled === 0 ? 'Nothing is running in this conversation.' : `Cancelled ${cancelled} edit${cancelled === 1 ? '' : 's'}.`);
      }
      case 'mask': {
        const head = S.requireHead(session);
        const mask = applyMaskOp(await loadMask(head), command.mask, head.width, head.height);
        if (command.mask.op === 'clear') return done(S.setMask(session, null, 0, command.text, clock), 'Mask cleared.');
        const stored = await storeMask(mask);
        const next = S.setMask(session, stored.id, stored.coverage, command.text, clock);
        return done(next, `Mask updated: ${describeVersion(S.requireHead(next))}.`);
      }
      case 'find':
      case 'select': {
        const head = S.requireHead(session);
        if (!deps.vision) throw new BrushtalkError('engine.unavailable', 'Finding objects is not set up on this server; draw a box instead: `mask box x,y,w,h`.');
        const image = await decodeImage(await deps.blobs.get(head.imageId), deps.limits);
        let found: FoundObject;
        if (command.type === 'find') {
          found = await findObject(deps.vision, image, head.imageId, command.text);
        } else {
          if (!head.detections) throw new BrushtalkError('command.bad_arguments', 'There is nothing to choose from yet: first `find the dog`.');
          found = await reselect(deps.vision, image, head.imageId, head.detections, command.text);
        }
        const stored = await storeMask(found.mask);
        const { detections } = found;
        const next = S.setMask(session, stored.id, stored.coverage, `${command.type} ${command.text}`, clock, { detections, object: detections.phrase });
        const count = detections.boxes.length;
        const chosen = detections.selected.map((i) => i + 1).join(', ');
        const boxesNote = found.boxesOnly ? ' (no segmenter installed: the mask is the boxes; `npx brushtalk weights pull` adds one)' : '';
        return done(next, `Found ${count} × "${detections.phrase}" (threshold ${detections.threshold}); using ${chosen} of ${count}${boxesNote}. ${describeVersion(S.requireHead(next))}.`);
      }
      case 'edit': {
        const spec = S.planEdit(session, command.instruction);
        const jobId = randomUUID();
        const job: JobSpec = { id: jobId, kind: 'inpaint', conversationId: session.id, payload: { ...spec }, ref };
        const note = deps.engine.generative
          ? ''
          : ' The classical engine fills the region from its surroundings (good for removals); adding or changing objects needs BrushNet weights — see weights/README.md.';
        messages.push(`Editing with ${deps.engine.name} (job ${ref}).${note}`);
        return { session, jobs: [job], messages };
      }
    }
  }

  async function decide(session: S.EditSession, turn: IncomingTurn, ref: string): Promise<Decision> {
    const messages: string[] = [];
    let current = session;
    if (turn.images.length > 0) {
      current = await takeImage(current, turn, messages);
    } else if (turn.mask) {
      const head = S.requireHead(current);
      const stored = await storeMask(await maskFromInput(turn.mask, head.width, head.height));
      current = S.setMask(current, stored.id, stored.coverage, turn.mask.kind === 'box' ? 'mask from box' : 'mask from picture', clock);
      messages.push(`Mask updated: ${describeVersion(S.requireHead(current))}.`);
    }
    if (turn.text.trim() === '') {
      if (turn.images.length === 0 && !turn.mask) messages.push(helpText);
      else messages.push('Now say what to change, or refine the mask (`help` lists the commands).');
      return { session: current, jobs: [], messages };
    }
    return runCommand(current, parseCommand(turn.text), turn, ref, messages);
  }

  return async function handleTurn(turn, reply) {
    const ref = newRef('T');
    const log = deps.log.child({ ref, platform: turn.ref.platform, messageId: turn.messageId });
    try {
      if (!deps.sessions.markSeen(turn.ref.platform, turn.messageId)) {
        log.info('duplicate turn ignored');
        return;
      }
      const decision = await locks.run(conversationKey(turn.ref), async () => {
        for (let attempt = 1; ; attempt++) {
          const loaded = deps.sessions.loadByRef(turn.ref) ?? S.createSession(randomUUID(), turn.ref, turn.userId);
          const decided = await decide(loaded, turn, ref);
          if (decided.session === loaded && decided.jobs.length === 0) return decided;
          try {
            deps.sessions.save(decided.session, decided.jobs);
            return decided;
          } catch (error) {
            // Another process saved this conversation first: decide again on its state.
            if (!isBrushtalkError(error) || error.code !== 'session.conflict' || attempt >= conflictRetries) throw error;
            log.warn({ attempt }, 'session changed under us; retrying the turn');
          }
        }
      });
      if (decision.jobs.length > 0) deps.queue.wake();
      log.info({ jobs: decision.jobs.length }, 'turn handled');
      await reply.text(decision.messages.join('\n'));
    } catch (error) {
      if (isBrushtalkError(error)) log.info({ code: error.code }, 'turn refused');
      else log.error({ err: error }, 'turn failed');
      await reply.error(userFacingMessage(error, ref)).catch((sendError: unknown) => log.error({ err: sendError }, 'could not send the error reply'));
    }
  };
}
