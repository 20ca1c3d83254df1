import { randomUUID } from 'node:crypto';
import type { IncomingTurn, ReplyChannel, TurnOutcome } from '../contracts.ts';
import { BrushtalkError, isBrushtalkError, userFacingMessage } from '../errors.ts';
import type { EngineFacts } from '../engines/engine.ts';
import type { DecodeLimits } from '../images/codec.ts';
import type { JobQueue, JobSpec } from '../jobs/queue.ts';
import { newRef, type Logger } from '../log.ts';
import * as S from '../session/session.ts';
import type { BlobStore, SessionStore, SettingsStore } from '../store.ts';
import type { VisionService } from '../vision/service.ts';
import { checkMessageLength, helpText, parseCommand, type Command } from './commands.ts';
import { createKeyedLock } from './locks.ts';
import { createSessionOps, type SessionOps } from './ops.ts';
import { runAction } from './actions.ts';
import { changeThenRedo, newArea } from './refine.ts';
import { othersMayAct, runButtonsSetting, runDefaults } from './settings.ts';

/** Understands free text (the agent); without one, free text runs an edit on the current mask. */
export type Interpreter = (ops: SessionOps, text: string, log: Logger) => Promise<string>;

export interface TurnDeps {
  sessions: SessionStore;
  /** Per-user defaults and per-server choices; absent: neither is offered. */
  settings?: SettingsStore;
  blobs: BlobStore;
  queue: JobQueue;
  log: Logger;
  limits: DecodeLimits;
  /** Open-vocabulary detection and segmentation; absent where no vision service runs. */
  vision?: VisionService;
  /** Name and capabilities of the engine that will run edits, for honest replies. */
  engine: EngineFacts;
  interpret?: Interpreter;
  clock?: S.Clock;
  /** Edits a user / a conversation may have waiting or running at once. */
  caps?: { perUser: number; perConversation: number };
}

/** What a turn decided: the next session state, jobs to queue with it, and what to tell the user. */
interface Decision {
  session: S.EditSession;
  jobs: readonly JobSpec[];
  messages: string[];
  /** Set when the agent's last step failed and nothing was queued: the turn failed, though it answered in words. */
  failed: TurnOutcome['failed'];
}

const systemClock: S.Clock = { newId: () => randomUUID(), now: () => Date.now() };
const conflictRetries = 3;

export type TurnHandler = (turn: IncomingTurn, reply: ReplyChannel) => Promise<void>;

export function conversationKey(ref: IncomingTurn['ref']): string {
  return [ref.platform, ref.scope, ref.channelId, ref.threadId ?? ''].join('/');
}

/** A setting the engine ignores ("seed 42", "samples 3") is an answer, not a failure: the turn's picture is kept. */
function answered(work: Promise<string>): Promise<string> {
  return work.catch((error: unknown) => {
    if (isBrushtalkError(error) && error.code === 'engine.deterministic') return error.userMessage;
    throw error;
  });
}

async function runCommand(ops: SessionOps, command: Command, turn: IncomingTurn, settings: SettingsStore | undefined): Promise<string> {
  switch (command.type) {
    case 'defaults':
      return runDefaults(command, turn, ops, settings);
    case 'buttons':
      return runButtonsSetting(command, turn, settings);
    case 'help':
      return helpText;
    case 'history':
      return ops.history();
    case 'undo':
      return ops.undo();
    case 'redo':
      return ops.redo();
    case 'version':
      return ops.checkout(command.number);
    case 'caption':
      return changeThenRedo(ops, () => ops.setCaption(command.text));
    case 'params':
      return answered(changeThenRedo(ops, () => ops.setParams(command.update)));
    case 'reseed':
      return answered(changeThenRedo(ops, () => ops.reseed()));
    case 'cancel':
      return ops.cancel();
    case 'mask':
      // A new area (a box, an ellipse, all, none) waits for its instruction; a change to the area redoes the edit.
      return newArea(command.mask) ? ops.maskOp(command.mask, command.text) : changeThenRedo(ops, () => ops.maskOp(command.mask, command.text));
    case 'find':
      return ops.find(command.text);
    case 'select':
      return ops.choose(command.text);
    case 'edit':
      return ops.runEdit(command.instruction);
  }
}

/**
 * One turn is one undo step: a turn that made several versions (a mask, then its edit) is undone whole.
 * Navigation turns (undo, redo, version N) keep the stacks they produced.
 */
function asOneStep(before: S.EditSession, after: S.EditSession, navigated: boolean): S.EditSession {
  if (navigated || after.headId === before.headId || before.headId === null) return after;
  return { ...after, undo: [...before.undo, before.headId], redo: [] };
}

