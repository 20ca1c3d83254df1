import path from 'node:path';
import { BrushtalkError } from '../src/errors.ts';
import { exportInstructions, findModel, roleOf, type Manifest, type ModelEntry, type ModelFile } from './manifest.ts';
import { emptyLock, expectedFor, modelDir, readLock, sha256File, sizeOf, writeLock, type HashSource, type Lock } from './lock.ts';

export { pullModel, type PullOptions, type PullResult, type PullProgress } from './download.ts';
export { LOCK_FILE, lockPath, modelDir, readLock, sha256File, type HashSource, type Lock } from './lock.ts';

/**
 * What the CLI and the vision code ask about models: what is installed (`listModels`), whether it is whole
 * (`verifyModel`), and the folder to load from (`requireModel`). Nothing here touches the network;
 * `pullModel` (download.ts) is the only code that downloads.
 */

export interface ModelStatus {
  id: string;
  task: ModelEntry['task'];
  license: string;
  /** Exact total when every size is known (manifest or lock), else null; see sizeHint. */
  totalBytes: number | null;
  sizeHint: string | null;
  filesPresent: number;
  filesTotal: number;
  installed: boolean;
  /** `verify` passed since the last download and every file still has its recorded size. */
  verified: boolean;
  pinned: number;
  recorded: number;
}

/** A cheap look (sizes, no hashing) at every model in the manifest. */
export function listModels(manifest: Manifest, weightsDir: string): ModelStatus[] {
  return manifest.models.map((entry) => {
    const lock = readLock(entry, weightsDir);
    let total: number | null = 0;
    let present = 0;
    let sizesMatch = true;
    let pinned = 0;
    let recorded = 0;
    for (const file of entry.files) {
      const expected = expectedFor(file, lock);
      if (expected.source === 'pinned') pinned++;
      if (expected.source === 'recorded') recorded++;
      total = total === null || expected.bytes === null ? null : total + expected.bytes;
      const size = sizeOf(path.join(modelDir(weightsDir, entry.id), file.path));
      if (size !== null) present++;
      if (size === null || (expected.bytes !== null && size !== expected.bytes)) sizesMatch = false;
    }
    const installed = present === entry.files.length;
    return {
      id: entry.id,
      task: entry.task,
      license: entry.license,
      totalBytes: total,
      sizeHint: entry.sizeHint ?? null,
      filesPresent: present,
      filesTotal: entry.files.length,
      installed,
      verified: installed && sizesMatch && lock?.verifiedAt != null,
      pinned,
      recorded,
    };
  });
}

export type FileCheck = {
  path: string;
  status: 'ok' | 'missing' | 'size_mismatch' | 'hash_mismatch' | 'unrecorded';
  hashSource: HashSource;
  expectedSha256: string | null;
  actualSha256: string | null;
  bytes: number | null;
};

export type GraphCheck = {
  path: string;
  status: 'ok' | 'mismatch' | 'missing' | 'unloadable';
  inputs: string[];
  outputs: string[];
  missingInputs: string[];
  unexpectedInputs: string[];
  missingOutputs: string[];
  extraOutputs: string[];
  error: string | null;
};

export interface VerifyResult {
  id: string;
  ok: boolean;
  files: FileCheck[];
  graphs: GraphCheck[];
}

async function checkFile(file: ModelFile, dir: string, lock: Lock | null): Promise<FileCheck> {
  const expected = expectedFor(file, lock);
  const base = { path: file.path, hashSource: expected.source, expectedSha256: expected.sha256 };
  const full = path.join(dir, file.path);
  const bytes = sizeOf(full);
  if (bytes === null) return { ...base, status: 'missing', actualSha256: null, bytes };
  const actual = await sha256File(full);
  if (expected.bytes !== null && bytes !== expected.bytes) return { ...base, status: 'size_mismatch', actualSha256: actual, bytes };
  if (expected.sha256 === null) return { ...base, status: 'unrecorded', actualSha256: actual, bytes };
  return { ...base, status: actual === expected.sha256 ? 'ok' : 'hash_mismatch', actualSha256: actual, bytes };
}

