import { MessageFlags, Routes, type Client, type RepliableInteraction } from 'discord.js';
import type { ConversationRef, ImageDetails, ReplyChannel } from '../../src/contracts.ts';
import type { Logger } from '../../src/log.ts';
import { channelMessageBody, resultMessage, type OutgoingMessage, type PendingImage, type Shrinker } from './results.ts';

/**
 * Where a conversation's messages go. While the latest interaction's token is young, replies use it (no
 * channel permissions needed, progress edits the "thinking…" message); once it is older than the token
 * window, or after a restart, everything goes out with the bot token as ordinary channel messages — so a
 * late result never touches an expired token. Sends are serialised per conversation to keep their order.
 */
export interface ConversationOptions {
  client: Client;
  log: Logger;
  now: () => number;
  shrink?: Shrinker;
  /** Discord: 15 minutes. We stop using a token a little earlier, so a slow upload does not straddle the end. */
  tokenLifeMs: number;
  /** Edits of the progress message at most this often (Discord rate-limits message edits). */
  progressIntervalMs: number;
  /** Results arrive as result → mask → compare; a result waits at most this long for its companions. */
  groupWaitMs: number;
  /** Per-file upload limit when no interaction told us (Discord's default is 10 MiB). */
  defaultUploadLimit: number;
}

interface Live {
  interaction: RepliableInteraction;
  receivedAt: number;
}

interface Conversation {
  ref: ConversationRef;
  live: Live | null;
  /** The last thing the turn said, kept above the progress line. */
  headline: string;
  lastProgressAt: number;
  progressShown: boolean;
  uploadLimit: number;
  group: { images: PendingImage[]; timer: NodeJS.Timeout } | null;
  chain: Promise<unknown>;
  pending: number;
}

const maxContent = 2000;
const maxIdle = 1000;
const fit = (text: string) => (text.length <= maxContent ? text : `${text.slice(0, maxContent - 1)}…`);
const withLine = (headline: string, line: string) => fit(headline ? `${headline}\n${line}` : line);
const noMentions = { parse: [] as [] };

export function conversationKey(ref: ConversationRef): string {
  return [ref.scope, ref.channelId, ref.threadId ?? ''].join('/');
}

