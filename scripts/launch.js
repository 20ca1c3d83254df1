/**
 * What `npx brushtalk …` and `npm start` run (through adapters/cli/bin.js): the compiled build for the sources as
 * they are now, dist/<fingerprint>/src/main.js, with source maps on so stack traces name the .ts lines.
 *
 * - The build is made by `npm install`/`npm ci` (the `prepare` script) and by `npm run build`.
 * - When the sources changed since (an edit, a `git pull`), the fingerprint names no build yet: it is built first
 *   (esbuild, well under a second), so old code never runs; a terminal gets one line saying so.
 * - When it cannot be built (a read-only checkout, esbuild missing) the sources run through tsx, with one line on
 *   stderr saying why; BRUSHTALK_FROM_SOURCE=1 asks for tsx on purpose (debugging, the start-up bench).
 *
 * Plain JavaScript: it runs before anything is compiled, without tsx.
 */
import fs from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fingerprint } from './fingerprint.js';

const root = path.resolve(import.meta.dirname, '..');

/** The compiled entry for the current sources, built first if needed; null to run the sources instead. */
async function compiledEntry() {
  if (process.env.BRUSHTALK_FROM_SOURCE === '1') return null;
  const fp = fingerprint(root);
  const entry = path.join(root, 'dist', fp, 'src', 'main.js');
  if (fs.existsSync(path.join(root, 'dist', fp, 'build.json'))) return entry;
  const started = performance.now();
  try {
    const { compile } = await import('./compile.js');
    await compile(root, { fp });
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    process.stderr.write(`brushtalk: running the TypeScript sources through tsx (slower start): dist/ could not be built: ${reason}\n`);
    return null;
  }
  if (process.stderr.isTTY) {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stderr.write(`brushtalk: the sources changed since the last build; compiled them into dist/${fp}/ (${seconds} s)\n`);
  }
  return entry;
}

export async function launch() {
  const entry = await compiledEntry();
  if (entry) {
    process.setSourceMapsEnabled(true);
    // Node >= 22.1 keeps V8's compiled code between runs (Node 20 has no such cache).
    module.enableCompileCache?.(path.join(root, 'dist', '.compile-cache'));
    await import(pathToFileURL(entry).href);
    return;
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
