import {
  DiscordAPIError,
  PermissionFlagsBits,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type MessageContextMenuCommandInteraction,
  type ModalSubmitInteraction,
  type RepliableInteraction,
} from 'discord.js';
import type { MaskInput, TurnAction } from '../../src/contracts.ts';
import { isBrushtalkError } from '../../src/errors.ts';
import { editImageMenuName } from './commands.ts';
import { privateError } from './conversation.ts';
import { editModalId, parseButtonId, parseEditModalId, staleComponentHint } from './custom-ids.ts';
import { checkAttachment, downloadAttachment, type AttachmentLike } from './download.ts';
import { maskUploadField, maskUploadModal, textModal } from './modals.ts';
import { ephemeral, refOf, runTurns, type HandlerContext } from './turns.ts';

/** Handlers are plain objects; the adapter routes by name and wraps each call in its own try/catch. */
export interface Handler<I> {
  name: string;
  run(interaction: I, ctx: HandlerContext, receivedAt: number): Promise<void>;
}

export type CommandHandler = Handler<ChatInputCommandInteraction>;

/** Param options become the same words a chat user would type (`seed 42`), so the core has one vocabulary. */
function paramTexts(interaction: ChatInputCommandInteraction, names: readonly string[]): string[] {
  const texts: string[] = [];
  for (const name of names) {
    const value = interaction.options.get(name)?.value;
    if (value !== undefined && value !== null) texts.push(`${name} ${value}`);
  }
  return texts;
}

/**
 * Defer (the 3 s deadline) while a download we already started finishes; a worded download failure is told to
 * the user privately and gives null. The outcome is settled first, so a failure during the defer is not unhandled.
 */
async function deferWhileDownloading(interaction: RepliableInteraction, picture: Promise<Uint8Array>, isPrivate: boolean): Promise<Uint8Array | null> {
  const settled = picture.then((bytes) => ({ bytes }), (error: unknown) => ({ error }));
  await interaction.deferReply(isPrivate ? ephemeral : {});
  const outcome = await settled;
  if ('bytes' in outcome) return outcome.bytes;
  if (!isBrushtalkError(outcome.error)) throw outcome.error;
  await privateError(interaction, outcome.error.userMessage, isPrivate);
  return null;
}

/** A press on a result (a button, or a modal it opened), already deferred privately: one turn for the core. */
async function pressTurn(ctx: HandlerContext, interaction: RepliableInteraction, receivedAt: number, action: TurnAction, mask?: MaskInput): Promise<void> {
  const ref = refOf(interaction);
  const reply = ctx.conversations.interactionReply(ref, interaction, receivedAt, true);
  await ctx.onTurn({ ref, messageId: interaction.id, userId: interaction.user.id, text: '', images: [], action, ...(mask ? { mask } : {}), othersMayAct: !ctx.ownerOnly }, reply);
}

/** Start an edit from a picture we are downloading: defer, wait for the bytes, maybe open a thread, then the turns. */
async function editFromPicture(
  ctx: HandlerContext,
  interaction: ChatInputCommandInteraction | ModalSubmitInteraction,
  receivedAt: number,
  picture: Promise<Uint8Array>,
  name: string,
  texts: string[],
): Promise<void> {
  const bytes = await deferWhileDownloading(interaction, picture, false);
  if (!bytes) return;
  let ref = refOf(interaction);
  if (ctx.threadPerSession && !ref.threadId && ref.scope !== 'dm') {
    const starter = await interaction.editReply({ content: 'Starting a thread for this edit…' });
    const title = texts.at(-1)!.replace(/\s+/g, ' ').slice(0, 90) || 'image edit';
    ref = { ...ref, threadId: await ctx.startThread(ref.channelId, starter.id, title) };
  }
  await runTurns(ctx, interaction, ref, receivedAt, texts, { ephemeral: false, images: [{ bytes, name }] });
}

export const editCommand = {
  name: 'edit',
  async run(interaction, ctx, receivedAt) {
    const attachment = interaction.options.getAttachment('image', true);
    // Refuse what the payload already shows (a text file, an oversized upload) before deferring: privately, at once.
    const refused = checkAttachment(attachment, ctx.maxInputBytes);
    if (refused) {
      await interaction.reply({ content: refused.userMessage, ...ephemeral });
      return;
    }
    const picture = downloadAttachment(attachment, ctx.maxInputBytes); // at once: CDN URLs expire
    const instruction = interaction.options.getString('instruction', true);
    await editFromPicture(ctx, interaction, receivedAt, picture, attachment.name, [...paramTexts(interaction, ['seed', 'strength', 'samples']), instruction]);
  },
} satisfies CommandHandler;

