import { Client, Events, GatewayIntentBits, Partials, PermissionFlagsBits, Routes, type Interaction, type Message, type RepliableInteraction } from 'discord.js';
import type { ChatAdapter, ConversationRef } from '../../src/contracts.ts';
import { userFacingMessage } from '../../src/errors.ts';
import { newRef, type Logger } from '../../src/log.ts';
import { createConversations } from './conversation.ts';
import { checkAttachment, downloadAttachment } from './download.ts';
import { commandHandlers, editImageMenu, modalSubmit, resultButton } from './handlers.ts';
import type { Shrinker } from './results.ts';
import { ephemeral, type HandlerContext, type OnTurn } from './turns.ts';

export interface DiscordAdapterOptions {
  token: string;
  log: Logger;
  /** The most bytes we accept for an input picture (the core's decode limit). */
  maxInputBytes: number;
  /** Re-encodes results over the upload limit (src/images/codec.ts's shrinkForUpload). */
  shrink?: Shrinker;
  ownerOnly?: boolean;
  threadPerSession?: boolean;
  /** The privileged MESSAGE_CONTENT intent: plain messages in session threads continue the edit. */
  messageContent?: boolean;
  /** Discord's REST base (tests point it at a local stub). */
  apiBase?: string;
  /** false: no gateway login (tests emit interactions themselves); REST still uses the token. */
  connect?: boolean;
  now?: () => number;
  tokenLifeMs?: number;
  progressIntervalMs?: number;
  groupWaitMs?: number;
}

export interface DiscordAdapter extends ChatAdapter {
  readonly client: Client;
  /** Resolves when every interaction and message received so far has been handled. */
  idle(): Promise<void>;
}

const minute = 60_000;

export function createDiscordClient(options: { apiBase?: string; messageContent?: boolean }): Client {
  // Guilds: channels and threads for conversation refs. Guild/DM messages: replies to our results continue an
  // edit (their content arrives even without MESSAGE_CONTENT); MESSAGE_CONTENT adds plain thread messages.
  const intents = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages];
  if (options.messageContent) intents.push(GatewayIntentBits.MessageContent);
  return new Client({ intents, partials: [Partials.Channel], rest: { api: options.apiBase ?? 'https://discord.com/api' } });
}

