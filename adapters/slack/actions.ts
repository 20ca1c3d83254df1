import type { App, BlockAction, ButtonAction as SlackButton } from '@slack/bolt';
import type { ReplyChannel, TurnAction } from '../../src/contracts.ts';
import { captionBlockId, captionCallbackId, captionInputId, captionModal } from './blocks.ts';
import type { Track } from './events.ts';
import { actionIdPattern, decodeAction, refOf, type SlackPlace } from './ids.ts';
import type { SlackReply } from './reply.ts';
import { reportError, type TurnDeps } from './turns.ts';

/** Where a modal's answer goes: carried by the modal itself (private_metadata), so restarts lose nothing. */
interface CaptionTarget {
  id: string;
  place: SlackPlace;
}

/** A press is the presser's business: the core's refusals (not the owner, …) go to them alone. */
function forPresser(reply: SlackReply, userId: string): ReplyChannel {
  return { ...reply, error: (message) => reply.ephemeral(userId, `:warning: ${message}`) };
}

function sendAction(deps: TurnDeps, place: SlackPlace, userId: string, messageId: string, action: TurnAction): Promise<void> {
  const reply = forPresser(deps.replyFor(place), userId);
  const turn = { ref: refOf(place), messageId, userId, text: '', images: [], action };
  return deps.onTurn(turn, reply).catch((error: unknown) => reportError(reply, error, deps.log));
}

/** Result buttons (`v1:<action>:<session>:<version>`) and the caption modal. Each is acked before any work. */
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
      if (decoded.action === 'caption') {
        const target: CaptionTarget = { id: action.action_id, place };
        await client.views.open({ trigger_id: body.trigger_id, view: captionModal(JSON.stringify(target)) }).catch((error: unknown) => reportError(forPresser(deps.replyFor(place), body.user.id), error, deps.log));
        return;
      }
      await sendAction(deps, place, body.user.id, `action/${channel}/${action.action_ts}`, decoded);
    });
  });

  app.view(captionCallbackId, async ({ ack, body, view }) => {
    await ack();
    let target: CaptionTarget;
    try {
      target = JSON.parse(view.private_metadata) as CaptionTarget;
    } catch {
      deps.log.warn({ viewId: view.id }, 'caption modal without a target');
      return;
    }
    const decoded = decodeAction(target.id);
    if (!decoded) return;
    const value = view.state.values[captionBlockId]?.[captionInputId]?.value ?? '';
    track(() => sendAction(deps, target.place, body.user.id, `view/${view.id}`, { ...decoded, action: 'caption', value }));
  });
}
