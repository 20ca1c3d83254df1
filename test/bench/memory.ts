/**
 * `npm run bench memory`: peak resident memory of N parallel uploads of a 24-megapixel JPEG through the real
 * turn and their edits (no-op engine, in-process worker), with the pixel budget (DECODE_BUDGET_MEGAPIXELS,
 * default 48) and without it (1000). Each cell is a fresh process (memory-child.ts) reporting the kernel's
 * high-water mark, so one run does not inherit another's heap. First, one upload and edit of the largest picture
 * accepted by default (40 megapixels) with the real classical engine (`-- --largest`: only that). Then (with redis-server on PATH) the Redis
 * bytes an edit leaves behind on the BullMQ queue, for a small and a 1600×1200 picture (redis-bytes.ts).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { benchRedisBytes } from './redis-bytes.ts';
import { printTable } from './stats.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A photo-like JPEG (6000×4000 unless told): gradients with sensor-like noise, so its PNG is as large as a real photo's. */
async function bigJpeg(file: string, width = 6000, height = 4000): Promise<void> {
  const data = Buffer.alloc(width * height * 3);
  let seed = 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      seed = (seed * 1664525 + 1013904223) >>> 0;
      const noise = (seed >>> 27) - 16;
      data[i] = Math.max(0, Math.min(255, ((x * 255) / width + noise) | 0));
      data[i + 1] = Math.max(0, Math.min(255, ((y * 255) / height - noise) | 0));
      data[i + 2] = 100 + noise;
    }
  }
  fs.writeFileSync(file, await sharp(data, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
}

function measure(file: string, parallel: number, budget: number, mode: 'upload' | 'edit', engine: 'no-op' | 'classical' = 'no-op', box?: string): Promise<{ peakMb: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'memory-child.ts'), file, String(parallel), String(budget), mode, engine, ...(box ? [box] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!)) : reject(new Error(`memory child failed (${code}): ${err}`))));
  });
}

/**
 * The largest picture accepted by default (MAX_INPUT_MEGAPIXELS 40: 7744×5164), uploaded and edited alone by the
 * real classical engine: what one picture costs, which no budget can divide.
 */
async function benchLargest(dir: string): Promise<void> {
  const file = path.join(dir, '40mp.jpg');
  await bigJpeg(file, 7744, 5164);
  const rows: (string | number)[][] = [];
  const cases: [string, 'upload' | 'edit', string | undefined][] = [
    ['1 × 40 MP upload', 'upload', undefined],
    ['1 × 40 MP upload, then its edit (classical engine, 400×300 hole)', 'edit', undefined],
    ['1 × 40 MP upload, then its edit (classical engine, 7300×4700 hole: 86 % of it)', 'edit', '200,200,7300,4700'],
  ];
  for (const [what, mode, box] of cases) {
    const on = await measure(file, 1, 48, mode, 'classical', box);
    rows.push([what, on.peakMb, (on.ms / 1000).toFixed(1)]);
  }
  printTable(
    `Peak RSS of one process: one 7744×5164 JPEG (${(fs.statSync(file).size / 2 ** 20).toFixed(1)} MB), the largest picture accepted by default`,
    ['load', 'DECODE_BUDGET_MEGAPIXELS=48: peak MB', 's'],
    rows,
  );
}

/** `npm run bench memory [-- --largest]`: every table, or only the 40-megapixel one. */
export async function benchMemory(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-bench-memory-'));
  try {
    await benchLargest(dir);
    if (process.argv.includes('--largest')) return;
    const file = path.join(dir, '24mp.jpg');
    await bigJpeg(file);
    const rows: (string | number)[][] = [];
    const cases: [number, 'upload' | 'edit'][] = [[1, 'upload'], [4, 'upload'], [8, 'upload'], [1, 'edit'], [2, 'edit'], [4, 'edit']];
    for (const [parallel, mode] of cases) {
      const off = await measure(file, parallel, 1000, mode);
      const on = await measure(file, parallel, 48, mode);
      const what = mode === 'upload' ? 'uploads' : 'uploads, then their edits';
      rows.push([`${parallel} × 24 MP ${what}`, off.peakMb, (off.ms / 1000).toFixed(1), on.peakMb, (on.ms / 1000).toFixed(1)]);
    }
    printTable(
      `Peak RSS of one process: parallel uploads of a 6000×4000 JPEG (${(fs.statSync(file).size / 2 ** 20).toFixed(1)} MB) through the turn, and their edits (no-op engine, worker slots = uploads)`,
      ['load', 'no budget: peak MB', 's', 'DECODE_BUDGET_MEGAPIXELS=48: peak MB', 's'],
      rows,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (!process.argv.includes('--largest')) await benchRedisBytes();
}
