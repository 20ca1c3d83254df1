/**
 * `npm run bench fill [--quick]`: hole-fill quality on real photos (issue 12), per mask kind and engine
 * method, next to OpenCV 4.x Telea (`cv2.inpaint(img, mask, 3, INPAINT_TELEA)`) run in the same session.
 *
 * Photos: the public corpus (test/helpers/photo-corpus.ts) at 512×512 from Debian's python3-skimage; without
 * it, the committed 320×320 copies of three of them. Masks: seeded thin / medium / box masks and hand-drawn
 * object outlines (test/helpers/fill-masks.ts); 6 random masks per kind per photo (2 with --quick) and every
 * object outline (1 per photo with --quick). Metrics: test/helpers/fill-quality.ts. Times are each method's fill
 * alone: OpenCV's timed inside Python, brushtalk's `info.fill_ms` from inside its worker thread (warm).
 *
 * Side-by-side strips (original | mask | OpenCV Telea | brushtalk auto) for the first two masks of each
 * photo and kind go to data/bench/fill/ (ignored by git).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClassicalEngine } from '../../src/engines/classical.ts';
import type { FillMethod } from '../../src/engines/fill-plan.ts';
import type { InpaintEngine } from '../../src/engines/engine.ts';
import { encodeMaskPng, encodePng } from '../../src/images/codec.ts';
import { beforeAfter, maskOverlay } from '../../src/images/preview.ts';
import type { RgbImage } from '../../src/images/raster.ts';
import { holeCase, maskCount, maskKinds, type HoleCase } from '../helpers/fill-masks.ts';
import { fillQuality, type FillQuality } from '../helpers/fill-quality.ts';
import { readRgb } from '../helpers/images.ts';
import { BENCH_SIDE, COMMITTED_SIDE, committedPhotos, corpus, loadCommitted, loadOriginal, skimageAvailable, SKIMAGE_DATA } from '../helpers/photo-corpus.ts';
import { ms, percentile, printTable } from './stats.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const outDir = path.join(root, 'data/bench/fill');
const python = '/usr/bin/python3'; // Debian's, where python3-opencv lives (not a pyenv python3 on PATH)
const referenceScript = path.join(root, 'test/bench/opencv_telea.py');
const STRIPS_PER_KIND = 2;

const methods: FillMethod[] = ['telea', 'exemplar', 'auto'];

interface Fill {
  image: RgbImage;
  ms: number;
  method: string;
}

interface Case extends HoleCase {
  original: RgbImage;
  fills: Map<string, Fill>;
}

export async function benchFill(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const perKind = quick ? 2 : 6;
  const full = skimageAvailable();
  if (!full) console.log(`\n(skimage photos not found in ${SKIMAGE_DATA}: using the committed ${COMMITTED_SIDE}² copies of three photos; apt-get install python3-skimage for the full corpus)`);
  const photos = full ? corpus : committedPhotos;
  const side = full ? BENCH_SIDE : COMMITTED_SIDE;
  const cases: Case[] = [];
  for (const photo of photos) {
    const original = full ? await loadOriginal(photo, side) : await loadCommitted(photo);
    for (const kind of maskKinds) {
      const count = maskCount(photo, kind, kind === 'object' && quick ? 1 : perKind);
      for (let i = 0; i < count; i++) cases.push({ ...holeCase(photo, kind, i, side), original, fills: new Map() });
    }
  }
  console.log(`\nFill quality: ${photos.length} photos at ${side}², ${cases.length} masks${quick ? ' (--quick)' : ''}`);

  const reference = await runOpenCv(cases);
  for (const method of methods) await runEngine(cases, method);

  const engines = [...(reference ? ['opencv-telea'] : []), ...methods.map((m) => `brushtalk ${m}`)];
  for (const kind of maskKinds) {
    const ofKind = cases.filter((c) => c.kind === kind);
    const holeShare = ofKind.reduce((sum, c) => sum + c.hole.data.reduce((n, v) => n + v, 0), 0) / (ofKind.length * side * side);
    const rows = engines.map((engine) => {
      const fills = ofKind.map((c) => c.fills.get(engine)!);
      return row(engine, ofKind.map((c, i) => fillQuality(c.original, fills[i].image, c.hole)), fills.map((f) => f.ms), [...new Set(fills.map((f) => f.method))].join(', '));
    });
    rows.push(row('the photo itself (ideal)', ofKind.map((c) => fillQuality(c.original, c.original, c.hole)), [], ''));
    printTable(
      `${kind} holes: ${ofKind.length} masks, mean ${(holeShare * 100).toFixed(1)} % of the picture`,
      ['engine', 'PSNR dB', 'SSIM', 'texture', 'artifact %', 'worst artifact %', 'artifact px', 'kept changed', 'median ms', 'method(s) run'],
      rows,
    );
  }
  console.log('\nPSNR, SSIM, texture, artifact %: means over the masks; artifact px: the total over all masks; kept changed: the most over any one mask. "The photo itself"');
  console.log('scores what the masks hid: real content has texture ≈ 1, and its artifact % is how often real content is more');
  console.log('saturated than the ring (an object being removed often is; a fill should not be).');
  await writeStrips(cases, reference);
  if (full && !quick) await benchFillSizes();
}

/**
 * Pictures are filled at their own size up to the classical engine's limit (a 12-megapixel phone photo is
 * filled at 2048×1536), so time the object removals at larger sizes too.
 */
