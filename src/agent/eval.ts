import fs from 'node:fs';
import * as z from 'zod';
import { BrushtalkError } from '../errors.ts';
import type { EditType } from './instruction.ts';
import type { Instructor } from './instructor.ts';

/**
 * `brushtalk eval instructions <file.jsonl> [--llm] [--out preds.jsonl]`: an instructor on a labelled set (the
 * offline one, or with --llm the LLM instructor on the configured OpenAI-compatible server). Type accuracy with
 * per-type precision and recall and a confusion matrix, object match (the prediction contains the expected head
 * noun), caption token-F1 where a target caption is expected next to the baseline that copies the source caption,
 * and how often the answers are right at each confidence (is the confidence calibrated?).
 */
const types: EditType[] = ['addition', 'removal', 'local', 'global', 'background'];

const lineSchema = z.object({
  id: z.string(),
  instruction: z.string(),
  source_caption: z.string().optional(),
  expected: z.object({ type: z.enum(types), object: z.string().optional(), target_caption: z.string().optional() }),
});
export type EvalCase = z.infer<typeof lineSchema>;

export interface Prediction {
  id: string;
  predicted: { type: EditType; object?: string; target_caption?: string };
}

export function readCases(file: string): EvalCase[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((line, i) => ({ line: line.trim(), number: i + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, number }) => {
      try {
        return lineSchema.parse(JSON.parse(line));
      } catch (error) {
        throw new BrushtalkError('command.bad_arguments', `${file}:${number} is not a valid eval line: ${(error as Error).message.split('\n')[0]}`);
      }
    });
}

