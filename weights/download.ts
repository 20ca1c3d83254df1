import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { BrushtalkError, isBrushtalkError } from '../src/errors.ts';
import { exportInstructions, type ModelEntry, type ModelFile } from './manifest.ts';
import { emptyLock, expectedFor, modelDir, readLock, sha256File, sizeOf, writeLock, type HashSource, type Lock } from './lock.ts';

/**
 * `weights pull`: the only code in brushtalk that downloads. Each file streams into `<file>.partial`
 * while its sha256 is computed; an interrupted download is resumed with an HTTP Range request next time;
 * a finished one is checked and renamed into place, so a file under its real name is always whole.
 */

export const DEFAULT_HUB = 'https://huggingface.co';

export interface PullProgress {
  id: string;
  path: string;
  received: number;
  total: number | null;
}

export interface PullOptions {
  fetch?: typeof fetch;
  log?: (line: string) => void;
  onProgress?: (progress: PullProgress) => void;
  /** Extra attempts per file after a dropped connection, each resuming where the last stopped. */
  retries?: number;
}

export interface PullResult {
  id: string;
  dir: string;
  commit: string | null;
  files: { path: string; action: 'skipped' | 'downloaded' | 'resumed'; bytes: number; sha256: string; hashSource: HashSource }[];
}

const FULL_COMMIT = /^[0-9a-f]{40}$/;