async function benchFillSizes(): Promise<void> {
  const engine = createClassicalEngine();
  const signal = new AbortController().signal;
  const rows: (string | number)[][] = [];
  try {
    for (const side of [512, 1024, 1536]) {
      const times: number[] = [];
      for (const photo of corpus) {
        const original = await loadOriginal(photo, side);
        const hole = holeCase(photo, 'object', 0, side).hole;
        const request = { image: original, hole, caption: '', seed: 0, steps: 1, guidance: 0, strength: 1 };
        if (times.length === 0) await engine.inpaint(request, signal, () => {});
        times.push(Number((await engine.inpaint(request, signal, () => {})).info.fill_ms));
      }
      rows.push([`${side}×${side}`, corpus.length, ms(percentile(times, 50)), ms(Math.max(...times))]);
    }
  } finally {
    await engine.close();
  }
  printTable('Object removal (auto fill) by picture size, fill time in the worker thread', ['picture', 'photos', 'median ms', 'max ms'], rows);
}

function row(engine: string, scores: FillQuality[], times: number[], method: string): (string | number)[] {
  const mean = (f: (q: FillQuality) => number) => scores.reduce((sum, q) => sum + f(q), 0) / scores.length;
  const finite = scores.every((q) => Number.isFinite(q.psnr));
  return [
    engine,
    finite ? mean((q) => q.psnr).toFixed(2) : '∞',
    mean((q) => q.ssim).toFixed(3),
    mean((q) => q.texture).toFixed(2),
    (mean((q) => q.artifactFraction) * 100).toFixed(2),
    (Math.max(...scores.map((q) => q.artifactFraction)) * 100).toFixed(2),
    scores.reduce((sum, q) => sum + q.artifactPixels, 0),
    Math.max(...scores.map((q) => q.keptChanged)),
    times.length ? ms(percentile(times, 50)) : '',
    method,
  ];
}

/** OpenCV Telea in one Python process for all cases; false (and a line saying why) when cv2 is missing. */
async function runOpenCv(cases: Case[]): Promise<boolean> {
  const probe = spawnSync(python, [referenceScript, '--version'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.log(`\n(no OpenCV reference: ${python} cannot import cv2 — apt-get install python3-opencv — so the opencv-telea rows are absent)`);
    return false;
  }
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-fill-'));
  try {
    const written = new Map<RgbImage, string>();
    const jobs = [];
    for (const [n, c] of cases.entries()) {
      let image = written.get(c.original);
      if (!image) {
        image = path.join(temp, `${c.photo.name}.png`);
        fs.writeFileSync(image, await encodePng(c.original));
        written.set(c.original, image);
      }
      const mask = path.join(temp, `mask-${n}.png`);
      fs.writeFileSync(mask, await encodeMaskPng(c.hole));
      jobs.push({ image, mask, out: path.join(temp, `out-${n}.png`) });
    }
    fs.writeFileSync(path.join(temp, 'jobs.json'), JSON.stringify(jobs));
    const run = spawnSync(python, [referenceScript, path.join(temp, 'jobs.json')], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (run.status !== 0) throw new Error(`opencv_telea.py failed (${run.status}): ${run.stderr}`);
    const { opencv, ms: times } = JSON.parse(run.stdout) as { opencv: string; ms: number[] };
    console.log(`Reference: OpenCV ${opencv} cv2.inpaint(radius 3, INPAINT_TELEA) via ${python}`);
    for (const [n, c] of cases.entries()) c.fills.set('opencv-telea', { image: await readRgb(jobs[n].out), ms: times[n], method: 'telea (OpenCV)' });
    return true;
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

async function runEngine(cases: Case[], method: FillMethod): Promise<void> {
  const engine: InpaintEngine = createClassicalEngine({ method });
  const signal = new AbortController().signal;
  const request = (c: Case) => ({ image: c.original, hole: c.hole, caption: '', seed: 0, steps: 1, guidance: 0, strength: 1 });
  try {
    await engine.inpaint(request(cases[0]), signal, () => {}); // warm the worker thread and its JIT
    for (const c of cases) {
      const { image, info } = await engine.inpaint(request(c), signal, () => {});
      c.fills.set(`brushtalk ${method}`, { image, ms: Number(info.fill_ms), method: String(info.method) });
    }
  } finally {
    await engine.close();
  }
}

async function writeStrips(cases: Case[], reference: boolean): Promise<void> {
  fs.mkdirSync(outDir, { recursive: true });
  let count = 0;
  for (const c of cases) {
    if (c.kind !== 'object' && c.index >= STRIPS_PER_KIND) continue;
    const left = beforeAfter(c.original, maskOverlay(c.original, c.hole));
    const auto = c.fills.get('brushtalk auto')!.image;
    const right = reference ? beforeAfter(c.fills.get('opencv-telea')!.image, auto) : auto;
    fs.writeFileSync(path.join(outDir, `${c.photo.name}-${c.kind}-${c.index}.png`), await encodePng(beforeAfter(left, right)));
    count++;
  }
  const panels = reference ? 'original | mask | OpenCV Telea | brushtalk auto' : 'original | mask | brushtalk auto';
  console.log(`\n${count} side-by-side strips (${panels}) in ${path.relative(process.cwd(), outDir) || outDir}/`);
}
