import { BrushtalkError } from '../../src/errors.ts';

/** What we need of a Discord attachment (discord.js's Attachment has these fields). */
export interface AttachmentLike {
  url: string;
  name: string;
  size: number;
  contentType: string | null;
}

const imageTypes = /^image\/(png|jpeg|webp|gif|avif|tiff)\b/;
const imageNames = /\.(png|jpe?g|webp|gif|avif|tiff?)$/i;

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * Refuse what we can tell from the interaction alone (no I/O, so it can be answered before the 3 s deadline):
 * not a picture, or bigger than we accept. The decoder checks the bytes again; this is the friendly early word.
 */
export function checkAttachment(attachment: AttachmentLike, maxBytes: number): BrushtalkError | null {
  const looksLikeImage = attachment.contentType ? imageTypes.test(attachment.contentType) : imageNames.test(attachment.name);
  if (!looksLikeImage) {
    const kind = attachment.contentType ? ` (${attachment.contentType.split(';')[0]})` : '';
    return new BrushtalkError('image.unsupported_format', `"${attachment.name}" is not a picture${kind}. Attach a PNG, JPEG or WebP image.`);
  }
  if (attachment.size > maxBytes) {
    return new BrushtalkError('image.too_large', `"${attachment.name}" is ${megabytes(attachment.size)}; the limit is ${megabytes(maxBytes)}. Send a smaller picture.`);
  }
  return null;
}

/**
 * Download at once: CDN attachment URLs expire. The cap is enforced while reading, so a wrong `size`
 * in the payload cannot make us buffer more than we accept.
 */
export async function downloadAttachment(attachment: AttachmentLike, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(attachment.url, { signal: signal ?? AbortSignal.timeout(30_000) });
  } catch (cause) {
    throw new BrushtalkError('image.empty', `I could not download "${attachment.name}". Try sending it again.`, { cause, retryable: true });
  }
  if (!response.ok || !response.body) {
    throw new BrushtalkError('image.empty', `I could not download "${attachment.name}" (HTTP ${response.status}); the link may have expired. Send it again.`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    // Throwing ends the iteration, which cancels the download.
    if (total > maxBytes) {
      throw new BrushtalkError('image.too_large', `"${attachment.name}" is over the limit of ${megabytes(maxBytes)}. Send a smaller picture.`);
    }
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
