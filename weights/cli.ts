import { exitCodeFor, isBrushtalkError } from '../src/errors.ts';
import { exportInstructions, findModel, loadManifest, type ModelEntry } from './manifest.ts';
import { listModels, modelDir, pullModel, verifyModel, type ModelStatus, type VerifyResult } from './manager.ts';

/**
 * `npx brushtalk weights list|pull|verify`. Plain aligned tables on stdout, progress and errors on stderr,
 * and an exit code: 0 all good, 1 something failed (a download, a hash, a graph), 2 a usage mistake; an error
 * thrown on the way gets its code from src/errors.ts's exitCodeFor, like every other command.
 */

export interface WeightsCommandOptions {
  manifestPath: string;
  weightsDir: string;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  fetch?: typeof fetch;
}

const USAGE = `Usage:
  npx brushtalk weights list                 models in the manifest, their size, licence and state
  npx brushtalk weights pull <id…> | --all   download (needs internet; resumes; checks sha256); for a model
                                             made by an export script, prints how to make it
  npx brushtalk weights verify [id…]         check hashes and load every graph (default: installed models)
`;

/** Columns padded to the widest cell; the last column is left ragged. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)));
  return rows.map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]))).join('  ').trimEnd()).join('\n') + '\n';
}

/** Words wrapped to `width` columns, every line starting with `indent`. */
export function wrap(text: string, width: number, indent = ''): string {
  const lines: string[] = [];
  let current = indent;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (current.trim() && current.length + 1 + word.length > width) {
      lines.push(current);
      current = indent;
    }
    current += current.trim() ? ` ${word}` : word;
  }
  if (current.trim()) lines.push(current);
  return lines.join('\n') + '\n';
}

/** The widest line `weights list` prints: it fits a 100-column terminal. */
export const listWidth = 100;

