/**
 * `npm run bench memory`: peak resident memory of N parallel uploads of a 24-megapixel JPEG through the real
 * turn and their edits (no-op engine, in-process worker), with the pixel budget (DECODE_BUDGET_MEGAPIXELS,
 * default 48) and without it (1000). Each cell is a fresh process (memory-child.ts) reporting the kernel's
 * high-water mark, so one run does not inherit another's heap. Then (with redis-server on PATH) the Redis
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

/** A photo-like 6000×4000 JPEG: gradients with sensor-like noise, so its PNG is as large as a real photo's. */
async function bigJpeg(file: string): Promise<void> {
  const width = 6000;
  const height = 4000;
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

function measure(file: string, parallel: number, budget: number, mode: 'upload' | 'edit'): Promise<{ peakMb: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'memory-child.ts'), file, String(parallel), String(budget), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!)) : reject(new Error(`memory child failed (${code}): ${err}`))));
  });
}

export async function benchMemory(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-bench-memory-'));
  try {
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
  await benchRedisBytes();
}
