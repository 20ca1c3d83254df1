/**
 * The compiled build: the service as JavaScript in dist/<fingerprint>/, made by esbuild (what tsx runs on, so the
 * code is what `tsx src/main.ts` would execute).
 *
 * - Entry points: src/main.ts and every worker_threads entry (found as `spawnTsWorker(new URL('./x.ts',
 *   import.meta.url), …)` in the sources), written to the same paths as .js: dist/<fp>/src/main.js,
 *   dist/<fp>/src/engines/classical-worker.js, …
 * - Bundled with code splitting: what a command imports lazily (`await import('./app.ts')`, the studio, a chat
 *   platform) stays a separate chunk loaded when it runs, so `help` still loads no database and `history` no chat
 *   platform. Start-up is mostly per-file module loading, so fewer, larger files are what makes it fast.
 * - Packages stay in node_modules, imported at run time, except `inlinedPackages` (fingerprint.js): pure-ESM
 *   packages of a hundred small modules each on every command's path, with no native code and no files found next
 *   to themselves (zod keeps its registry on globalThis, so LangChain's own copy reads our schemas alike).
 * - `import.meta.url` (and .dirname/.filename) in our code means the .ts file it was written in, so files found
 *   next to the code (db/migrations, weights/manifest.json, the studio's web/ folder) are read from the sources.
 * - A linked source map per file; the launcher turns source maps on, so stack traces name the .ts lines.
 *
 * The fingerprint (fingerprint.js) names the sources. A build is written to a temporary folder and renamed into
 * place in one step, so no process sees half a build, two processes building at once both end on a complete
 * one, and a running service keeps its own build while a newer one appears next to it.
 *
 * Plain JavaScript on purpose: it runs before anything is compiled, without tsx.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { fingerprint, inlinedPackages, sourceFiles, sourceRoots } from './fingerprint.js';

/** Where the builds live, relative to the package root (gitignored). */
export const distDir = 'dist';
/** Written last into a finished build: its presence is what makes a build usable. */
export const stampName = 'build.json';
/** Builds kept besides the newest (a long-running service may still load lazily from its own). */
const keep = 3;

const packageOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** The worker_threads entries: each `spawnTsWorker(new URL('./x.ts', import.meta.url)` call names one. */
export function workerEntries(root, files) {
  const entries = [];
  for (const file of files.filter((f) => f.endsWith('.ts'))) {
    for (const line of fs.readFileSync(path.join(root, file), 'utf8').split('\n')) {
      if (/^\s*(\*|\/\/)/.test(line)) continue; // the doc comment that shows the pattern
      for (const match of line.matchAll(/spawnTsWorker\(\s*new URL\(\s*'([^']+\.ts)'\s*,\s*import\.meta\.url\s*\)/g)) {
        const entry = path.join(path.dirname(file), match[1]);
        if (!files.includes(entry)) throw new Error(`${file} starts a worker from ${match[1]}, which does not exist`);
        entries.push(entry);
      }
    }
  }
  return [...new Set(entries)].sort();
}

/** Packages external except `inlinedPackages`; `import.meta.*` in our sources pinned to the .ts file's own location. */
function sourcesPlugin(root) {
  return {
    name: 'brushtalk-sources',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => (inlinedPackages.includes(packageOf(args.path)) ? undefined : { path: args.path, external: true }));
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (path.relative(root, args.path).split(path.sep).includes('node_modules')) return undefined;
        const source = fs.readFileSync(args.path, 'utf8');
        const meta = { url: pathToFileURL(args.path).href, dirname: path.dirname(args.path), filename: args.path };
        return { contents: source.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_, key) => JSON.stringify(meta[key])), loader: 'ts' };
      });
    },
  };
}

/**
 * Build the sources as they are now into dist/<fingerprint>/ and return that folder. If a complete build with
 * this fingerprint exists already (another process was quicker), it is returned as it is.
 */
export async function compile(root, { fp = fingerprint(root) } = {}) {
  const dist = path.join(root, distDir);
  const target = path.join(dist, fp);
  if (fs.existsSync(path.join(target, stampName))) return target;
  const started = performance.now();
  fs.mkdirSync(dist, { recursive: true });
  const temp = fs.mkdtempSync(path.join(dist, `.tmp-${fp}-`));
  try {
    const entries = ['src/main.ts', ...workerEntries(root, sourceFiles(root))];
    const result = await build({
      absWorkingDir: root,
      entryPoints: entries,
      outdir: temp,
      outbase: '.',
      entryNames: '[dir]/[name]',
      chunkNames: 'chunks/[name]-[hash]',
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20.19',
      // Where the worker entries are: spawnTsWorker (src/workers/ts-worker.ts) starts them from here.
      define: { BRUSHTALK_BUILD: JSON.stringify({ root, dir: target }) },
      plugins: [sourcesPlugin(root)],
      sourcemap: 'linked',
      sourcesContent: false, // the maps point at the .ts files in the repository
      logLevel: 'silent',
      metafile: true,
    });
    // Code from outside the fingerprinted folders would not trigger a rebuild when it changes.
    for (const input of Object.keys(result.metafile.inputs)) {
      if (input.startsWith('<') || input.split('/').includes('node_modules')) continue;
      if (!sourceRoots.some((dir) => input.startsWith(`${dir}/`))) throw new Error(`${input} is compiled in, but outside ${sourceRoots.join(', ')}`);
    }
    // esbuild's stand-in for require() in ES modules throws when it runs: refuse an inlined package that needs it.
    for (const file of Object.keys(result.metafile.outputs)) {
      if (file.endsWith('.js') && fs.readFileSync(path.join(root, file), 'utf8').includes('Dynamic require of')) throw new Error(`${file} calls require() inside the bundle`);
    }
    const stamp = { fingerprint: fp, builtAt: new Date().toISOString(), entries, ms: Math.round(performance.now() - started) };
    fs.writeFileSync(path.join(temp, stampName), JSON.stringify(stamp, null, 2) + '\n');
    fs.chmodSync(temp, 0o755);
    try {
      fs.renameSync(temp, target);
    } catch (error) {
      // Another process put the same build in place first: use that one.
      if (!fs.existsSync(path.join(target, stampName))) throw error;
      fs.rmSync(temp, { recursive: true, force: true });
    }
  } catch (error) {
    fs.rmSync(temp, { recursive: true, force: true });
    throw error;
  }
  prune(dist, fp);
  return target;
}

/** Remove all but the newest builds, and temporary folders left by a build that died (older than ten minutes). */
function prune(dist, current) {
  const builds = [];
  for (const name of fs.readdirSync(dist)) {
    const dir = path.join(dist, name);
    if (name.startsWith('.tmp-')) {
      if (Date.now() - fs.statSync(dir).mtimeMs > 10 * 60_000) fs.rmSync(dir, { recursive: true, force: true });
      continue;
    }
    const stamp = path.join(dir, stampName);
    if (name !== current && fs.existsSync(stamp)) builds.push({ dir, at: fs.statSync(stamp).mtimeMs });
  }
  builds.sort((a, b) => b.at - a.at);
  for (const old of builds.slice(keep)) fs.rmSync(old.dir, { recursive: true, force: true });
}