export function formatBytes(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

function sizeText(status: ModelStatus): string {
  if (status.totalBytes !== null) return formatBytes(status.totalBytes);
  return status.sizeHint ?? 'unknown';
}

function stateText(status: ModelStatus): string {
  if (status.verified) return 'verified';
  if (status.installed) return 'installed (run verify)';
  if (status.filesPresent > 0) return `partial (${status.filesPresent}/${status.filesTotal} files)`;
  return 'not installed';
}

/** One row per model (id, task, size, state), then its hashes and licence wrapped under it: 100 columns at most. */
function listCommand(options: WeightsCommandOptions): number {
  const manifest = loadManifest(options.manifestPath);
  const statuses = listModels(manifest, options.weightsDir);
  const rows = table([['id', 'task', 'size', 'state'], ...statuses.map((s) => [s.id, s.task, sizeText(s), stateText(s)])]).split('\n');
  options.stdout.write(`${rows[0]}\n`);
  statuses.forEach((s, i) => {
    const unknown = s.filesTotal - s.pinned - s.recorded;
    const hashes = [`${s.pinned} pinned`, `${s.recorded} recorded`, ...(unknown ? [`${unknown} on first pull`] : [])].join(', ');
    options.stdout.write(`${rows[i + 1]}\n${wrap(`sha256: ${hashes} · license: ${s.license}`, listWidth, '    ')}`);
  });
  const note = `Files go to ${options.weightsDir}/<id>/. "pinned": sha256 from weights/manifest.json; "recorded": sha256 noted by pull (trust on first use).`;
  options.stdout.write(`\n${wrap(note, listWidth)}`);
  return 0;
}

async function pullCommand(ids: string[], options: WeightsCommandOptions): Promise<number> {
  const manifest = loadManifest(options.manifestPath);
  const all = ids.includes('--all');
  if (!all && ids.length === 0) {
    options.stderr.write(`Say which models to pull, or --all.\n${USAGE}`);
    return 2;
  }
  const entries: ModelEntry[] = all ? manifest.models : ids.map((id) => findModel(manifest, id));
  let failed = 0;
  const statuses = new Map(listModels(manifest, options.weightsDir).map((s) => [s.id, s]));
  for (const entry of entries) {
    if (entry.producedBy) {
      // Nothing to download: say how the files are made. Asked for by name and not there yet, that is a failure;
      // under --all it is only a note, so the downloadable models still make the exit code.
      const dir = modelDir(options.weightsDir, entry.id);
      if (statuses.get(entry.id)?.installed) {
        options.stdout.write(`${entry.id}: made by ${entry.producedBy.script}, already in ${dir} (nothing to download; run: npx brushtalk weights verify ${entry.id})\n`);
      } else {
        options.stderr.write(`${entry.id}: ${exportInstructions(entry, dir)}\n`);
        if (!all) failed++;
      }
      continue;
    }
    let shown = -1;
    try {
      const result = await pullModel(entry, options.weightsDir, {
        fetch: options.fetch,
        log: (line) => options.stderr.write(`${line}\n`),
        onProgress: ({ path, received, total }) => {
          // Every 10 % is enough for a terminal and for a log file alike.
          const step = total ? Math.floor((received / total) * 10) : -1;
          if (step > shown && step < 10) options.stderr.write(`${entry.id}: ${path} ${step * 10}% of ${formatBytes(total ?? 0)}\n`);
          shown = Math.max(shown, step);
        },
      });
      const fetched = result.files.filter((f) => f.action !== 'skipped').length;
      options.stdout.write(`${entry.id}: ready in ${result.dir} (${fetched} downloaded, ${result.files.length - fetched} already there)\n`);
    } catch (error) {
      failed++;
      options.stderr.write(`${entry.id}: ${isBrushtalkError(error) ? error.userMessage : String(error)}\n`);
    }
  }
  return failed ? 1 : 0;
}

function describeGraph(g: VerifyResult['graphs'][number]): string {
  if (g.status === 'missing') return 'file missing';
  if (g.status === 'unloadable') return `does not load: ${g.error}`;
  const problems = [
    ...g.missingInputs.map((n) => `missing input ${n}`),
    ...g.unexpectedInputs.map((n) => `unexpected input ${n}`),
    ...g.missingOutputs.map((n) => `missing output ${n}`),
  ];
  return problems.length ? `MISMATCH with manifest: ${problems.join(', ')}` : 'ok';
}

function printVerify(result: VerifyResult, out: WeightsCommandOptions['stdout']): void {
  out.write(`${result.id}: ${result.ok ? 'ok' : 'FAILED'}\n`);
  const fileRows = [['  file', 'size', 'sha256', 'checked against', 'status']];
  for (const f of result.files) {
    const source = f.hashSource === 'pinned' ? 'manifest' : f.hashSource === 'recorded' ? 'lock (first pull)' : 'nothing';
    fileRows.push([`  ${f.path}`, f.bytes === null ? '-' : formatBytes(f.bytes), f.actualSha256 ? `${f.actualSha256.slice(0, 16)}…` : '-', source, f.status]);
  }
  out.write(table(fileRows));
  const graphRows = [['  graph', 'inputs', 'outputs', 'status']];
  for (const g of result.graphs) graphRows.push([`  ${g.path}`, g.inputs.join(', ') || '-', g.outputs.join(', ') || '-', describeGraph(g)]);
  out.write(table(graphRows));
}

async function verifyCommand(ids: string[], options: WeightsCommandOptions): Promise<number> {
  const manifest = loadManifest(options.manifestPath);
  const statuses = listModels(manifest, options.weightsDir);
  const entries = ids.length ? ids.map((id) => findModel(manifest, id)) : manifest.models.filter((_, i) => statuses[i].filesPresent > 0);
  if (entries.length === 0) {
    options.stdout.write(`No models are installed in ${options.weightsDir}. Run: npx brushtalk weights pull <id> (see: npx brushtalk weights list)\n`);
    return 0;
  }
  let failed = 0;
  for (const entry of entries) {
    const result = await verifyModel(entry, options.weightsDir);
    printVerify(result, options.stdout);
    if (!result.ok) {
      failed++;
      const damaged = result.files.some((f) => f.status !== 'ok');
      const hint = !damaged
        ? 'The graph does not match weights/manifest.json: check the export or the manifest.'
        : entry.producedBy
          ? exportInstructions(entry, modelDir(options.weightsDir, entry.id))
          : `Run: npx brushtalk weights pull ${entry.id} to download missing or damaged files.`;
      options.stderr.write(`${entry.id}: ${hint}\n`);
    }
  }
  return failed ? 1 : 0;
}

/** Run `weights <args…>`; resolves to the process exit code. */
export async function runWeightsCommand(args: string[], options: WeightsCommandOptions): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === 'list') return listCommand(options);
    if (command === 'pull') return await pullCommand(rest, options);
    if (command === 'verify') return await verifyCommand(rest, options);
    if (command === undefined || command === 'help' || command === '--help') {
      options.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    }
    options.stderr.write(`Unknown weights command "${command}".\n${USAGE}`);
    return 2;
  } catch (error) {
    if (!isBrushtalkError(error)) throw error;
    options.stderr.write(`${error.userMessage}\n`);
    return exitCodeFor(error.code);
  }
}
