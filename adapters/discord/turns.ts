import { MessageFlags, type BaseInteraction, type RepliableInteraction } from 'discord.js';
import type { ConversationRef, ImageInput, IncomingTurn, ReplyChannel } from '../../src/contracts.ts';
import type { Logger } from '../../src/log.ts';
import type { createConversations } from './conversation.ts';

export type OnTurn = (turn: IncomingTurn, reply: ReplyChannel) => Promise<void>;

/** What every handler may use; built once by the adapter. */
export interface HandlerContext {
  onTurn: OnTurn;
  conversations: ReturnType<typeof createConversations>;
  log: Logger;
  maxInputBytes: number;
  threadPerSession: boolean;
  /** DISCORD_OWNER_ONLY: when false, anyone in the conversation may press its buttons. */
  ownerOnly: boolean;
  /** Pictures being downloaded for an open "Edit image" modal, by `${channelId}:${messageId}:${userId}`. */
  pendingPictures: Map<string, Promise<Uint8Array>>;
  /** Starts a thread from a message and returns its id (bot token). */
  startThread(channelId: string, messageId: string, name: string): Promise<string>;
  /** A message's attachments, fetched again (fresh CDN URLs) after a restart lost the pending download. */
  fetchMessage(channelId: string, messageId: string): Promise<{ attachments: { url: string; filename: string; size: number; content_type?: string }[] }>;
}

/**
 * A conversation is a channel, or a thread in it. Interactions inside a thread carry the thread as their
 * channel; the parent keeps sessions of different threads apart yet findable.
 */
export function refOf(interaction: BaseInteraction): ConversationRef {
  const scope = interaction.guildId ?? 'dm';
  const channel = interaction.channel;
  if (channel?.isThread() && channel.parentId) return { platform: 'discord', scope, channelId: channel.parentId, threadId: channel.id };
  return { platform: 'discord', scope, channelId: interaction.channelId ?? 'unknown' };
}

export const ephemeral = { flags: MessageFlags.Ephemeral } as const;

/**
 * Several turns from one interaction (a picture with settings, then the instruction): each is its own
 * turn for the core (one id each, so retries dedupe), and the user sees one reply with all they said.
 */
export async function runTurns(
  ctx: HandlerContext,
  interaction: RepliableInteraction,
  ref: ConversationRef,
  receivedAt: number,
  texts: string[],
  options: { images?: ImageInput[]; ephemeral: boolean; scopeAdmin?: boolean },
): Promise<void> {
  const reply = ctx.conversations.interactionReply(ref, interaction, receivedAt, options.ephemeral);
  const said: string[] = [];
  for (const [i, text] of texts.entries()) {
    const last = i === texts.length - 1;
    let failed = false;
    const sink: ReplyChannel = {
      ...reply,
      text: (markdown) => (last ? reply.text([...said, markdown].join('\n')) : Promise.resolve(void said.push(markdown))),
      error: (message) => {
        failed = true;
        return reply.error(message);
      },
    };
    const turn: IncomingTurn = {
      ref,
      messageId: texts.length === 1 ? interaction.id : `${interaction.id}:${i}`,
      userId: interaction.user.id,
      text,
      images: i === 0 ? (options.images ?? []) : [],
      ...(options.scopeAdmin ? { scopeAdmin: true } : {}),
    };
    await ctx.onTurn(turn, sink);
    if (failed) return;
  }
}