export function createTurnHandler(deps: TurnDeps): TurnHandler {
  const clock = deps.clock ?? systemClock;
  const locks = createKeyedLock();

  async function decide(loaded: S.EditSession, turn: IncomingTurn, ref: string, log: Logger): Promise<Decision> {
    // Before anything reads the words (a command, the agent, its tools), and before the picture is taken.
    checkMessageLength(turn.text);
    if (turn.action?.value !== undefined) checkMessageLength(turn.action.value);
    const defaults = turn.images.length > 0 ? (deps.settings?.userDefaults(turn.ref.platform, turn.userId) ?? undefined) : undefined;
    const ops = createSessionOps({ ...deps, clock, userId: turn.userId, defaults, platform: turn.ref.platform }, loaded, ref);
    const messages: string[] = [];
    if (turn.images.length > 0) messages.push(await ops.takeImage(turn.images[0].bytes, turn.mask, turn.images.length));
    else if (turn.mask && !turn.action) messages.push(await ops.setMaskFrom(turn.mask));
    const text = turn.text.trim();
    if (turn.action) {
      // A result's buttons belong to whoever brought its picture (others are told, nothing changes), unless
      // the server's admins (or the bot's default) open them to everyone in the conversation.
      const target = loaded.versions.find((v) => v.id === turn.action!.versionId);
      const owner = target ? S.ownerOf(loaded, target) : loaded.ownerId;
      if (owner !== turn.userId && !othersMayAct(turn, deps.settings)) {
        throw new BrushtalkError('session.not_owner', 'Only the person who brought this picture can use its buttons. Start your own with a picture.');
      }
      messages.push(await runAction(ops, turn.action, turn.images.length > 0 ? undefined : turn.mask));
    } else if (text === '') {
      messages.push(turn.images.length === 0 && !turn.mask ? helpText : 'Now say what to change, or refine the mask (`help` lists the commands).');
    } else {
      const command = parseCommand(text);
      messages.push(command.type === 'edit' && deps.interpret ? await deps.interpret(ops, text, log) : await runCommand(ops, command, turn, deps.settings));
    }
    return { session: asOneStep(loaded, ops.session, ops.navigated), jobs: ops.jobs, messages, failed: ops.jobs.length === 0 ? ops.failure : null };
  }

  return async function handleTurn(turn, reply) {
    const ref = newRef('T');
    const log = deps.log.child({ ref, platform: turn.ref.platform, messageId: turn.messageId });
    const { platform } = turn.ref;
    const message = { platform, eventId: turn.messageId };
    try {
      // Only read here: the mark is written with the turn's session and jobs, in their transaction (or, for a
      // turn that saves nothing, once it is decided). A crash before then leaves the message unseen, so the
      // platform's redelivery is taken rather than dropped as a duplicate.
      if (deps.sessions.seen(platform, turn.messageId)) {
        log.info('duplicate turn ignored');
        return;
      }
      const decision = await locks.run(conversationKey(turn.ref), async () => {
        // A redelivery that waited here while the first delivery of the same message was handled.
        if (deps.sessions.seen(platform, turn.messageId)) return null;
        for (let attempt = 1; ; attempt++) {
          const loaded = deps.sessions.loadByRef(turn.ref) ?? S.createSession(randomUUID(), turn.ref, turn.userId);
          const decided = await decide(loaded, turn, ref, log);
          try {
            if (decided.session === loaded && decided.jobs.length === 0) return deps.sessions.markSeen(platform, turn.messageId) ? decided : null;
            deps.sessions.save(decided.session, [...decided.jobs], message);
            return decided;
          } catch (error) {
            // Another process took the same message first (it marked it seen in its save).
            if (isBrushtalkError(error) && error.code === 'turn.duplicate') return null;
            // Another process saved this conversation first: decide again on its state.
            if (!isBrushtalkError(error) || error.code !== 'session.conflict' || attempt >= conflictRetries) throw error;
            log.warn({ attempt }, 'session changed under us; retrying the turn');
          }
        }
      });
      if (!decision) {
        log.info('duplicate turn ignored');
        return;
      }
      if (decision.jobs.length > 0) deps.queue.wake();
      log.info({ jobs: decision.jobs.length }, 'turn handled');
      await reply.text(decision.messages.join('\n'));
      reply.ended?.({ failed: decision.failed });
    } catch (error) {
      if (isBrushtalkError(error)) log.info({ code: error.code }, 'turn refused');
      else log.error({ err: error }, 'turn failed');
      // A refusal is the message's answer (its redelivery would only be refused again); anything else may go
      // through on a redelivery, so that message stays unseen.
      if (isBrushtalkError(error) && !error.retryable) settle(() => deps.sessions.markSeen(platform, turn.messageId), log);
      await reply.error(userFacingMessage(error, ref)).catch((sendError: unknown) => log.error({ err: sendError }, 'could not send the error reply'));
      reply.ended?.({ failed: isBrushtalkError(error) ? error.code : 'internal' });
    }
  };
}

/** A bookkeeping write whose failure must not replace the reply the user is owed. */
function settle(write: () => unknown, log: Logger): void {
  try {
    write();
  } catch (error) {
    log.error({ err: error }, 'could not record the message as handled');
  }
}