export const refineCommand = {
  name: 'refine',
  async run(interaction, ctx, receivedAt) {
    await interaction.deferReply();
    await runTurns(ctx, interaction, refOf(interaction), receivedAt, [interaction.options.getString('instruction', true)], { ephemeral: false });
  },
} satisfies CommandHandler;

export const historyCommand = {
  name: 'history',
  async run(interaction, ctx, receivedAt) {
    await interaction.deferReply(ephemeral);
    await runTurns(ctx, interaction, refOf(interaction), receivedAt, ['history'], { ephemeral: true });
  },
} satisfies CommandHandler;

export const undoCommand = {
  name: 'undo',
  async run(interaction, ctx, receivedAt) {
    await interaction.deferReply();
    await runTurns(ctx, interaction, refOf(interaction), receivedAt, ['undo'], { ephemeral: false });
  },
} satisfies CommandHandler;

/** Your own defaults for every new picture you bring (any server, DMs too); stored by the core per user. */
export const settingsCommand = {
  name: 'settings',
  async run(interaction, ctx, receivedAt) {
    const pairs = paramTexts(interaction, ['seed', 'strength', 'samples', 'steps', 'guidance']);
    const text = interaction.options.getBoolean('reset') ? 'defaults clear' : ['defaults', ...pairs].join(' ');
    await interaction.deferReply(ephemeral);
    await runTurns(ctx, interaction, refOf(interaction), receivedAt, [text], { ephemeral: true });
  },
} satisfies CommandHandler;

/** This server's own rules, for members with Manage Server (Discord hides the command from others, and we check). */
export const serverSettingsCommand = {
  name: 'server-settings',
  async run(interaction, ctx, receivedAt) {
    if (!interaction.inGuild()) {
      await interaction.reply({ content: 'Server settings only exist in a server.', ...ephemeral });
      return;
    }
    const buttons = interaction.options.getString('buttons');
    const scopeAdmin = interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false;
    await interaction.deferReply(ephemeral);
    await runTurns(ctx, interaction, refOf(interaction), receivedAt, [buttons ? `buttons ${buttons}` : 'buttons'], { ephemeral: true, scopeAdmin });
  },
} satisfies CommandHandler;

export const commandHandlers: readonly CommandHandler[] = [editCommand, refineCommand, historyCommand, undoCommand, settingsCommand, serverSettingsCommand];

const isPicture = (a: AttachmentLike) => checkAttachment(a, Number.MAX_SAFE_INTEGER) === null;

export const editImageMenu = {
  name: editImageMenuName,
  async run(interaction, ctx) {
    const message = interaction.targetMessage;
    const attachment = [...message.attachments.values()].find(isPicture);
    if (!attachment) {
      await interaction.reply({ content: 'That message has no picture to edit. Use it on a message with an image attached.', ...ephemeral });
      return;
    }
    const refused = checkAttachment(attachment, ctx.maxInputBytes);
    if (refused) {
      await interaction.reply({ content: refused.userMessage, ...ephemeral });
      return;
    }
    // The modal must be the first response; the download starts alongside it and waits for the submit.
    const key = `${message.channelId}:${message.id}:${interaction.user.id}`;
    const picture = downloadAttachment(attachment, ctx.maxInputBytes);
    picture.catch(() => undefined); // reported when the modal is submitted
    ctx.pendingPictures.set(key, picture);
    setTimeout(() => ctx.pendingPictures.delete(key), 15 * 60_000).unref();
    await interaction.showModal(textModal(editModalId(message.channelId, message.id), 'Edit image', 'instruction', 'What should change?'));
  },
} satisfies Handler<MessageContextMenuCommandInteraction>;

/** Discord's refusals to hand us a message, worded (anything else is ours to log). */
const unreadableMessage: Readonly<Record<number, string>> = {
  10003: 'That message’s channel is gone, so there is no picture to edit any more.',
  10008: 'That message was deleted, so there is no picture to edit any more.',
  50001: 'I can’t read that message: I have no access to its channel.',
  50013: 'I can’t read that message: I am not allowed to read that channel’s history.',
};

