import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changesAroundBox, pictureFile, readRgb, testPicture } from '../helpers/images.ts';
import { tempDataDir } from '../helpers/env.ts';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../adapters/cli/bin.js', import.meta.url));
const packageLog = fileURLToPath(new URL('../helpers/package-log.mjs', import.meta.url));
let temp: { dir: string; cleanup(): void };

/** Run `brushtalk …` as a user would (`npx brushtalk` runs this same file), in a fresh working directory. */
async function brushtalk(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: temp.dir, env: { ...process.env, DATA_DIR: path.join(temp.dir, 'data'), LOG_LEVEL: '' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The npm packages `brushtalk …` imports, with no Redis, chat token or LLM configured (see helpers/package-log.mjs). */
async function packagesLoaded(...args: string[]): Promise<string[]> {
  const log = path.join(temp.dir, 'packages.log');
  fs.rmSync(log, { force: true });
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: path.join(temp.dir, 'data'), PACKAGE_LOG: log };
  for (const name of ['REDIS_URL', 'DISCORD_TOKEN', 'SLACK_BOT_TOKEN', 'OPENAI_API_KEY', 'OPENAI_BASE_URL']) delete env[name];
  await run(process.execPath, ['--import', packageLog, bin, ...args], { cwd: temp.dir, env });
  return [...new Set(fs.readFileSync(log, 'utf8').split('\n').filter(Boolean))];
}

beforeAll(async () => {
  temp = tempDataDir();
  fs.writeFileSync(path.join(temp.dir, 'photo.png'), await pictureFile(160, 120));
  fs.writeFileSync(path.join(temp.dir, 'notes.png'), 'these are not pixels');
});
afterAll(() => temp.cleanup());

describe('the command line, end to end', () => {
  it('edits a photo with a box, keeps pixels outside the feathered mask, and continues the session across invocations', async () => {
    const edit = await brushtalk('edit', 'photo.png', 'remove the square', '--box', '50,40,40,30', '--session', 'kitchen', '--out', 'out.png');
    expect(edit.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack traces
    expect(edit.code).toBe(0);
    expect(edit.stdout).toMatch(/Got the picture \(160×120, png\)/);
    expect(edit.stdout).toMatch(/Editing with classical\b/);
    const resultPath = /^result: (.+)$/m.exec(edit.stdout)?.[1];
    expect(resultPath && fs.existsSync(resultPath)).toBe(true);
    expect(fs.existsSync(/^mask preview: (.+)$/m.exec(edit.stdout)?.[1] ?? '')).toBe(true);
    expect(fs.existsSync(/^before\/after: (.+)$/m.exec(edit.stdout)?.[1] ?? '')).toBe(true);
    expect(edit.stdout).toMatch(/v2 · classical \(exemplar fill\) · background PSNR ([\d.]+|∞) dB, SSIM [01]\.\d{4}/);

    const output = await readRgb(path.join(temp.dir, 'out.png'));
    expect([output.width, output.height]).toEqual([160, 120]);
    const { changedOutside, changedInside } = changesAroundBox(output, testPicture(160, 120), { x: 50, y: 40, w: 40, h: 30 });
    expect(changedOutside, 'pixels outside the feathered mask changed').toEqual([]);
    expect(changedInside).toBeGreaterThan(40 * 30 * 0.5);

    const history = await brushtalk('history', '--session', 'kitchen');
    expect(history.code).toBe(0);
    const lines = history.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^ {2}v1 source: new picture · 160×120 · mask 6\.3%/);
    expect(lines[1]).toMatch(/^→ v2 result: remove the square · 160×120 · mask 6\.3% · classical \(exemplar fill\) · background PSNR/);
    // The prompts the engine was given: nothing known of what remains, and the removed thing to steer away from.
    expect(lines[2]).toBe('    prompt (none) · negative "square, ugly, low quality"');

    // After an edit a change to its mask redoes it from the photo it started from: v3, a sibling of v2.
    const grown = await brushtalk('edit', 'mask grow 5', '--session', 'kitchen');
    expect(grown.stdout).toMatch(/^Mask updated: v2 with mask grow 5 · mask 10\.4% for the next edit\.\nEditing with classical/);
    expect(grown.stdout).toMatch(/result: .*v3\.png/);
    const undo = await brushtalk('undo', '--session', 'kitchen');
    expect(undo.stdout).toMatch(/Undone\. Now at v2 result/);
    expect((await brushtalk('history', '--session', 'kitchen')).stdout).toMatch(/→ v2 result[\s\S]*\n {2}v3 result: remove the square · 160×120 · mask 10\.4% .* \(from v1\)\n/);
    const other = await brushtalk('history', '--session', 'garden');
    expect(other.stdout).toMatch(/No versions yet/);
  }, 180_000);

  it('loads only what the command uses: help and history import no chat platform, queue, language model or model runtime', async () => {
    const optional = ['discord.js', '@slack/bolt', 'bullmq', 'ioredis', 'langchain', '@langchain/core', '@langchain/openai', 'onnxruntime-node', '@huggingface/transformers'];
    const help = await packagesLoaded('help');
    expect(help).toContain('zod'); // the configuration is read: the log works
    expect(help).not.toContain('better-sqlite3'); // help opens no database
    const history = await packagesLoaded('history', '--session', 'loads');
    expect(history).toContain('better-sqlite3');
    for (const loaded of [help, history]) expect(loaded.filter((name) => optional.includes(name))).toEqual([]);
  }, 60_000);

  it('explains bad input and exits non-zero without a stack trace', async () => {
    const missing = await brushtalk('edit', 'nope.png', 'remove it', '--box', '1,1,5,5');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the image "nope\.png": ENOENT/);
    const notImage = await brushtalk('edit', 'notes.png', 'remove it', '--box', '1,1,5,5', '--session', 'bad');
    expect(notImage.code).toBe(1);
    expect(notImage.stdout).toMatch(/^error: .*\(ref T-[0-9A-Z]{6}\)$/m);
    const badBox = await brushtalk('edit', 'photo.png', 'x', '--box', '1,2,3');
    expect(badBox.code).toBe(2);
    expect(badBox.stderr).toMatch(/--box takes x,y,w,h/);
    const unknown = await brushtalk('paint');
    expect(unknown.code).toBe(2);
    for (const r of [missing, notImage, badBox, unknown]) expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  }, 180_000);
});