/** The Discord adapter: slash commands, the "Edit image" menu, result buttons and modals → turns for the core. */
export function createDiscordAdapter(options: DiscordAdapterOptions): DiscordAdapter {
  const { log } = options;
  const now = options.now ?? Date.now;
  const client = createDiscordClient(options);
  client.rest.setToken(options.token);
  const conversations = createConversations({
    client,
    log,
    now,
    shrink: options.shrink,
    tokenLifeMs: options.tokenLifeMs ?? 14 * minute,
    progressIntervalMs: options.progressIntervalMs ?? 3_000,
    groupWaitMs: options.groupWaitMs ?? 2_000,
    defaultUploadLimit: 10 * 1024 * 1024,
  });
  const commands = new Map(commandHandlers.map((h) => [h.name, h]));
  const inFlight = new Set<Promise<void>>();
  let ctx: HandlerContext | null = null;

  function context(onTurn: OnTurn): HandlerContext {
    return {
      onTurn,
      conversations,
      log,
      maxInputBytes: options.maxInputBytes,
      threadPerSession: options.threadPerSession ?? false,
      ownerOnly: options.ownerOnly ?? true,
      pendingPictures: new Map(),
      async startThread(channelId, messageId, name) {
        const thread = (await client.rest.post(Routes.threads(channelId, messageId), { body: { name, auto_archive_duration: 1440 } })) as { id: string };
        return thread.id;
      },
      fetchMessage: async (channelId, messageId) => (await client.rest.get(Routes.channelMessage(channelId, messageId))) as Awaited<ReturnType<HandlerContext['fetchMessage']>>,
    };
  }

  async function tellPrivately(interaction: RepliableInteraction, message: string): Promise<void> {
    if (interaction.deferred || interaction.replied) await interaction.followUp({ content: message, ...ephemeral });
    else await interaction.reply({ content: message, ...ephemeral });
  }

  /** One interaction, one try/catch boundary: a failure is logged with a reference and told to the user privately. */
  async function onInteraction(ctx: HandlerContext, interaction: Interaction): Promise<void> {
    const receivedAt = now();
    try {
      if (interaction.isChatInputCommand()) {
        const handler = commands.get(interaction.commandName);
        if (handler) await handler.run(interaction, ctx, receivedAt);
        else await interaction.reply({ content: `I don't know /${interaction.commandName}; the commands may need redeploying.`, ...ephemeral });
      } else if (interaction.isMessageContextMenuCommand() && interaction.commandName === editImageMenu.name) {
        await editImageMenu.run(interaction, ctx);
      } else if (interaction.isButton()) {
        await resultButton.run(interaction, ctx, receivedAt);
      } else if (interaction.isModalSubmit()) {
        await modalSubmit.run(interaction, ctx, receivedAt);
      }
    } catch (error) {
      const ref = newRef('T');
      log.error({ err: error, ref, interactionId: interaction.id }, 'discord interaction failed');
      if (interaction.isRepliable()) {
        await tellPrivately(interaction, userFacingMessage(error, ref)).catch((sendError: unknown) => log.error({ err: sendError, ref }, 'could not tell the user'));
      }
    }
  }

  /** Replies to our results (and, with MESSAGE_CONTENT, messages in threads we started) continue the session. */
  async function onMessage(ctx: HandlerContext, message: Message): Promise<void> {
    const self = client.user;
    if (message.author.bot || !self) return;
    const inOurThread = message.channel.isThread() && message.channel.ownerId === self.id;
    if (message.mentions.repliedUser?.id !== self.id && !inOurThread) return;
    try {
      const scope = message.guildId ?? 'dm';
      const ref: ConversationRef = message.channel.isThread() && message.channel.parentId
        ? { platform: 'discord', scope, channelId: message.channel.parentId, threadId: message.channelId }
        : { platform: 'discord', scope, channelId: message.channelId };
      const attachment = [...message.attachments.values()].find((a) => checkAttachment(a, options.maxInputBytes) === null);
      const images = attachment ? [{ bytes: await downloadAttachment(attachment, options.maxInputBytes), name: attachment.name }] : [];
      if (!message.content.trim() && images.length === 0) return; // without MESSAGE_CONTENT there may be nothing to read
      const scopeAdmin = message.member?.permissions.has(PermissionFlagsBits.ManageGuild) ?? false;
      const turn = { ref, messageId: message.id, userId: message.author.id, text: message.content, images, ...(scopeAdmin ? { scopeAdmin } : {}) };
      await ctx.onTurn(turn, conversations.messageReply(ref, message.id));
    } catch (error) {
      log.error({ err: error, messageId: message.id }, 'discord message failed');
    }
  }

  function track(work: Promise<void>): void {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }
  const interactionListener = (interaction: Interaction) => ctx && track(onInteraction(ctx, interaction));
  const messageListener = (message: Message) => ctx && track(onMessage(ctx, message));

  async function idle(): Promise<void> {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  }

  return {
    platform: 'discord',
    client,
    idle,
    async start(onTurn) {
      ctx = context(onTurn);
      client.on(Events.InteractionCreate, interactionListener);
      client.on(Events.MessageCreate, messageListener);
      if (options.connect !== false) {
        await client.login(options.token);
        log.info({ user: client.user?.tag }, 'discord connected');
      }
    },
    replyTo: (ref) => conversations.replyTo(ref),
    async stop() {
      client.off(Events.InteractionCreate, interactionListener);
      client.off(Events.MessageCreate, messageListener);
      await idle();
      await client.destroy();
    },
  };
}