/** The picture of a message, fetched again (fresh CDN URLs) after a restart lost the pending download; or why not, in words. */
async function refetchPicture(ctx: HandlerContext, channelId: string, messageId: string): Promise<{ picture: Promise<Uint8Array>; name: string } | string> {
  let message: Awaited<ReturnType<HandlerContext['fetchMessage']>>;
  try {
    message = await ctx.fetchMessage(channelId, messageId);
  } catch (error) {
    const worded = error instanceof DiscordAPIError && typeof error.code === 'number' ? unreadableMessage[error.code] : undefined;
    if (worded) return worded;
    throw error;
  }
  const attachment = message.attachments
    .map((a) => ({ url: a.url, name: a.filename, size: a.size, contentType: a.content_type ?? null }))
    .find(isPicture);
  return attachment ? { picture: downloadAttachment(attachment, ctx.maxInputBytes), name: attachment.name } : 'That message no longer has a picture I can read.';
}

/** A text field of a submitted modal, trimmed; null when the form came without it (or empty): an outdated or hand-made payload. */
function textField(interaction: ModalSubmitInteraction, name: string): string | null {
  try {
    return interaction.fields.getTextInputValue(name).trim() || null;
  } catch {
    return null;
  }
}

/** The "Upload mask" modal, submitted: the file is checked, downloaded at once, and handed to the core as the mask. */
async function uploadedMask(interaction: ModalSubmitInteraction, ctx: HandlerContext, receivedAt: number, button: TurnAction): Promise<void> {
  const file = interaction.fields.getUploadedFiles(maskUploadField)?.first();
  const refused = file ? checkAttachment(file, ctx.maxInputBytes) : null;
  if (!file || refused) {
    await interaction.reply({ content: refused?.userMessage ?? 'Attach one picture as the mask.', ...ephemeral });
    return;
  }
  const bytes = await deferWhileDownloading(interaction, downloadAttachment(file, ctx.maxInputBytes), true);
  if (bytes) await pressTurn(ctx, interaction, receivedAt, button, { kind: 'image', bytes });
}

export const modalSubmit = {
  name: 'modal',
  async run(interaction, ctx, receivedAt) {
    const button = parseButtonId(interaction.customId);
    if (button?.action === 'mask') return uploadedMask(interaction, ctx, receivedAt, button);
    if (button?.action === 'caption') {
      const caption = textField(interaction, 'caption');
      if (caption === null) {
        await interaction.reply({ content: 'The form came back without a caption. Press Edit caption again and write what the picture should show.', ...ephemeral });
        return;
      }
      await interaction.deferReply(ephemeral);
      await pressTurn(ctx, interaction, receivedAt, { ...button, value: caption });
      return;
    }
    const target = parseEditModalId(interaction.customId);
    if (!target) {
      await interaction.reply({ content: staleComponentHint, ...ephemeral });
      return;
    }
    // The form names its message; only one in the channel it was submitted from is ours to fetch (with the bot's
    // token) and edit here. Channel ids are unique across Discord, so the same channel is the same server too.
    if (target.channelId !== interaction.channelId) {
      ctx.log.warn({ interactionId: interaction.id, channelId: interaction.channelId, target: target.channelId }, 'edit-image form names a message in another channel');
      await interaction.reply({ content: 'That form is for a message in another channel. Use Edit image on a message in this channel.', ...ephemeral });
      return;
    }
    const instruction = textField(interaction, 'instruction');
    if (instruction === null) {
      await interaction.reply({ content: 'The form came back without an instruction. Use Edit image again and say what should change.', ...ephemeral });
      return;
    }
    const key = `${target.channelId}:${target.messageId}:${interaction.user.id}`;
    const pending = ctx.pendingPictures.get(key);
    ctx.pendingPictures.delete(key);
    const source = pending ? { picture: pending, name: 'image' } : await refetchPicture(ctx, target.channelId, target.messageId);
    if (typeof source === 'string') {
      await interaction.reply({ content: source, ...ephemeral });
      return;
    }
    await editFromPicture(ctx, interaction, receivedAt, source.picture, source.name, [instruction]);
  },
} satisfies Handler<ModalSubmitInteraction>;

export const resultButton = {
  name: 'button',
  async run(interaction, ctx, receivedAt) {
    const parsed = parseButtonId(interaction.customId);
    if (!parsed) {
      await interaction.reply({ content: staleComponentHint, ...ephemeral });
      return;
    }
    if (parsed.action === 'caption') {
      // A modal must be the first response: the owner check happens when it is submitted.
      await interaction.showModal(textModal(interaction.customId, 'Edit caption', 'caption', 'What should the picture show after the edit?'));
      return;
    }
    if (parsed.action === 'mask') {
      await interaction.showModal(maskUploadModal(interaction.customId));
      return;
    }
    await interaction.deferReply(ephemeral);
    await pressTurn(ctx, interaction, receivedAt, parsed);
  },
} satisfies Handler<ButtonInteraction>;
