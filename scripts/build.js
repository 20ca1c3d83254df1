#!/usr/bin/env node
/**
 * `npm run build` (and `prepare`, so `npm install` / `npm ci` run it): compile the sources into dist/<fingerprint>/
 * (see compile.js). Nothing to do when that build exists already. `npm start` and `npx brushtalk` rebuild by
 * themselves when the sources changed, so running this by hand is never required.
 */
import fs from 'node:fs';
import path from 'node:path';
import { compile, stampName } from './compile.js';
import { fingerprint } from './fingerprint.js';

const root = path.resolve(import.meta.dirname, '..');
const fp = fingerprint(root);
const fresh = fs.existsSync(path.join(root, 'dist', fp, stampName));
const started = performance.now();
try {
  const dir = path.relative(process.cwd(), await compile(root, { fp })) || '.';
  if (fresh) console.log(`brushtalk build: ${dir}/ is up to date`);
  else console.log(`brushtalk build: compiled into ${dir}/ in ${((performance.now() - started) / 1000).toFixed(1)} s (source maps beside each file)`);
} catch (error) {
  console.error(`brushtalk build failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
