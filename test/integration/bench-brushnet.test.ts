/**
 * `npm run bench brushnet [-- --real]` is what a person with a GPU runs to report speed: it must print ms/step
 * and images/min in a table, and stop in words (not a stack) when the model or the provider is missing.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

function bench(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(path.join(root, 'node_modules/.bin/tsx'), ['test/bench/run.ts', ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: '', ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

describe('npm run bench brushnet', () => {
  it('prints ms/step and images/min for 25 and 50 guided steps (tiny graphs on cpu)', async () => {
    const { code, stdout } = await bench(['brushnet'], {});
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    const header = lines.find((line) => line.startsWith('| case'));
    expect(header?.split('|').map((cell) => cell.trim())).toEqual(['', 'case', 'ms/step', 'run()/step', 'marshal/step', 'guidance/step', 'scheduler/step', 'image', 'images/min', '']);
    for (const steps of [25, 50]) {
      const row = lines.find((line) => line.startsWith(`| ${steps} steps, 512², CFG`));
      const cells = row?.split('|').slice(2, -1).map((cell) => Number(cell.trim())) ?? [];
      expect(cells).toHaveLength(7);
      for (const value of cells) expect(value).toBeGreaterThan(0);
      // images/min is the whole image's median time turned around.
      expect(cells[6]).toBeCloseTo(60_000 / cells[5], -1);
    }
  }, 120_000);

  it('--real without the model stops in words with the pull command, exit 1, no stack', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-bench-'));
    try {
      const { code, stderr } = await bench(['brushnet', '--real'], { WEIGHTS_DIR: empty, ONNX_PROVIDER: 'cpu', BRUSHNET_MODEL: 'brushnet-sd15' });
      expect(code).toBe(1);
      expect(stderr).toContain('bench stopped (weights.missing)');
      expect(stderr).toContain('npx brushtalk weights pull brushnet-sd15');
      expect(stderr).not.toMatch(/^\s+at /m);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  }, 60_000);
});