export function fileUrl(entry: ModelEntry, file: ModelFile): string {
  const base = (entry.source.baseUrl ?? DEFAULT_HUB).replace(/\/+$/, '');
  const encoded = file.path.split('/').map(encodeURIComponent).join('/');
  return `${base}/${entry.source.repo}/resolve/${encodeURIComponent(entry.source.revision)}/${encoded}`;
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

function interrupted(url: string, received: number, total: number | null, cause: unknown): BrushtalkError {
  const of = total === null ? '' : ` of ${mb(total)}`;
  return new BrushtalkError(
    'weights.download_failed',
    `The download of ${url} stopped after ${mb(received)}${of}. Run the same pull command again: it resumes where it stopped.`,
    { cause, retryable: true },
  );
}

interface Downloaded {
  sha256: string;
  bytes: number;
  resumed: boolean;
  commit: string | null;
}

/** One attempt at one file: resume the partial if the server agrees, else start over. */
async function downloadOnce(url: string, dest: string, expected: { sha256: string | null; bytes: number | null }, options: PullOptions, report: (received: number, total: number | null) => void): Promise<Downloaded> {
  const doFetch = options.fetch ?? fetch;
  const partial = `${dest}.partial`;
  await fsp.mkdir(path.dirname(dest), { recursive: true });
  let offset = sizeOf(partial) ?? 0;
  if (expected.bytes !== null && offset > expected.bytes) offset = 0;
  let response: Response;
  try {
    response = await doFetch(url, { headers: offset > 0 ? { range: `bytes=${offset}-` } : {}, redirect: 'follow' });
  } catch (error) {
    throw interrupted(url, offset, expected.bytes, error);
  }
  if (response.status === 416 && offset > 0) {
    // The partial is as long as the file or longer: it cannot be trusted, so start again from zero.
    await response.body?.cancel();
    await fsp.rm(partial, { force: true });
    return downloadOnce(url, dest, expected, options, report);
  }
  if (!response.ok) {
    await response.body?.cancel();
    const hint = response.status === 401 || response.status === 404 ? ' Check the repository, revision and file path in weights/manifest.json.' : ' Try again later.';
    throw new BrushtalkError('weights.download_failed', `Downloading ${url} failed: the server answered ${response.status} ${response.statusText}.${hint}`, {
      retryable: response.status >= 500 || response.status === 429,
    });
  }
  const hash: Hash = createHash('sha256');
  const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
  const resumed = response.status === 206 && offset > 0 && range !== null && Number(range[1]) === offset;
  if (resumed) {
    for await (const chunk of fs.createReadStream(partial)) hash.update(chunk as Buffer);
  } else {
    // A 200 (the server ignored Range) or a range we did not ask for: the body is the whole file from byte 0.
    offset = 0;
  }
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  const total = resumed && range && range[2] !== '*' ? Number(range[2]) : Number.isFinite(length) ? offset + length : expected.bytes;
  let received = offset;
  const handle = await fsp.open(partial, resumed ? 'a' : 'w');
  try {
    if (response.body) {
      for await (const chunk of response.body) {
        await handle.write(chunk);
        hash.update(chunk);
        received += chunk.byteLength;
        report(received, total);
      }
    }
  } catch (error) {
    throw interrupted(url, received, total, error);
  } finally {
    await handle.close();
  }
  if (total !== null && received < total) throw interrupted(url, received, total, new Error('the connection closed early'));
  const sha256 = hash.digest('hex');
  const wrongSize = expected.bytes !== null && received !== expected.bytes;
  if (wrongSize || (expected.sha256 !== null && sha256 !== expected.sha256)) {
    await fsp.rm(partial, { force: true });
    const what = wrongSize ? `${received} bytes instead of ${expected.bytes}` : `sha256 ${sha256} instead of ${expected.sha256}`;
    throw new BrushtalkError('weights.corrupt', `The file downloaded from ${url} is not the expected one (${what}); it was deleted. If this repeats, the manifest or the hub has changed: check weights/manifest.json.`);
  }
  await fsp.rename(partial, dest);
  return { sha256, bytes: received, resumed, commit: response.headers.get('x-repo-commit') };
}

/**
 * Download every file of a model that is not already present and valid. Hashes are checked against the
 * manifest; where it has none they are recorded in `<dir>/.brushtalk-lock.json` (trust on first use) and,
 * on a commit revision, later downloads must match that record.
 */
export async function pullModel(entry: ModelEntry, weightsDir: string, options: PullOptions = {}): Promise<PullResult> {
  const log = options.log ?? (() => {});
  const dir = modelDir(weightsDir, entry.id);
  if (entry.producedBy) throw new BrushtalkError('weights.missing', exportInstructions(entry, dir));
  const lock: Lock = readLock(entry, weightsDir) ?? emptyLock(entry);
  // On a branch the same path can hold new bytes tomorrow, so a record only says what we had, not what must come.
  const trustRecords = FULL_COMMIT.test(entry.source.revision);
  const result: PullResult = { id: entry.id, dir, commit: lock.commit, files: [] };
  for (const file of entry.files) {
    const expected = expectedFor(file, trustRecords ? lock : null);
    const dest = path.join(dir, file.path);
    if (expected.sha256 !== null && sizeOf(dest) !== null && (expected.bytes === null || sizeOf(dest) === expected.bytes) && (await sha256File(dest)) === expected.sha256) {
      result.files.push({ path: file.path, action: 'skipped', bytes: sizeOf(dest) ?? 0, sha256: expected.sha256, hashSource: expected.source });
      log(`${entry.id}: ${file.path} already present and valid`);
      continue;
    }
    const url = fileUrl(entry, file);
    log(`${entry.id}: downloading ${file.path}`);
    const report = (received: number, total: number | null) => options.onProgress?.({ id: entry.id, path: file.path, received, total });
    let done: Downloaded | null = null;
    for (let attempt = 0; done === null; attempt++) {
      try {
        done = await downloadOnce(url, dest, expected, options, report);
      } catch (error) {
        if (!isBrushtalkError(error) || !error.retryable || attempt >= (options.retries ?? 2)) throw error;
        log(`${entry.id}: ${error.userMessage} Retrying.`);
      }
    }
    const source: HashSource = expected.sha256 === null ? 'recorded' : expected.source;
    result.files.push({ path: file.path, action: done.resumed ? 'resumed' : 'downloaded', bytes: done.bytes, sha256: done.sha256, hashSource: source });
    lock.files[file.path] = { sha256: done.sha256, bytes: done.bytes, pulledAt: new Date().toISOString() };
    lock.commit = done.commit ?? lock.commit;
    lock.verifiedAt = null;
    // After every file, so a pull that dies later still keeps what it fetched and checked.
    await writeLock(weightsDir, lock);
    result.commit = lock.commit;
    log(`${entry.id}: ${file.path} ${mb(done.bytes)} sha256 ${done.sha256.slice(0, 12)}… (${source === 'pinned' ? 'matches the manifest' : 'recorded'})`);
  }
  return result;
}
