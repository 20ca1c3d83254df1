import type { webApi } from '@slack/bolt';
import type { ImageDetails, ReplyChannel } from '../../src/contracts.ts';
import type { Logger } from '../../src/log.ts';
import { resultBlocks, toMrkdwn } from './blocks.ts';
import { slackApiError } from './errors.ts';
import type { SlackPlace } from './ids.ts';
import { createStatusLine } from './status.ts';

export interface SlackReplyOptions {
  client: webApi.WebClient;
  place: SlackPlace;
  log: Logger;
  /** Edit the status line at most this often: Slack rate-limits edits, and a ~3 s beat still reads as live. */
  statusIntervalMs: number;
}

/** A thread's ReplyChannel, plus what the adapter needs around it. */
export interface SlackReply extends ReplyChannel {
  /** A message only `userId` sees (refusals of a button press go to the presser, not the thread). */
  ephemeral(userId: string, text: string): Promise<void>;
  /** Resolves when everything asked so far has been sent. */
  flush(): Promise<void>;
  /** Drop a pending status edit (shutdown). */
  close(): void;
}

/**
 * Replies into one thread, always with the PARENT ts so everything stays in the session's thread. Calls are
 * sent one after another, in the order asked, so a result never overtakes the text that announced it.
 */
export function createSlackReply(options: SlackReplyOptions): SlackReply {
  const { client, place, log } = options;
  const thread = place.threadTs ? { thread_ts: place.threadTs } : {};
  let chain: Promise<unknown> = Promise.resolve();
  function enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = chain.then(task);
    chain = run.catch(() => undefined);
    return run;
  }
  const post = (text: string) => client.chat.postMessage({ channel: place.channel, ...thread, text });

  const status = createStatusLine({
    intervalMs: options.statusIntervalMs,
    enqueue,
    log,
    async write(text, ts) {
      if (ts) {
        await client.chat.update({ channel: place.channel, ts, text });
        return ts;
      }
      return (await post(text)).ts ?? null;
    },
    // In DMs the Assistant's native "thinking…" line fits better; elsewhere Slack refuses it, and we fall back.
    assistant: place.channel.startsWith('D') && place.threadTs
      ? async (text) => {
          try {
            await client.assistant.threads.setStatus({ channel_id: place.channel, thread_ts: place.threadTs, status: text });
            return true;
          } catch (error) {
            log.debug({ error: slackApiError(error) }, 'assistant status unavailable; using a status message');
            return false;
          }
        }
      : null,
  });

  async function upload(png: Uint8Array, details: ImageDetails): Promise<void> {
    await client.filesUploadV2({
      channel_id: place.channel,
      ...thread,
      initial_comment: toMrkdwn(details.caption),
      file_uploads: [{ file: Buffer.from(png), filename: details.fileName, title: details.fileName }],
    });
  }

  return {
    status: (text) => status.show(toMrkdwn(text)),
    async progress(_jobId, fraction) {
      const percent = Math.max(0, Math.min(100, Math.round(fraction * 100)));
      const bar = '▰'.repeat(Math.round(percent / 10)) + '▱'.repeat(10 - Math.round(percent / 10));
      await status.show(`:hourglass_flowing_sand: Editing… ${bar} ${percent}%`);
    },
    async text(markdown) {
      if (!markdown.trim()) return;
      await enqueue(() => post(toMrkdwn(markdown)));
    },
    async error(message) {
      status.finish(null);
      await enqueue(() => post(`:warning: ${toMrkdwn(message)}`));
    },
    async image(png, details) {
      // The before/after strip repeats what the thread already shows (the source above, the result here) and
      // would cost a third upload per edit against files' rate limits, so Slack leaves it out.
      if (details.role === 'compare') return;
      if (details.role === 'result') status.finish(':white_check_mark: Done.');
      await enqueue(() => upload(png, details));
      if (details.role === 'result' && details.actions?.length) {
        await enqueue(() => client.chat.postMessage({ channel: place.channel, ...thread, text: toMrkdwn(details.caption), blocks: resultBlocks(details) }));
      }
    },
    async ephemeral(userId, text) {
      await enqueue(() => client.chat.postEphemeral({ channel: place.channel, user: userId, ...thread, text: toMrkdwn(text) }));
    },
    async flush() {
      await status.settle();
      await chain;
    },
    close: () => status.close(),
  };
}
