import type { ImageInput } from '../../src/contracts.ts';
import { SlackAdapterError } from './errors.ts';

/** The fields of a Slack file object we use (events carry many more). */
export interface SlackFile {
  id?: string;
  name?: string | null;
  mimetype?: string;
  /** Slack's short type (`png`, `jpg`, `pdf`, …). */
  filetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
}

export interface DownloadOptions {
  botToken: string;
  maxBytes: number;
}

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Slack answers an unauthorised file URL with its sign-in page (200, HTML) rather than an error status. */
function looksLikeHtml(contentType: string | null, head: Uint8Array): boolean {
  if (contentType?.toLowerCase().includes('text/html')) return true;
  const start = new TextDecoder().decode(head.subarray(0, 64)).trimStart().toLowerCase();
  return start.startsWith('<!doctype html') || start.startsWith('<html');
}

function tooLarge(name: string, bytes: number, maxBytes: number): SlackAdapterError {
  return new SlackAdapterError('slack.file_too_large', `"${name}" is ${megabytes(bytes)}; the limit is ${megabytes(maxBytes)}. Send a smaller picture.`);
}

const pictureTypes = /^image\/(png|jpe?g|webp)$/i;
const pictureNames = /\.(png|jpe?g|webp)$/i;

/**
 * What can be refused from Slack's description of a file alone, before any download: not a PNG, JPEG or WebP
 * picture, or bigger than we accept. The decoder checks the bytes again; this is the early word.
 */
export function checkSlackPicture(file: SlackFile, maxBytes: number): SlackAdapterError | null {
  const name = file.name ?? file.id ?? 'the file';
  const mimetype = file.mimetype?.split(';')[0].trim();
  const picture = mimetype ? pictureTypes.test(mimetype) : pictureNames.test(`.${file.filetype ?? ''}`) || pictureNames.test(name);
  if (!picture) {
    const kind = mimetype ? ` (${mimetype})` : '';
    return new SlackAdapterError('slack.file_not_picture', `"${name}" is not a picture${kind}. Attach a PNG, JPEG or WebP image.`);
  }
  if (file.size !== undefined && file.size > maxBytes) return tooLarge(name, file.size, maxBytes);
  return null;
}

/**
 * Download a file at once (its URL needs the bot token; private URLs are never handed to the core). The size
 * cap is checked on the declared size first and again while reading, so a wrong declaration cannot get past it.
 */
export async function downloadSlackFile(file: SlackFile, options: DownloadOptions): Promise<ImageInput> {
  const name = file.name ?? file.id ?? 'the file';
  if (file.size !== undefined && file.size > options.maxBytes) throw tooLarge(name, file.size, options.maxBytes);
  const url = file.url_private_download ?? file.url_private;
  if (!url) throw new SlackAdapterError('slack.file_download_failed', `I can't download "${name}": Slack gave no address for it. Try uploading it again.`);
  let response: Response;
  try {
    response = await fetch(url, { headers: { Authorization: `Bearer ${options.botToken}` }, signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    throw new SlackAdapterError('slack.file_download_failed', `I couldn't download "${name}" from Slack. Try again in a moment.`, { cause: error });
  }
  if (response.status === 401 || response.status === 403) throw unreadable(name);
  if (!response.ok || !response.body) {
    throw new SlackAdapterError('slack.file_download_failed', `I couldn't download "${name}" from Slack (HTTP ${response.status}). Try again in a moment.`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    // Leaving the loop by throwing cancels the stream, so the rest is never fetched.
    if (total > options.maxBytes) throw tooLarge(name, total, options.maxBytes);
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks);
  if (looksLikeHtml(response.headers.get('content-type'), bytes)) throw unreadable(name);
  return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), name };
}

function unreadable(name: string): SlackAdapterError {
  return new SlackAdapterError(
    'slack.file_unreadable',
    `I can't read that file ("${name}"): Slack sent a sign-in page instead of the picture. Add the files:read scope to the app and reinstall it.`,
  );
}
