/**
 * The compiled build (scripts/compile.js, scripts/launch.js), on a copy of the package whose node_modules has no
 * tsx: `brushtalk` runs from dist/ (workers included), a changed source is compiled before it runs (never the old
 * code), stack traces name the .ts lines, and when no build can be made it runs the sources through tsx and says so.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pictureFile } from '../helpers/images.ts';
import { lastUserText, startOpenAIStub, toolResultsSinceUser, type ChatRequest } from '../helpers/openai-stub.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const packageLog = fileURLToPath(new URL('../helpers/package-log.mjs', import.meta.url));
let copy: string;
let work: string;

function brushtalk(args: string[], options: { env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, DATA_DIR: path.join(work, 'data'), LOG_LEVEL: '', BRUSHTALK_FROM_SOURCE: '', ...options.env };
  return new Promise((resolve) => {
    execFile(process.execPath, [...(options.nodeArgs ?? []), path.join(copy, 'adapters/cli/bin.js'), ...args], { cwd: work, env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const builds = () => fs.readdirSync(path.join(copy, 'dist')).filter((name) => fs.existsSync(path.join(copy, 'dist', name, 'build.json')));
const usageFile = () => path.join(copy, 'adapters/cli/usage.ts');

beforeAll(async () => {
  copy = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-build-'));
  const skip = new Set(['dist', 'node_modules', '__pycache__']);
  for (const dir of ['src', 'adapters', 'db', 'weights', 'tools', 'scripts']) {
    fs.cpSync(path.join(root, dir), path.join(copy, dir), { recursive: true, filter: (from) => !skip.has(path.basename(from)) });
  }
  for (const file of ['package.json', 'tsconfig.json']) fs.copyFileSync(path.join(root, file), path.join(copy, file));
  // Every installed package but tsx: what runs must not need it.
  const modules = fs.realpathSync(path.join(root, 'node_modules'));
  fs.mkdirSync(path.join(copy, 'node_modules'));
  for (const name of fs.readdirSync(modules)) {
    if (name !== 'tsx' && name !== '.bin') fs.symlinkSync(path.join(modules, name), path.join(copy, 'node_modules', name));
  }
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-build-work-'));
  fs.writeFileSync(path.join(work, 'photo.png'), await pictureFile(96, 64));
});
afterAll(() => {
  for (const dir of [copy, work]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the compiled build', () => {
  it('is made on first use and runs every command without tsx, worker threads included', async () => {
    const help = await brushtalk(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^brushtalk — edit pictures by saying what to change\n/);
    expect(help.stderr).toBe(''); // piped: the build on first use says nothing
    expect(builds()).toHaveLength(1);
    const stamp = JSON.parse(fs.readFileSync(path.join(copy, 'dist', builds()[0], 'build.json'), 'utf8'));
    expect(stamp.entries).toEqual(expect.arrayContaining(['src/main.ts', 'src/engines/classical-worker.ts', 'src/vision/vision-worker.ts']));

    const edit = await brushtalk(['edit', 'photo.png', 'remove the square', '--box', '20,20,30,20', '--session', 'b']);
    expect(edit.stderr).not.toMatch(/tsx|Cannot find/);
    expect(edit.code).toBe(0);
    expect(edit.stdout).toMatch(/v2 · classical \(exemplar fill\)/); // rendered in the compiled worker thread
    const history = await brushtalk(['history', '--session', 'b']);
    expect(history.stdout).toMatch(/→ v2 result: remove the square/);

    // Nothing of the build's tooling loads once it is built.
    const log = path.join(work, 'packages.log');
    await brushtalk(['history', '--session', 'b'], { nodeArgs: ['--import', packageLog], env: { PACKAGE_LOG: log } });
    const loaded = new Set(fs.readFileSync(log, 'utf8').split('\n').filter(Boolean));
    expect(loaded).toContain('better-sqlite3');
    for (const tool of ['tsx', 'esbuild']) expect(loaded).not.toContain(tool);
    expect(builds()).toHaveLength(1);
  }, 120_000);

  it('runs the language-model agent: the tool schemas (zod, bundled) reach LangChain (from node_modules) and parse its calls', async () => {
    const plan = [
      { name: 'edit_mask', args: { action: 'grow', amount: 4 } },
      { name: 'run_edit', args: { instruction: 'remove the square' } },
    ];
    const stub = await startOpenAIStub((request: ChatRequest) => {
      if (request.response_format || request.tools?.some((t) => t.function.name === 'edit_instruction')) {
        const json = JSON.stringify({ type: 'removal', confidence: 0.97, object: 'square', target_caption: null });
        return request.response_format ? { content: json } : { toolCalls: [{ name: 'edit_instruction', args: JSON.parse(json) }] };
      }
      const done = toolResultsSinceUser(request).length;
      return done < plan.length ? { toolCalls: [plan[done]] } : { content: `Done: ${lastUserText(request)}.` };
    });
    try {
      const env = { OPENAI_BASE_URL: stub.baseURL, OPENAI_API_KEY: 'sk-test', LLM_MODEL: 'stub', LLM_VISION: 'false' };
      const edit = await brushtalk(['edit', 'photo.png', 'remove the square', '--box', '20,20,30,20', '--session', 'agent'], { env });
      expect(edit.code, edit.stderr).toBe(0);
      expect(edit.stdout).toMatch(/Done: remove the square\./);
      const agentCall = stub.requests.find((r) => r.tools?.some((t) => t.function.name === 'run_edit'))!;
      type Described = { name: string; parameters?: { properties: Record<string, unknown> } };
      const parameters = (name: string) => (agentCall.tools!.find((t) => t.function.name === name)!.function as Described).parameters!;
      expect(Object.keys(parameters('edit_mask').properties)).toEqual(expect.arrayContaining(['action', 'amount', 'box']));
      expect(parameters('run_edit').properties.instruction).toMatchObject({ type: 'string', minLength: 1 });
      const history = await brushtalk(['history', '--session', 'agent'], { env });
      expect(history.stdout).toMatch(/result: remove the square/);
      // edit_mask's arguments, parsed by the bundled schema, grew the mask before the edit.
      const [source, result] = [...history.stdout.matchAll(/mask ([\d.]+)%/g)].map((m) => Number(m[1]));
      expect(result).toBeGreaterThan(source);
    } finally {
      await stub.close();
    }
  }, 120_000);

  it('compiles a changed source before running it, so old code never runs', async () => {
    const original = fs.readFileSync(usageFile(), 'utf8');
    fs.writeFileSync(usageFile(), original.replace('edit pictures by saying what to change', 'edit pictures, as changed a moment ago'));
    try {
      const help = await brushtalk(['help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^brushtalk — edit pictures, as changed a moment ago\n/);
      expect(builds()).toHaveLength(2);
    } finally {
      fs.writeFileSync(usageFile(), original);
    }
    // Back to the old text, with a new modification time: built again, not mistaken for the first build.
    expect((await brushtalk(['help'])).stdout).toMatch(/^brushtalk — edit pictures by saying what to change\n/);
    expect(builds()).toHaveLength(3);
  }, 120_000);

  it('names the TypeScript file and line in a stack trace', async () => {
    const original = fs.readFileSync(usageFile(), 'utf8');
    fs.writeFileSync(usageFile(), `${original}\nthrow new Error('thrown while loading usage.ts');\n`);
    try {
      const failed = await brushtalk(['help']);
      expect(failed.code).not.toBe(0);
      const line = original.split('\n').length + 1;
      expect(failed.stderr).toContain('thrown while loading usage.ts');
      expect(failed.stderr).toMatch(new RegExp(`adapters/cli/usage\\.ts:${line}:\\d+`));
    } finally {
      fs.writeFileSync(usageFile(), original);
    }
  }, 120_000);

  it('runs the sources through tsx, and says why, when no build can be made', async () => {
    fs.symlinkSync(path.join(fs.realpathSync(path.join(root, 'node_modules')), 'tsx'), path.join(copy, 'node_modules', 'tsx'));
    fs.rmSync(path.join(copy, 'dist'), { recursive: true, force: true });
    fs.writeFileSync(path.join(copy, 'dist'), 'not a folder');
    const help = await brushtalk(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^brushtalk — edit pictures by saying what to change\n/);
    expect(help.stderr).toMatch(/^brushtalk: running the TypeScript sources through tsx \(slower start\): dist\/ could not be built: .+\n$/);
    fs.rmSync(path.join(copy, 'dist'));
    // On purpose: BRUSHTALK_FROM_SOURCE=1 runs the sources, builds nothing and says nothing.
    const fromSource = await brushtalk(['help'], { env: { BRUSHTALK_FROM_SOURCE: '1' } });
    expect(fromSource.code).toBe(0);
    expect(fromSource.stderr).toBe('');
    expect(fs.existsSync(path.join(copy, 'dist'))).toBe(false);
  }, 120_000);
});