const words = (text: string) => text.toLowerCase().match(/[a-z0-9']+/g) ?? [];

/** The expected phrase's head noun (its last word), found among the predicted phrase's words. */
export function objectMatches(predicted: string | undefined, expected: string): boolean {
  const head = words(expected).at(-1);
  if (!head || !predicted) return false;
  const said = words(predicted);
  // Accept simple plurals both ways ("cups" for "cup", "dog" for "dogs").
  return said.some((w) => w === head || w === `${head}s` || `${w}s` === head || w === `${head}es`);
}

/** Token-level F1 between two captions (bag of words, as SQuAD's F1). */
export function tokenF1(predicted: string | undefined, expected: string): number {
  const p = words(predicted ?? '');
  const e = words(expected);
  if (p.length === 0 || e.length === 0) return p.length === e.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const w of e) counts.set(w, (counts.get(w) ?? 0) + 1);
  let common = 0;
  for (const w of p) {
    const left = counts.get(w) ?? 0;
    if (left > 0) {
      common++;
      counts.set(w, left - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / p.length;
  const recall = common / e.length;
  return (2 * precision * recall) / (precision + recall);
}

export interface EvalReport {
  total: number;
  typeAccuracy: number;
  confusion: Record<EditType, Record<EditType, number>>;
  objectMatch: { matched: number; total: number };
  /** `baseline`: the same captions scored for a copy of the source caption (an instructor must beat it). */
  captionF1: { mean: number; total: number; baseline: number };
  /** Recall: `correct / total` of the lines labelled with the type; precision: `correct / predicted`. */
  perType: Record<EditType, { correct: number; total: number; predicted: number }>;
  /** Answers by confidence band: how many were given, and how many of them had the right type. */
  reliability: { from: number; to: number; right: number; total: number }[];
  /** Lines the LLM instructor did not answer (its model failed) and the offline parser did: scored as given. */
  fellBack: number;
}

const bands: [number, number][] = [[0, 0.5], [0.5, 0.7], [0.7, 0.85], [0.85, 1.01]];

export async function evaluate(instructor: Instructor, cases: EvalCase[]): Promise<{ report: EvalReport; predictions: Prediction[] }> {
  const confusion = Object.fromEntries(types.map((t) => [t, Object.fromEntries(types.map((u) => [u, 0]))])) as EvalReport['confusion'];
  const perType = Object.fromEntries(types.map((t) => [t, { correct: 0, total: 0, predicted: 0 }])) as EvalReport['perType'];
  const reliability = bands.map(([from, to]) => ({ from, to, right: 0, total: 0 }));
  let baselineSum = 0;
  const predictions: Prediction[] = [];
  let correct = 0;
  let objects = 0;
  let objectTotal = 0;
  let f1Sum = 0;
  let f1Total = 0;
  let fellBack = 0;
  for (const c of cases) {
    const r = await instructor.classify(c.instruction, c.source_caption ?? null);
    if (r.fellBack) fellBack++;
    const predicted: Prediction['predicted'] = { type: r.type };
    if (r.object) predicted.object = r.object;
    if (r.targetCaption) predicted.target_caption = r.targetCaption;
    predictions.push({ id: c.id, predicted });
    confusion[c.expected.type][r.type]++;
    perType[c.expected.type].total++;
    perType[r.type].predicted++;
    const band = reliability.find((b) => r.confidence >= b.from && r.confidence < b.to);
    if (band) band.total++;
    if (r.type === c.expected.type) {
      correct++;
      perType[c.expected.type].correct++;
      if (band) band.right++;
    }
    if (c.expected.object) {
      objectTotal++;
      if (objectMatches(r.object ?? undefined, c.expected.object)) objects++;
    }
    if (c.expected.target_caption) {
      f1Total++;
      f1Sum += tokenF1(r.targetCaption ?? undefined, c.expected.target_caption);
      baselineSum += tokenF1(c.source_caption, c.expected.target_caption);
    }
  }
  const report: EvalReport = {
    total: cases.length,
    typeAccuracy: cases.length ? correct / cases.length : 0,
    confusion,
    objectMatch: { matched: objects, total: objectTotal },
    captionF1: { mean: f1Total ? f1Sum / f1Total : 0, total: f1Total, baseline: f1Total ? baselineSum / f1Total : 0 },
    perType,
    reliability,
    fellBack,
  };
  return { report, predictions };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function formatReport(report: EvalReport, instructorName: string): string {
  const short: Record<EditType, string> = { addition: 'add', removal: 'remove', local: 'local', global: 'global', background: 'bg' };
  const pad = (s: string, n: number) => s.padStart(n);
  const lines = [
    `instructor: ${instructorName} · ${report.total} instructions`,
    ...(report.fellBack > 0 ? [`warning: the model failed on ${report.fellBack} of them and the offline parser answered those (scored as given)`] : []),
    '',
    `type accuracy     ${pct(report.typeAccuracy)}`,
    `object match      ${pct(report.objectMatch.total ? report.objectMatch.matched / report.objectMatch.total : 0)} (${report.objectMatch.matched}/${report.objectMatch.total})`,
    `caption token-F1  ${report.captionF1.mean.toFixed(3)} (${report.captionF1.total} captions; copying the source caption: ${report.captionF1.baseline.toFixed(3)})`,
    '',
    `confusion (rows expected, columns predicted)`,
    `${pad('', 10)}${types.map((t) => pad(short[t], 8)).join('')}${pad('recall', 9)}${pad('precision', 11)}`,
    ...types.map((t) => {
      const row = report.confusion[t];
      const { correct, total, predicted } = report.perType[t];
      return `${pad(short[t], 10)}${types.map((u) => pad(String(row[u]), 8)).join('')}${pad(total ? pct(correct / total) : '-', 9)}${pad(predicted ? pct(correct / predicted) : '-', 11)}`;
    }),
    '',
    'right by confidence',
    ...report.reliability.map(({ from, to, right, total }) => `  ${from.toFixed(2)}–${Math.min(to, 1).toFixed(2)}  ${total ? `${pct(right / total)} (${right}/${total})` : '-'}`),
  ];
  return lines.join('\n');
}

export const evalUsage = 'usage: brushtalk eval instructions <file.jsonl> [--llm] [--out preds.jsonl]';

/**
 * The command: `eval instructions <file.jsonl> [--llm] [--out preds.jsonl]`; returns the exit code. `instructor`
 * is asked for the instructor to score: the LLM one with --llm, else the offline one.
 */
export async function runEvalCommand(
  args: string[],
  options: { instructor: (llm: boolean) => Promise<Instructor>; stdout: (text: string) => void; stderr: (text: string) => void },
): Promise<number> {
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? args[outAt + 1] : undefined;
  const llm = args.includes('--llm');
  const positional = (outAt < 0 ? args : args.filter((_, i) => i !== outAt && i !== outAt + 1)).filter((a) => a !== '--llm');
  if (positional[0] !== 'instructions' || !positional[1] || (outAt >= 0 && !out)) {
    options.stderr(evalUsage);
    return 2;
  }
  const cases = readCases(positional[1]);
  const instructor = await options.instructor(llm);
  const { report, predictions } = await evaluate(instructor, cases);
  if (out) fs.writeFileSync(out, predictions.map((p) => JSON.stringify(p)).join('\n') + '\n');
  options.stdout(formatReport(report, instructor.name));
  if (out) options.stdout(`\npredictions: ${out}`);
  return 0;
}
