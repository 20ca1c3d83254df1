import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { evaluate, formatReport, objectMatches, readCases, runEvalCommand, tokenF1 } from '../../src/agent/eval.ts';
import { llmInstructor, offlineInstructor } from '../../src/agent/instructor.ts';
import { silentLog, tempDataDir } from '../helpers/env.ts';

const fixture = fileURLToPath(new URL('../fixtures/instructions.jsonl', import.meta.url));
const dev = fileURLToPath(new URL('../fixtures/instructions/dev.jsonl', import.meta.url));
const tune = fileURLToPath(new URL('../fixtures/instructions/tune.jsonl', import.meta.url));

describe('instruction eval', () => {
  it('scores objects by head noun and captions by token F1', () => {
    expect(objectMatches('the red car', 'car')).toBe(true);
    expect(objectMatches('cups', 'cup')).toBe(true);
    expect(objectMatches('car door', 'car')).toBe(true); // contains the expected head noun, as the metric is defined
    expect(objectMatches('door', 'car door')).toBe(true);
    expect(objectMatches('car', 'car door')).toBe(false); // the expected head noun is "door"
    expect(objectMatches(undefined, 'car')).toBe(false);
    expect(tokenF1('a red car on a street', 'a red car on a street')).toBe(1);
    expect(tokenF1('a dog', 'a dog on grass')).toBeCloseTo((2 * 1 * 0.5) / 1.5);
    expect(tokenF1('', 'a dog')).toBe(0);
  });

  it('the offline instructor stays above its floor on the labelled set (an independent set, not tuned to)', async () => {
    const cases = readCases(fixture);
    expect(cases.length).toBeGreaterThanOrEqual(200);
    const { report } = await evaluate(offlineInstructor, cases);
    // Floors a few points under the measured values (88.0 %, 78.0 %, 0.801 when written), so a regression fails CI.
    expect(report.typeAccuracy).toBeGreaterThanOrEqual(0.82);
    expect(report.objectMatch.matched / report.objectMatch.total).toBeGreaterThanOrEqual(0.72);
    expect(report.captionF1.mean).toBeGreaterThanOrEqual(0.74);
  });

  it('meets the issue-14 targets on the dev part of the public set, which the rules were never tuned on', async () => {
    const cases = readCases(dev);
    expect(cases.length).toBeGreaterThanOrEqual(250);
    expect(cases.length + readCases(tune).length).toBeGreaterThanOrEqual(1000);
    // The two parts share no instruction: the split is by a hash of the words.
    const tuned = new Set(readCases(tune).map((c) => c.instruction.toLowerCase()));
    expect(cases.filter((c) => tuned.has(c.instruction.toLowerCase()))).toEqual([]);
    const { report } = await evaluate(offlineInstructor, cases);
    // Measured when written: 95.9 % type, ≥ 94 % per type, 91.4 % objects, caption F1 0.935 vs 0.785 copying.
    expect(report.typeAccuracy).toBeGreaterThanOrEqual(0.9);
    for (const { correct, total } of Object.values(report.perType)) expect(correct / total).toBeGreaterThanOrEqual(0.8);
    expect(report.objectMatch.matched / report.objectMatch.total).toBeGreaterThanOrEqual(0.85);
    expect(report.captionF1.mean).toBeGreaterThanOrEqual(report.captionF1.baseline + 0.1);
    // Calibrated enough to act on: sure answers are right far more often than unsure ones.
    const [unsure, , , sure] = report.reliability;
    expect(sure.right / sure.total).toBeGreaterThanOrEqual(0.95);
    expect(unsure.total === 0 || unsure.right / unsure.total < sure.right / sure.total).toBe(true);
  });

  it('reports precision and recall per type, the copy baseline, confidence bands; --llm asks for the LLM instructor', async () => {
    const { report } = await evaluate(offlineInstructor, readCases(dev));
    const text = formatReport(report, 'offline');
    expect(text).toMatch(/caption token-F1\s+0\.\d{3} \(\d+ captions; copying the source caption: 0\.\d{3}\)/);
    expect(text).toMatch(/recall\s+precision\n\s+add(\s+\d+){5}\s+\d+\.\d%\s+\d+\.\d%/);
    expect(text).toMatch(/right by confidence\n\s+0\.00–0\.50/);
    const asked: boolean[] = [];
    const out: string[] = [];
    const scripted = { name: 'scripted', classify: async () => ({ type: 'global' as const, confidence: 0.9, object: null, selector: null, targetCaption: null }) };
    const code = await runEvalCommand(['instructions', dev, '--llm'], { instructor: async (llm) => (asked.push(llm), scripted), stdout: (t) => out.push(t), stderr: (t) => out.push(t) });
    expect(code).toBe(0);
    expect(asked).toEqual([true]);
    expect(out.join('\n')).toMatch(/instructor: scripted · \d+ instructions/);
  });

  it('--llm: lines the model failed on are counted and said, not passed off as its answers', async () => {
    // A model whose every call fails (a server gone mid-run): each line falls back to the offline parser.
    const failing = { withStructuredOutput: () => ({ invoke: async () => Promise.reject(new Error('503 from the model server')) }) };
    const cases = readCases(dev).slice(0, 12);
    const { report } = await evaluate(llmInstructor(failing as never, silentLog), cases);
    expect(report.fellBack).toBe(12);
    expect(formatReport(report, 'llm')).toContain('warning: the model failed on 12 of them and the offline parser answered those (scored as given)');
    const offline = await evaluate(offlineInstructor, cases);
    expect(offline.report.fellBack).toBe(0);
    expect(formatReport(offline.report, 'offline')).not.toContain('warning');
  });

  it('`brushtalk eval instructions` prints the table and writes predictions', async () => {
    const temp = tempDataDir();
    try {
      const out = path.join(temp.dir, 'preds.jsonl');
      const bin = fileURLToPath(new URL('../../adapters/cli/bin.js', import.meta.url));
      const plain = await promisify(execFile)(process.execPath, [bin, 'eval', 'instructions', fixture], { env: { ...process.env, DATA_DIR: temp.dir, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' } });
      expect(plain.stdout).toMatch(/type accuracy/);
      const { stdout } = await promisify(execFile)(process.execPath, [bin, 'eval', 'instructions', fixture, '--out', out], {
        env: { ...process.env, DATA_DIR: temp.dir, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' },
      });
      expect(stdout).toMatch(/instructor: offline · \d+ instructions/);
      expect(stdout).toMatch(/type accuracy\s+\d+\.\d%/);
      expect(stdout).toMatch(/confusion \(rows expected, columns predicted\)\n\s+add\s+remove\s+local\s+global\s+bg\s+recall/);
      const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(readCases(fixture).length);
      expect(lines[0]).toEqual({ id: expect.any(String), predicted: expect.objectContaining({ type: expect.stringMatching(/^(addition|removal|local|global|background)$/) }) });
    } finally {
      temp.cleanup();
    }
  }, 180_000);
});
