import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import type { ModelEntry, ModelFile } from './manifest.ts';

/**
 * Where a model's files live and the record of what `pull` fetched. Files go to `<weightsDir>/<id>/<path>`,
 * the hub repository's own layout, which is what transformers.js reads with `env.localModelPath = weightsDir`.
 * `<weightsDir>/<id>/.brushtalk-lock.json` keeps the sha256 and size of every file as downloaded: the
 * reference for files whose manifest entry has no hash (trust on first use).
 */

export const LOCK_FILE = '.brushtalk-lock.json';

const lockSchema = z.object({
  version: z.literal(1),
  id: z.string(),
  repo: z.string(),
  revision: z.string(),
  /** The commit the hub said it served (`x-repo-commit`), worth keeping when the revision is a branch. */
  commit: z.string().nullable(),
  files: z.record(z.string(), z.object({ sha256: z.string(), bytes: z.number(), pulledAt: z.string() })),
  verifiedAt: z.string().nullable(),
});
export type Lock = z.infer<typeof lockSchema>;

export function modelDir(weightsDir: string, id: string): string {
  return path.join(weightsDir, id);
}

export function lockPath(weightsDir: string, id: string): string {
  return path.join(modelDir(weightsDir, id), LOCK_FILE);
}

/**
 * The lock file for this entry, or null when there is none, it is unreadable, or it was written for
 * another repository or revision (a record of other bytes is no evidence about these).
 */
export function readLock(entry: ModelEntry, weightsDir: string): Lock | null {
  try {
    const lock = lockSchema.parse(JSON.parse(fs.readFileSync(lockPath(weightsDir, entry.id), 'utf8')));
    return lock.repo === entry.source.repo && lock.revision === entry.source.revision ? lock : null;
  } catch {
    return null;
  }
}

export function emptyLock(entry: ModelEntry): Lock {
  return { version: 1, id: entry.id, repo: entry.source.repo, revision: entry.source.revision, commit: null, files: {}, verifiedAt: null };
}

/** Written beside and renamed over, so a crash never leaves half a lock file. */
export async function writeLock(weightsDir: string, lock: Lock): Promise<void> {
  const file = lockPath(weightsDir, lock.id);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(`${file}.tmp`, `${JSON.stringify(lock, null, 2)}\n`);
  await fsp.rename(`${file}.tmp`, file);
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export type HashSource = 'pinned' | 'recorded' | 'none';

/** What a file must be: the manifest's value wins; the lock's record stands in where the manifest has none. */
export function expectedFor(file: ModelFile, lock: Lock | null): { sha256: string | null; bytes: number | null; source: HashSource } {
  const record = lock?.files[file.path];
  if (file.sha256) return { sha256: file.sha256, bytes: file.bytes ?? record?.bytes ?? null, source: 'pinned' };
  if (record) return { sha256: record.sha256, bytes: file.bytes ?? record.bytes, source: 'recorded' };
  return { sha256: null, bytes: file.bytes, source: 'none' };
}

/** The size of a regular file, or null when there is none. */
export function sizeOf(file: string): number | null {
  try {
    const stat = fs.statSync(file);
    return stat.isFile() ? stat.size : null;
  } catch {
    return null;
  }
}