export function createConversations(options: ConversationOptions) {
  const conversations = new Map<string, Conversation>();

  function get(ref: ConversationRef): Conversation {
    const key = conversationKey(ref);
    let c = conversations.get(key);
    if (!c) {
      if (conversations.size >= maxIdle) prune();
      c = { ref, live: null, headline: '', lastProgressAt: 0, progressShown: false, uploadLimit: options.defaultUploadLimit, group: null, chain: Promise.resolve(), pending: 0 };
      conversations.set(key, c);
    }
    return c;
  }

  /** Forget conversations with nothing in flight and no usable token: all they hold can be rebuilt from the ref. */
  function prune(): void {
    for (const [key, c] of conversations) if (c.pending === 0 && !c.group && !liveFor(c)) conversations.delete(key);
  }

  function enqueue<T>(c: Conversation, op: () => Promise<T>): Promise<T> {
    c.pending++;
    const run = c.chain.then(op, op).finally(() => void c.pending--);
    c.chain = run.catch(() => undefined);
    return run;
  }

  function liveFor(c: Conversation): Live | null {
    if (c.live && options.now() - c.live.receivedAt >= options.tokenLifeMs) c.live = null;
    return c.live;
  }

  const target = (ref: ConversationRef) => ref.threadId ?? ref.channelId;

  async function post(c: Conversation, message: OutgoingMessage): Promise<void> {
    const live = liveFor(c);
    // The interaction webhook posts where the command ran; a session thread started from it gets bot-token posts.
    if (live && live.interaction.channelId === target(c.ref)) {
      const files = message.files.map((f) => ({ attachment: f.data, name: f.name }));
      await live.interaction.followUp({ content: fit(message.content), files, components: message.components, allowedMentions: noMentions });
      return;
    }
    const { body, files } = channelMessageBody({ ...message, content: fit(message.content) });
    await options.client.rest.post(Routes.channelMessages(target(c.ref)), { body, files });
  }

  async function editLive(c: Conversation, content: string): Promise<boolean> {
    const live = liveFor(c);
    if (!live) return false;
    await live.interaction.editReply({ content: fit(content), allowedMentions: noMentions });
    return true;
  }

  async function flushGroup(c: Conversation): Promise<void> {
    const group = c.group;
    if (!group) return;
    c.group = null;
    clearTimeout(group.timer);
    await post(c, await resultMessage(group.images, c.uploadLimit, options.shrink));
    if (c.progressShown) {
      c.progressShown = false;
      await editLive(c, withLine(c.headline, 'Done: the result is below.'));
    }
  }

  function image(c: Conversation, png: Uint8Array, details: ImageDetails): Promise<void> {
    return enqueue(c, async () => {
      if (details.role === 'result') {
        await flushGroup(c);
        const timer = setTimeout(() => {
          enqueue(c, () => flushGroup(c)).catch((error: unknown) => options.log.error({ err: error }, 'could not post a discord result'));
        }, options.groupWaitMs);
        timer.unref();
        c.group = { images: [{ png, details }], timer };
        return;
      }
      if (c.group) {
        c.group.images.push({ png, details });
        if (details.role === 'compare') await flushGroup(c);
        return;
      }
      await post(c, await resultMessage([{ png, details }], c.uploadLimit, options.shrink));
    });
  }

  function progress(c: Conversation, fraction: number): Promise<void> {
    const now = options.now();
    // Decide at call time, so a burst of progress events never queues a burst of edits.
    if (!liveFor(c) || now - c.lastProgressAt < options.progressIntervalMs) return Promise.resolve();
    c.lastProgressAt = now;
    return enqueue(c, async () => {
      c.progressShown = (await editLive(c, withLine(c.headline, `Working… ${Math.round(fraction * 100)}%`))) || c.progressShown;
    });
  }

  /** The channel the core delivers job events to: results, failures, progress. */
  function replyTo(ref: ConversationRef): ReplyChannel {
    const c = get(ref);
    return {
      status: (text) => enqueue(c, async () => void (await editLive(c, withLine(c.headline, text)))),
      text: (markdown) =>
        enqueue(c, async () => {
          await flushGroup(c);
          await post(c, { content: markdown, files: [], components: [] });
        }),
      error: (message) =>
        enqueue(c, async () => {
          await flushGroup(c);
          if (!(await editLive(c, message))) await post(c, { content: message, files: [], components: [] });
        }),
      image: (png, details) => image(c, png, details),
      progress: (_jobId, fraction) => progress(c, fraction),
    };
  }

  /** The reply for one deferred interaction: the turn's words edit its "thinking…" message. */
  function interactionReply(ref: ConversationRef, interaction: RepliableInteraction, receivedAt: number, ephemeral: boolean): ReplyChannel {
    const c = get(ref);
    if (interaction.attachmentSizeLimit > 0) c.uploadLimit = interaction.attachmentSizeLimit;
    const jobs = replyTo(ref);
    return {
      ...jobs,
      status: (text) => enqueue(c, async () => void (await interaction.editReply({ content: fit(text), allowedMentions: noMentions }))),
      text(markdown) {
        // Only a turn that went through takes over the conversation's replies: a stranger's refused click must
        // not capture the owner's progress and results.
        c.live = { interaction, receivedAt };
        c.headline = markdown;
        c.lastProgressAt = 0;
        c.progressShown = false;
        return enqueue(c, async () => void (await interaction.editReply({ content: fit(markdown), allowedMentions: noMentions })));
      },
      error: (message) => enqueue(c, () => privateError(interaction, message, ephemeral)),
    };
  }

  /** The reply for a plain message (a reply to a result, or a message in a session thread), with the bot token. */
  function messageReply(ref: ConversationRef, messageId: string): ReplyChannel {
    const c = get(ref);
    const say = (content: string) =>
      enqueue(c, async () => {
        const body = { content: fit(content), message_reference: { message_id: messageId, fail_if_not_exists: false }, allowed_mentions: noMentions };
        await options.client.rest.post(Routes.channelMessages(target(ref)), { body });
      });
    return {
      ...replyTo(ref),
      status: async () => {}, // no message of ours to overwrite; the reply to the turn says enough
      text(markdown) {
        // Results of this turn follow as channel messages, not as follow-ups of some earlier interaction.
        c.live = null;
        return say(markdown);
      },
      error: say,
    };
  }

  return { replyTo, interactionReply, messageReply };
}

/**
 * Errors are for the person who asked. An ephemeral "thinking…" just becomes the error. A public one cannot
 * turn private, and the first follow-up after a defer would only edit it: so settle it, say the error
 * privately, then remove the public placeholder.
 */
export async function privateError(interaction: RepliableInteraction, message: string, ephemeral: boolean): Promise<void> {
  if (ephemeral) {
    await interaction.editReply({ content: fit(message), allowedMentions: noMentions });
    return;
  }
  await interaction.editReply({ content: 'That did not work; the details were sent to you privately.', allowedMentions: noMentions });
  await interaction.followUp({ content: fit(message), flags: MessageFlags.Ephemeral, allowedMentions: noMentions });
  await interaction.deleteReply();
}
