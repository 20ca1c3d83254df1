/**
 * Errors that reach users. Every error carries a stable code (for logs, tests and docs) and a message
 * worded for the person in the chat. Stack traces never reach users; the reply shows a reference id
 * that finds the full log line.
 */
export type ErrorCode =
  | 'image.too_large'
  | 'image.too_many_pixels'
  | 'image.empty'
  | 'image.unsupported_format'
  | 'image.corrupt'
  | 'image.heic_unsupported'
  | 'mask.empty'
  | 'mask.missing'
  | 'mask.bad_size'
  | 'mask.too_large'
  | 'command.unknown'
  | 'command.bad_arguments'
  | 'instruction.too_long'
  | 'agent.bad_arguments'
  | 'session.no_image'
  | 'session.nothing_to_undo'
  | 'session.nothing_to_redo'
  | 'session.unknown_version'
  | 'session.conflict'
  | 'turn.duplicate'
  | 'session.not_found'
  | 'session.job_pending'
  | 'session.not_owner'
  | 'params.invalid'
  | 'engine.failed'
  | 'engine.cancelled'
  | 'engine.crashed'
  | 'engine.unavailable'
  | 'engine.not_generative'
  | 'engine.deterministic'
  | 'vision.failed'
  | 'vision.bad_prompt'
  | 'job.not_found'
  | 'queue.full'
  | 'queue.unavailable'
  | 'config.invalid'
  | 'server.port_in_use'
  | 'file.unreadable'
  | 'weights.missing'
  | 'weights.corrupt'
  | 'weights.download_failed'
  | 'weights.unknown'
  | 'weights.manifest_invalid'
  | 'vision.not_found'
  | 'internal';

export class BrushtalkError extends Error {
  readonly code: ErrorCode;
  /** Message shown to the user as is. */
  readonly userMessage: string;
  /** Whether a job that failed with this error may be tried again. */
  readonly retryable: boolean;

  constructor(code: ErrorCode, userMessage: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(userMessage, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BrushtalkError';
    this.code = code;
    this.userMessage = userMessage;
    this.retryable = options.retryable ?? false;
  }
}

export function isBrushtalkError(value: unknown): value is BrushtalkError {
  return value instanceof BrushtalkError;
}

/** The words a user sees for any error: a worded message for ours, a generic one otherwise, always with the reference. */
export function userFacingMessage(error: unknown, ref: string): string {
  if (isBrushtalkError(error)) return `${error.userMessage} (ref ${ref})`;
  return `Something went wrong on our side. The reference ${ref} finds the details in the logs.`;
}

/**
 * The command line's exit status for each error, in one place: 0 done, 1 the request failed, 2 a usage mistake
 * (a bad command, argument or file), 3 set-up needed (a model to install, a configuration value, a port).
 */
const usageErrors: readonly ErrorCode[] = ['command.unknown', 'command.bad_arguments', 'instruction.too_long', 'file.unreadable', 'weights.unknown'];
const setupErrors: readonly ErrorCode[] = ['weights.missing', 'weights.corrupt', 'weights.manifest_invalid', 'engine.unavailable', 'config.invalid', 'server.port_in_use'];

export function exitCodeFor(code: ErrorCode | null): 0 | 1 | 2 | 3 {
  if (code === null) return 0;
  if (usageErrors.includes(code)) return 2;
  if (setupErrors.includes(code)) return 3;
  return 1;
}

/** The table `brushtalk help` prints. */
export const exitCodeHelp = `Exit codes
  0  done
  1  the edit or request failed (the reply says why)
  2  a usage mistake: unknown command, missing or bad argument, unreadable file
  3  set-up needed: a model to install, a configuration value to fix, a port in use`;
