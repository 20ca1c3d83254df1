import { inputPicture, pendingSteps, pictures, pictureVersion } from '../session/pictures.ts';
import type { EditSession, Version } from '../session/session.ts';

/** Versions as people see them: numbered pictures, each with the settings of the edit that made it. */

function metricsLine(v: Version): string {
  const m = v.metrics as { psnr?: number | null; ssim?: number } | null;
  if (!m) return '';
  const psnr = m.psnr === null || m.psnr === undefined ? '∞' : m.psnr.toFixed(1);
  return ` · background PSNR ${psnr} dB, SSIM ${(m.ssim ?? 1).toFixed(4)}`;
}

const maskText = (v: Version) => (v.maskId ? `mask ${(v.maskCoverage * 100).toFixed(1)}%` : 'no mask');

/** One picture: "v2 result: remove the dog · 512×512 · mask 12.0% · engine · metrics". */
export function describeVersion(v: Version): string {
  const engine = v.engine ? ` · ${v.engine}` : '';
  return `v${v.picture ?? '?'} ${v.kind}: ${v.note} · ${v.width}×${v.height} · ${maskText(v)}${engine}${metricsLine(v)}`;
}

/**
 * Where the conversation stands: the current picture, and when mask, caption or settings steps were made on
 * it since, what they prepare ("v2 with mask grow 12 · mask 14.0% for the next edit").
 */
export function describeHead(session: EditSession, head: Version): string {
  const steps = pendingSteps(session, head);
  if (steps.length === 0) return describeVersion(head);
  const picture = pictureVersion(session, head);
  return `v${picture.picture ?? '?'} with ${steps.map((s) => s.note).join(', ')} · ${maskText(head)} for the next edit`;
}

/** Under a result: the prompts its engine was given (a removal's prompt may be empty: nothing to describe). */
function promptsLine(v: Version): string {
  if (v.kind !== 'result') return '';
  const prompt = v.caption ? `"${v.caption}"` : '(none)';
  const negative = v.negativePrompt ? ` · negative "${v.negativePrompt}"` : '';
  return `\n    prompt ${prompt}${negative}`;
}

/** The settings made on the current picture for its next edit, when there are any. */
function pendingLine(session: EditSession, head: Version): string {
  const steps = pendingSteps(session, head);
  if (steps.length === 0) return '';
  const caption = steps.some((s) => s.kind === 'caption') && head.caption ? ` · caption "${head.caption}"` : '';
  return `\n    next edit: ${steps.map((s) => s.note).join(', ')} · ${maskText(head)}${caption}`;
}

/** The pictures, oldest first, with the current one marked and edits from an older picture shown by their input. */
export function formatHistory(session: EditSession): string {
  const list = pictures(session);
  if (list.length === 0) return 'No versions yet: send a picture to start.';
  const head = session.versions.find((v) => v.id === session.headId) ?? null;
  const current = head ? pictureVersion(session, head) : null;
  return list
    .map((v) => {
      const input = v.kind === 'result' ? inputPicture(session, v) : null;
      const branch = input && input.picture !== (v.picture ?? 0) - 1 ? ` (from v${input.picture})` : '';
      const here = v.id === current?.id;
      return `${here ? '→' : ' '} ${describeVersion(v)}${branch}${promptsLine(v)}${here && head ? pendingLine(session, head) : ''}`;
    })
    .join('\n');
}
