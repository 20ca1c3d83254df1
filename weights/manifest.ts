import fs from 'node:fs';
import * as z from 'zod';
import { BrushtalkError } from '../src/errors.ts';

/**
 * weights/manifest.json: every model brushtalk can use, where its files come from and what they must be.
 * A sha256 or byte count is only written down when it was read from a real source (see weights/README.md);
 * `null` means "not known in advance": `pull` records what it downloaded (trust on first use) and
 * `verify` checks against that record.
 */

// A path inside the model folder: relative, forward slashes, no way out of the folder.
const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.includes('\\') && p.split('/').every((part) => part !== '' && part !== '.' && part !== '..'), {
    message: 'must be a relative path inside the model folder (no "..", no leading "/")',
  });

const fileSchema = z.strictObject({
  path: relativePath,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits').nullable(),
  bytes: z.number().int().nonnegative().nullable(),
});

const graphSchema = z.strictObject({
  path: relativePath,
  /** Names the graph must take; a real graph missing one, or taking one not listed here or in optionalInputs, is a mismatch. */
  inputs: z.array(z.string().min(1)).min(1),
  /** Names some exports of the same model take and others do not (e.g. SAM's input_boxes). */
  optionalInputs: z.array(z.string().min(1)).default([]),
  /** Names the graph must produce; extra outputs are reported but harmless. */
  outputs: z.array(z.string().min(1)).min(1),
});

const entrySchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'must be lower-case letters, digits, "." and "-"'),
    task: z.enum(['zero-shot-object-detection', 'mask-generation', 'inpainting']),
    family: z.enum(['grounding-dino', 'owlv2', 'sam', 'brushnet']),
    description: z.string().min(1),
    source: z.strictObject({
      repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be "owner/name"'),
      /** A full commit hash where one is known (immutable), otherwise a branch name. */
      revision: z.string().min(1),
      baseUrl: z.url().optional(),
    }),
    license: z.string().min(1),
    /** Download size as the hub shows it, for `list` before the exact bytes are known. */
    sizeHint: z.string().optional(),
    files: z.array(fileSchema).min(1),
    graphs: z.array(graphSchema).min(1),
    /**
     * Set for a model that has no downloadable ONNX export: the files are made on a workstation by a script
     * (which also writes the lock file `verify` checks against). `pull` prints these instructions instead of
     * downloading; `source` then names the code repository and commit the export was made with.
     */
    producedBy: z
      .strictObject({
        /** The script, relative to the brushtalk checkout (e.g. weights/convert/export_brushnet.py). */
        script: z.string().min(1),
        /** Where the exact steps are written down (e.g. weights/convert/README.md). */
        instructions: z.string().min(1),
      })
      .optional(),
  })
  .superRefine((entry, ctx) => {
    const paths = new Set(entry.files.map((f) => f.path));
    if (paths.size !== entry.files.length) ctx.addIssue({ code: 'custom', message: 'lists a file twice', path: ['files'] });
    entry.graphs.forEach((g, i) => {
      if (!paths.has(g.path)) ctx.addIssue({ code: 'custom', message: `graph ${g.path} is not one of the files`, path: ['graphs', i, 'path'] });
    });
  });

const manifestSchema = z
  .strictObject({ version: z.literal(1), models: z.array(entrySchema).min(1) })
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.models.forEach((e, i) => {
      if (seen.has(e.id)) ctx.addIssue({ code: 'custom', message: `id ${e.id} appears twice`, path: ['models', i, 'id'] });
      seen.add(e.id);
    });
  });

export type Manifest = z.infer<typeof manifestSchema>;
export type ModelEntry = Manifest['models'][number];
export type ModelFile = ModelEntry['files'][number];
export type ModelGraph = ModelEntry['graphs'][number];
export type ModelTask = ModelEntry['task'];

/** Check a parsed manifest; `where` names it in the message. */
export function parseManifest(data: unknown, where = 'weights/manifest.json'): Manifest {
  const parsed = manifestSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const at = issue.path.length ? ` at ${issue.path.join('.')}` : '';
  throw new BrushtalkError('weights.manifest_invalid', `The model list ${where} is invalid${at}: ${issue.message}.`);
}

export function loadManifest(file: string): Manifest {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new BrushtalkError('weights.manifest_invalid', `Cannot read the model list ${file}.`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new BrushtalkError('weights.manifest_invalid', `The model list ${file} is not valid JSON.`, { cause: error });
  }
  return parseManifest(data, file);
}

/** The entry with this id, or an error that lists the ids there are. */
export function findModel(manifest: Manifest, id: string): ModelEntry {
  const entry = manifest.models.find((m) => m.id === id);
  if (entry) return entry;
  const known = manifest.models.map((m) => m.id).join(', ');
  throw new BrushtalkError('weights.unknown', `There is no model called "${id}". Known models: ${known}.`);
}

/**
 * For a model made by an export script (`producedBy`): the one message that says how to make it and where the
 * folder goes. `pull`, `verify` and the run-time gate all use it.
 */
export function exportInstructions(entry: ModelEntry, dir: string): string {
  const how = entry.producedBy;
  if (!how) throw new Error(`${entry.id} is downloadable; it has no export instructions`);
  return (
    `${entry.id} cannot be downloaded: no public ONNX export of it exists, so it is made on a workstation with ` +
    `${how.script} (steps in ${how.instructions}). Run the export there, copy its output folder to ${dir}, ` +
    `then run: npx brushtalk weights verify ${entry.id}`
  );
}

/** What the model is for, in the words a message uses ("the detector model …"). */
export function roleOf(task: ModelTask): string {
  if (task === 'zero-shot-object-detection') return 'detector';
  if (task === 'mask-generation') return 'segmenter';
  return 'inpainting';
}
