import type { EditSession, Version } from './types.ts';

/**
 * Versions are pictures (issue 13): what users number, list, check out and see in the strip are the source
 * pictures and the edit results. Mask, caption and settings steps stay in the graph — each is one undo step —
 * but they belong to the picture they stand on and prepare its next edit.
 */

export function isPicture(version: Pick<Version, 'kind'>): boolean {
  return version.kind === 'source' || version.kind === 'result';
}

/** The pictures of a session in the order they were made (their numbers count up from 1). */
export function pictures(session: EditSession): Version[] {
  return session.versions.filter((v) => v.picture !== null).sort((a, b) => (a.picture ?? 0) - (b.picture ?? 0));
}

/** The picture a version stands on: itself when it is one, else the nearest picture above it. */
export function pictureVersion(session: EditSession, from: Version): Version {
  let v: Version | undefined = from;
  while (v && !isPicture(v)) v = session.versions.find((p) => p.id === v!.parentId);
  return v ?? from;
}

/** The picture a result was made from (its input), or null for a source. */
export function inputPicture(session: EditSession, picture: Version): Version | null {
  const parent = picture.parentId ? session.versions.find((v) => v.id === picture.parentId) : undefined;
  return parent ? pictureVersion(session, parent) : null;
}

/** The steps made on a picture since it was made, oldest first, ending at `from` (empty when `from` is a picture). */
export function pendingSteps(session: EditSession, from: Version): Version[] {
  const steps: Version[] = [];
  let v: Version | undefined = from;
  while (v && !isPicture(v)) {
    steps.unshift(v);
    v = session.versions.find((p) => p.id === v!.parentId);
  }
  return steps;
}