async function checkGraph(graph: ModelEntry['graphs'][number], dir: string): Promise<GraphCheck> {
  const none = { inputs: [], outputs: [], missingInputs: [], unexpectedInputs: [], missingOutputs: [], extraOutputs: [] };
  const full = path.join(dir, graph.path);
  if (sizeOf(full) === null) return { path: graph.path, status: 'missing', ...none, error: null };
  // onnxruntime is imported here, by `weights verify`, not by everything that checks a model folder.
  const { graphSignature } = await import('../src/onnx.ts');
  try {
    const { inputs, outputs } = await graphSignature(full);
    const allowed = new Set([...graph.inputs, ...graph.optionalInputs]);
    const missingInputs = graph.inputs.filter((name) => !inputs.includes(name));
    const unexpectedInputs = inputs.filter((name) => !allowed.has(name));
    const missingOutputs = graph.outputs.filter((name) => !outputs.includes(name));
    const extraOutputs = outputs.filter((name) => !graph.outputs.includes(name));
    const status = missingInputs.length || unexpectedInputs.length || missingOutputs.length ? 'mismatch' : 'ok';
    return { path: graph.path, status, inputs, outputs, missingInputs, unexpectedInputs, missingOutputs, extraOutputs, error: null };
  } catch (error) {
    return { path: graph.path, status: 'unloadable', ...none, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Hash every file against the manifest (or, where it has no value, the hashes `pull` recorded) and load
 * every graph with onnxruntime to compare its real input/output names with the manifest's. A model that
 * passes gets `verifiedAt` in its lock file, which is what `list` shows as verified.
 */
export async function verifyModel(entry: ModelEntry, weightsDir: string): Promise<VerifyResult> {
  const dir = modelDir(weightsDir, entry.id);
  const lock = readLock(entry, weightsDir);
  const files: FileCheck[] = [];
  for (const file of entry.files) files.push(await checkFile(file, dir, lock));
  const graphs: GraphCheck[] = [];
  for (const graph of entry.graphs) graphs.push(await checkGraph(graph, dir));
  const ok = files.every((f) => f.status === 'ok') && graphs.every((g) => g.status === 'ok');
  if (ok) {
    const next = lock ?? emptyLock(entry);
    for (const f of files) next.files[f.path] ??= { sha256: f.actualSha256 ?? '', bytes: f.bytes ?? 0, pulledAt: new Date().toISOString() };
    next.verifiedAt = new Date().toISOString();
    await writeLock(weightsDir, next);
  }
  return { id: entry.id, ok, files, graphs };
}

/**
 * The folder of an installed model, for the code that loads it. This is the run-time gate: it never
 * downloads, it checks that every file is there with its known size and otherwise says, in one message,
 * which command fixes it.
 */
export function requireModel(entryOrId: ModelEntry | string, manifest: Manifest, weightsDir: string): string {
  const entry = typeof entryOrId === 'string' ? findModel(manifest, entryOrId) : entryOrId;
  const dir = modelDir(weightsDir, entry.id);
  const lock = readLock(entry, weightsDir);
  const role = roleOf(entry.task);
  const pull = `npx brushtalk weights pull ${entry.id}`;
  const missing = entry.files.filter((f) => sizeOf(path.join(dir, f.path)) === null);
  if (missing.length > 0 && entry.producedBy) {
    const state = missing.length === entry.files.length ? 'is not installed' : `is only partly installed (${missing.length} of ${entry.files.length} files missing)`;
    throw new BrushtalkError('weights.missing', `The ${role} model ${entry.id} ${state}. ${exportInstructions(entry, dir)}`);
  }
  if (missing.length > 0) {
    const state = missing.length === entry.files.length ? 'is not installed' : `is only partly installed (${missing.length} of ${entry.files.length} files missing)`;
    throw new BrushtalkError('weights.missing', `The ${role} model ${entry.id} ${state}. Run: ${pull} (needs internet once; files go to ${dir})`);
  }
  const wrong = entry.files.find((f) => {
    const bytes = expectedFor(f, lock).bytes;
    return bytes !== null && sizeOf(path.join(dir, f.path)) !== bytes;
  });
  if (wrong) {
    throw new BrushtalkError('weights.corrupt', `The ${role} model ${entry.id} is damaged (${wrong.path} has the wrong size). Run: ${pull} to repair it (files are in ${dir})`);
  }
  return dir;
}
