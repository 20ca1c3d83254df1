/**
 * Errors the Slack transport words itself (the core words everything else). Like Bolt's own errors they carry
 * a stable code for logs and tests; `userMessage` is what the person in the thread reads.
 */
export type SlackErrorCode =
  | 'slack.file_unreadable'
  | 'slack.file_too_large'
  | 'slack.file_not_picture'
  | 'slack.file_download_failed'
  | 'slack.admin_check_failed';

export class SlackAdapterError extends Error {
  readonly code: SlackErrorCode;
  readonly userMessage: string;

  constructor(code: SlackErrorCode, userMessage: string, options: { cause?: unknown } = {}) {
    super(userMessage, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SlackAdapterError';
    this.code = code;
    this.userMessage = userMessage;
  }
}

export function isSlackAdapterError(value: unknown): value is SlackAdapterError {
  return value instanceof SlackAdapterError;
}

/** The Web API's error code (`not_in_channel`, `missing_scope`, …) when a call was refused, else null. */
export function slackApiError(error: unknown): string | null {
  const data = (error as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === 'string' ? data.error : null;
}
