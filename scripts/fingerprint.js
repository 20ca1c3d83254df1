/**
 * The name of the sources as they are now: a hash over every file's path, size and modification time under the
 * source folders, the build's own inputs (its scripts, tsconfig.json, esbuild and the bundled packages), and where
 * the package is. An edit, a `git checkout` or `git pull` (which rewrite the files they change), a new or deleted
 * file, an `npm install` of a bundled package, or a moved checkout each give a new fingerprint, so a build made
 * from other sources is never mistaken for this one. It reads no file contents: ~200 `stat`s, a few
 * milliseconds, paid on every start.
 *
 * Plain JavaScript, no dependencies: the launcher runs it before deciding what to load.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The folders the build reads, relative to the package root: the code and the files it finds next to itself. */
export const sourceRoots = ['src', 'adapters', 'db', 'weights', 'tools'];
/** Packages the build bundles in rather than importing from node_modules at run time (see compile.js). */
export const inlinedPackages = ['zod', 'drizzle-orm'];
/** Changing how the build is made, or a bundled package (`npm install` rewrites its package.json), changes the build too. */
const buildInputs = ['scripts/compile.js', 'scripts/fingerprint.js', 'tsconfig.json', 'node_modules/esbuild/package.json', ...inlinedPackages.map((name) => `node_modules/${name}/package.json`)];

/** Every file under the source folders, relative to root, in a stable order. */
export function sourceFiles(root) {
  const files = [];
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === 'dist' || entry.name === '__pycache__') continue;
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) files.push(child);
    }
  };
  for (const dir of sourceRoots) if (fs.existsSync(path.join(root, dir))) walk(dir);
  return files.sort();
}

/** 16 hex digits naming the current sources (see the top of this file). */
export function fingerprint(root) {
  const hash = createHash('sha256');
  hash.update(`${path.resolve(root)}\n`); // a build refers to the sources by absolute path
  for (const file of [...buildInputs, ...sourceFiles(root)]) {
    const stat = fs.statSync(path.join(root, file), { throwIfNoEntry: false });
    hash.update(`${file}\0${stat ? `${stat.size}\0${stat.mtimeMs}` : '-'}\n`);
  }
  return hash.digest('hex').slice(0, 16);
}
