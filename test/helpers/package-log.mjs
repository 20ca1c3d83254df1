/**
 * `node --import ./package-log.mjs …`: appends the name of every npm package the process imports to the file
 * named by PACKAGE_LOG, one a line, so a test can check what a command loads. Plain JavaScript: it is loaded
 * before the program registers tsx. ES imports are noted as they resolve (package-log-hooks.mjs); packages
 * loaded with require() (which those hooks do not see on Node 20) are noted at exit, from require's cache.
 */
import fs from 'node:fs';
import { createRequire, register } from 'node:module';

register('./package-log-hooks.mjs', import.meta.url);

const require = createRequire(import.meta.url);
process.on('exit', () => {
  if (!process.env.PACKAGE_LOG) return;
  const names = Object.keys(require.cache).map((file) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1]);
  const lines = [...new Set(names.filter(Boolean))].map((name) => `${name}\n`).join('');
  if (lines) fs.appendFileSync(process.env.PACKAGE_LOG, lines);
});
