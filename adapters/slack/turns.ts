import type { Core, ImageInput, IncomingTurn, ReplyChannel } from '../../src/contracts.ts';
import { userFacingMessage } from '../../src/errors.ts';
import { newRef, type Logger } from '../../src/log.ts';
import { SlackAdapterError, isSlackAdapterError } from './errors.ts';
import { checkSlackPicture, type SlackFile } from './files.ts';
import { refOf, type SlackPlace } from './ids.ts';
import type { SlackReply } from './reply.ts';

/** What the event handlers need; the adapter provides it (and tests can too). */
export interface TurnDeps {
  core: Pick<Core, 'view' | 'status'>;
  onTurn(turn: IncomingTurn, reply: ReplyChannel): Promise<void>;
  replyFor(place: SlackPlace): SlackReply;
  download(file: SlackFile): Promise<ImageInput>;
  /** Largest file taken from Slack (checked on its declared size before downloading, and while reading). */
  maxBytes: number;
  /** The files on a thread's parent message (one conversations.replies call), or [] when Slack won't say. */
  parentFiles(place: SlackPlace): Promise<SlackFile[]>;
  /** False when this message was already taken in by this process (a redelivery): skip even the download. */
  claim(messageId: string): boolean;
  log: Logger;
}

/** A Slack message, reduced to what a turn needs. */
export interface SlackMessage {
  place: SlackPlace;
  ts: string;
  user: string;
  text: string;
  files: SlackFile[];
}

/** Slack's message id is (channel, ts): the same for an event, its retries and the message event beside it. */
export function messageIdOf(message: SlackMessage): string {
  return `${message.place.channel}/${message.ts}`;
}

/** Drop our own mention from the words (`<@U123> remove the cup` → `remove the cup`). */
export function withoutMention(text: string, botUserId: string | undefined): string {
  const mention = botUserId ? new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g') : /^\s*<@[A-Z0-9]+(\|[^>]*)?>/;
  return text.replace(mention, ' ').replace(/\s+/g, ' ').trim();
}

/** A worded error into the thread, with a reference that finds the log line (never a stack trace). */
export async function reportError(reply: ReplyChannel, error: unknown, log: Logger): Promise<void> {
  const ref = newRef('T');
  if (isSlackAdapterError(error)) log.info({ ref, code: error.code }, 'slack turn refused');
  else log.error({ ref, err: error }, 'slack turn failed');
  const message = isSlackAdapterError(error) ? `${error.userMessage} (ref ${ref})` : userFacingMessage(error, ref);
  await reply.error(message).catch((sendError: unknown) => log.error({ ref, err: sendError }, 'could not send the error reply'));
}

/** Slack says it is a picture (any image type: the decoder words HEIC and the like); without a mimetype, by its file type or name. */
const isPicture = (file: SlackFile) => (file.mimetype ? file.mimetype.startsWith('image/') : checkSlackPicture(file, Number.MAX_SAFE_INTEGER) === null);

/**
 * A message for the bot becomes a turn: its first picture (downloaded now — private URLs need our token and
 * the core never sees them), its words, and the thread as the conversation.
 */
export async function messageTurn(deps: TurnDeps, message: SlackMessage, options: { lookAtParent: boolean }): Promise<void> {
  // The core's idempotency (same messageId → one turn) is what holds across restarts; this only saves the
  // second download when Slack redelivers an event we are still working on.
  if (!deps.claim(messageIdOf(message))) return;
  const reply = deps.replyFor(message.place);
  try {
    let files = message.files;
    // A mention in a thread whose picture is on the parent: one look at the parent (history calls are
    // throttled, so only when a new session would start without a picture).
    if (files.length === 0 && options.lookAtParent && (await deps.core.view(refOf(message.place))) === null) {
      files = await deps.parentFiles(message.place);
    }
    const picture = files.find(isPicture);
    // Files, none of them a picture: refused from Slack's description, before anything is downloaded.
    if (!picture && files.length > 0) throw checkSlackPicture(files[0], deps.maxBytes) ?? new SlackAdapterError('slack.file_not_picture', 'Attach a PNG, JPEG or WebP image.');
    const images = picture ? [await deps.download(picture)] : [];
    await deps.onTurn({ ref: refOf(message.place), messageId: messageIdOf(message), userId: message.user, text: message.text, images }, reply);
  } catch (error) {
    await reportError(reply, error, deps.log);
  }
}
