import type { ChatAdapter, ImageDetails, ReplyChannel, TurnOutcome } from '../../src/contracts.ts';

export interface Recorded {
  texts: string[];
  errors: string[];
  images: { png: Uint8Array; details: ImageDetails }[];
  fractions: number[];
  statuses: string[];
  /** How each turn ended (ReplyChannel.ended). */
  outcomes: TurnOutcome[];
}

/** A ReplyChannel that remembers everything it was asked to send. */
export function recordingReply(): ReplyChannel & Recorded {
  const recorded: Recorded = { texts: [], errors: [], images: [], fractions: [], statuses: [], outcomes: [] };
  return {
    ...recorded,
    async status(text) {
      recorded.statuses.push(text);
    },
    async text(markdown) {
      recorded.texts.push(markdown);
    },
    async error(message) {
      recorded.errors.push(message);
    },
    async image(png, details) {
      recorded.images.push({ png, details });
    },
    async progress(_jobId, fraction) {
      recorded.fractions.push(fraction);
    },
    ended(outcome) {
      recorded.outcomes.push(outcome);
    },
  };
}

/** A test adapter whose every conversation replies into one recording channel. */
export function recordingAdapter(platform: string, reply = recordingReply()): ChatAdapter & { reply: typeof reply } {
  return { platform, reply, async start() {}, replyTo: () => reply, async stop() {} };
}
