import type { App, BlockAction, ButtonAction as SlackButton, ViewOutput } from '@slack/bolt';
import type { MaskInput, ReplyChannel, TurnAction } from '../../src/contracts.ts';
import type { Logger } from '../../src/log.ts';
import { captionBlockId, captionCallbackId, captionInputId, captionModal, maskBlockId, maskCallbackId, maskInputId, maskModal } from './blocks.ts';
import { SlackAdapterError } from './errors.ts';
import type { Track } from './events.ts';
import { checkSlackPicture } from './files.ts';
import { actionIdPattern, decodeAction, refOf, type SlackPlace } from './ids.ts';
import type { SlackReply } from './reply.ts';
import { reportError, type TurnDeps } from './turns.ts';

/** Where a modal's answer goes: carried by the modal itself (private_metadata), so restarts lose nothing. */
interface ModalTarget {
  id: string;
  place: SlackPlace;
}

/** The button a modal was opened from, and where its answer goes; null for a modal we can't place. */
function readTarget(view: ViewOutput, log: Logger): { action: TurnAction; place: SlackPlace } | null {
  let target: Partial<ModalTarget> | null = null;
  try {
    target = JSON.parse(view.private_metadata) as Partial<ModalTarget> | null;
  } catch {
    // worded below
  }
  const action = typeof target?.id === 'string' ? decodeAction(target.id) : null;
  if (!action || !target?.place) {
    log.warn({ viewId: view.id, callbackId: view.callback_id }, 'modal without a target');
    return null;
  }
  return { action, place: target.place };
}

/** A press is the presser's business: the core's refusals (not the owner, …) go to them alone. */
function forPresser(reply: SlackReply, userId: string): ReplyChannel {
  return { ...reply, error: (message) => reply.ephemeral(userId, `:warning: ${message}`) };
}

function sendAction(deps: TurnDeps, place: SlackPlace, userId: string, messageId: string, action: TurnAction, mask?: MaskInput): Promise<void> {
  const reply = forPresser(deps.replyFor(place), userId);
  const turn = { ref: refOf(place), messageId, userId, text: '', images: [], action, ...(mask ? { mask } : {}) };
  return deps.onTurn(turn, reply).catch((error: unknown) => reportError(reply, error, deps.log));
}

/** The modals a button opens; each keeps its button's id and the thread in private_metadata. */
const modals = { caption: captionModal, mask: maskModal } as const;

/** Result buttons (`v1:<action>:<session>:<version>`), the caption and mask modals. Each is acked before any work. */
export function registerActions(app: App, deps: TurnDeps, track: Track): void {
  app.action<BlockAction<SlackButton>>(actionIdPattern, async ({ ack, body, action, client }) => {
    await ack();
    const decoded = decodeAction(action.action_id);
    const channel = body.channel?.id;
    if (!decoded || !channel || !body.message) return;
    // Our buttons are always posted in the session's thread, so the message's thread_ts is the parent ts.
    const threadTs = (body.message.thread_ts as string | undefined) ?? body.container?.thread_ts ?? body.message.ts;
    const place: SlackPlace = { teamId: body.team?.id ?? body.user.team_id ?? '', channel, threadTs };
    track(async () => {
      if (decoded.action === 'caption' || decoded.action === 'mask') {
        const target: ModalTarget = { id: action.action_id, place };
        const view = modals[decoded.action](JSON.stringify(target));
        await client.views.open({ trigger_id: body.trigger_id, view }).catch((error: unknown) => reportError(forPresser(deps.replyFor(place), body.user.id), error, deps.log));
        return;
      }
      await sendAction(deps, place, body.user.id, `action/${channel}/${action.action_ts}`, decoded);
    });
  });

  app.view(captionCallbackId, async ({ ack, body, view }) => {
    await ack();
    const target = readTarget(view, deps.log);
    if (!target) return;
    const value = view.state.values[captionBlockId]?.[captionInputId]?.value ?? '';
    track(() => sendAction(deps, target.place, body.user.id, `view/${view.id}`, { ...target.action, action: 'caption', value }));
  });

  // What can be told from the file's description is refused inside the modal (nothing downloaded); otherwise the
  // modal closes, the picture is downloaded with the bot token and the core decides (the owner check included).
  app.view(maskCallbackId, async ({ ack, body, view }) => {
    const file = view.state.values[maskBlockId]?.[maskInputId]?.files?.[0];
    const refused = file ? checkSlackPicture(file, deps.maxBytes) : new SlackAdapterError('slack.file_not_picture', 'Attach one picture as the mask.');
    if (refused) {
      deps.log.info({ code: refused.code, viewId: view.id }, 'mask upload refused');
      await ack({ response_action: 'errors', errors: { [maskBlockId]: refused.userMessage } });
      return;
    }
    await ack();
    const target = readTarget(view, deps.log);
    if (!target || !file) return;
    track(async () => {
      let mask: MaskInput;
      try {
        mask = { kind: 'image', bytes: (await deps.download(file)).bytes };
      } catch (error) {
        await reportError(forPresser(deps.replyFor(target.place), body.user.id), error, deps.log);
        return;
      }
      await sendAction(deps, target.place, body.user.id, `view/${view.id}`, { ...target.action, action: 'mask' }, mask);
    });
  });
}
