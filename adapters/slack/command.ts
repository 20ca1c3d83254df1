import type { App, RespondFn, webApi } from '@slack/bolt';
import type { ConversationRef, IncomingTurn, ReplyChannel, ServiceStatus } from '../../src/contracts.ts';
import { toMrkdwn } from './blocks.ts';
import { SlackAdapterError, slackApiError } from './errors.ts';
import type { Track } from './events.ts';
import { reportError, type TurnDeps } from './turns.ts';

/** What `/brushtalk <words>` asks for: help, a core turn (in the core's own words), or something unknown. */
export type SlashRequest =
  | { kind: 'help' }
  | { kind: 'turn'; text: string; needsAdmin: boolean }
  | { kind: 'unknown'; word: string };

/**
 * `/brushtalk settings …` is the chat command `defaults …`, `/brushtalk buttons …` is `buttons …`: the core keeps
 * one vocabulary. Only changing the buttons rule asks Slack who the person is (one users.info call).
 */
export function parseSlashCommand(raw: string): SlashRequest {
  const [first = '', ...rest] = raw.trim().split(/\s+/).filter(Boolean);
  const word = first.toLowerCase();
  if (word === '' || word === 'help') return { kind: 'help' };
  if (word === 'settings') return { kind: 'turn', text: ['defaults', ...rest].join(' '), needsAdmin: false };
  if (word === 'buttons') return { kind: 'turn', text: ['buttons', ...rest].join(' '), needsAdmin: rest.length > 0 };
  return { kind: 'unknown', word: first };
}

const subcommands = [
  '`/brushtalk` or `/brushtalk help`: how to use brushtalk here',
  '`/brushtalk settings strength 0.8 samples 2`: your defaults for every new picture (`/brushtalk settings` shows them, `/brushtalk settings clear` forgets them)',
  '`/brushtalk buttons everyone` or `/brushtalk buttons owner`: workspace admins choose who may press result buttons (`/brushtalk buttons` shows the rule)',
];

export function unknownHint(word: string): string {
  return [`I don't know \`/brushtalk ${word}\`. Try:`, ...subcommands.map((s) => `• ${s}`)].join('\n');
}

/** `/brushtalk`: how to use the bot in Slack, and what this install runs (the settings that matter). */
export function commandHelp(status: ServiceStatus): string {
  const hints = [status.engine.hint, status.detector.hint, status.segmenter.hint, status.llm.hint].filter((h): h is string => Boolean(h));
  return [
    '*brushtalk* edits pictures by conversation. Mention me with a picture and say what to change, e.g. `@brushtalk remove the cup`.',
    'Each thread is one edit session: reply in the thread to refine ("make the mask bigger", "undo", "version 2", `help`).',
    "The buttons under a result re-roll, grow/shrink/invert the mask, undo, or change the caption; only the person who brought the picture can press them, unless a workspace admin opens them to everyone.",
    ...subcommands.map((s) => `• ${s}`),
    `Engine: ${status.engine.name}${status.engine.generative ? '' : ' (not generative)'} · object finder: ${status.detector.installed ? status.detector.model : 'not installed'} · language model: ${status.llm.configured ? status.llm.model : 'offline instructor'}`,
    ...hints.map((h) => `• ${h}`),
  ].join('\n');
}

/** A slash command's answers go to the person alone, through its response_url (never into the channel). */
export function privateReply(respond: RespondFn): ReplyChannel {
  const send = async (text: string) => {
    await respond({ response_type: 'ephemeral', text });
  };
  return {
    // A settings turn never edits a picture: there is no status line, progress or image to show.
    status: async () => undefined,
    progress: async () => undefined,
    image: async () => undefined,
    async text(markdown) {
      if (markdown.trim()) await send(toMrkdwn(markdown));
    },
    error: (message) => send(`:warning: ${toMrkdwn(message)}`),
  };
}

/** Slack's word on whether someone administers the workspace (admins and owners both may). */
export async function isWorkspaceAdmin(client: webApi.WebClient, userId: string): Promise<boolean> {
  try {
    const found = await client.users.info({ user: userId });
    return Boolean(found.user?.is_admin || found.user?.is_owner);
  } catch (error) {
    const said = slackApiError(error);
    const fix = said === 'missing_scope' ? ' The app needs the users:read scope: add it and reinstall the app.' : ' Try again in a moment.';
    throw new SlackAdapterError('slack.admin_check_failed', `I couldn't check whether you administer this workspace (Slack said ${said ?? 'nothing'}).${fix}`, { cause: error });
  }
}

/**
 * `/brushtalk`: help and unknown words are answered in the ack itself; settings are acked at once (empty), then
 * run as a core turn on the channel, and the core's answer comes back privately.
 */
export function registerCommand(app: App, deps: TurnDeps, track: Track): void {
  app.command('/brushtalk', async ({ ack, command, respond, client }) => {
    const request = parseSlashCommand(command.text ?? '');
    if (request.kind !== 'turn') {
      await ack({ response_type: 'ephemeral', text: request.kind === 'help' ? commandHelp(deps.core.status()) : unknownHint(request.word) });
      return;
    }
    await ack();
    const reply = privateReply(respond);
    // A channel-level conversation: settings belong to the person and the workspace, not to a thread's session.
    const ref: ConversationRef = { platform: 'slack', scope: command.team_id, channelId: command.channel_id };
    track(async () => {
      try {
        const scopeAdmin = request.needsAdmin && (await isWorkspaceAdmin(client, command.user_id));
        const turn: IncomingTurn = {
          ref,
          messageId: `command/${command.trigger_id}`,
          userId: command.user_id,
          text: request.text,
          images: [],
          ...(scopeAdmin ? { scopeAdmin: true } : {}),
        };
        await deps.onTurn(turn, reply);
      } catch (error) {
        await reportError(reply, error, deps.log);
      }
    });
  });
}
