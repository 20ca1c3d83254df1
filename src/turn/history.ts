import type { EditSession, Version } from '../session/session.ts';

function metricsLine(v: Version): string {
  const m = v.metrics as { psnr?: number | null; ssim?: number } | null;
  if (!m) return '';
  const psnr = m.psnr === null || m.psnr === undefined ? '∞' : m.psnr.toFixed(1);
  return ` · background PSNR ${psnr} dB, SSIM ${(m.ssim ?? 1).toFixed(4)}`;
}

export function describeVersion(v: Version): string {
  const mask = v.maskId ? `mask ${(v.maskCoverage * 100).toFixed(1)}%` : 'no mask';
  const engine = v.engine ? ` · ${v.engine}` : '';
  return `v${v.number} ${v.kind}: ${v.note} · ${v.width}×${v.height} · ${mask}${engine}${metricsLine(v)}`;
}

/** Under a result: the prompts its engine was given (a removal's prompt may be empty: nothing to describe). */
function promptsLine(v: Version): string {
  if (v.kind !== 'result') return '';
  const prompt = v.caption ? `"${v.caption}"` : '(none)';
  const negative = v.negativePrompt ? ` · negative "${v.negativePrompt}"` : '';
  return `\n    prompt ${prompt}${negative}`;
}

/** The edit graph as lines, oldest first, with the head marked and branches shown by their parent. */
export function formatHistory(session: EditSession): string {
  if (session.versions.length === 0) return 'No versions yet: send a picture to start.';
  const byId = new Map(session.versions.map((v) => [v.id, v]));
  return session.versions
    .map((v) => {
      const parent = v.parentId ? byId.get(v.parentId) : undefined;
      const branch = parent && parent.number !== v.number - 1 ? ` (from v${parent.number})` : '';
      return `${v.id === session.headId ? '→' : ' '} ${describeVersion(v)}${branch}${promptsLine(v)}`;
    })
    .join('\n');
}
