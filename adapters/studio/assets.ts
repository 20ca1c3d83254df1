import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * The front end: web/app.ts bundled by esbuild, plus index.html and style.css as written. The server builds
 * in memory at start-up (about 50 ms), so `npm start` works on a clean clone with nothing built or committed;
 * `npm run build:studio` writes the same files to a folder for anyone who wants them static.
 */

export const webDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'web');

export interface StudioAssets {
  'index.html': string;
  'app.js': string;
  'style.css': string;
}

export async function buildStudioAssets(): Promise<StudioAssets> {
  const result = await build({
    entryPoints: [path.join(webDir, 'app.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    write: false,
    minify: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const [js] = result.outputFiles;
  return {
    'index.html': await fs.readFile(path.join(webDir, 'index.html'), 'utf8'),
    'app.js': js.text,
    'style.css': await fs.readFile(path.join(webDir, 'style.css'), 'utf8'),
  };
}

export async function writeStudioAssets(outDir: string): Promise<string[]> {
  const assets = await buildStudioAssets();
  await fs.mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of Object.entries(assets)) {
    const file = path.join(outDir, name);
    await fs.writeFile(file, text);
    written.push(file);
  }
  return written;
}
