/**
 * `npm run bench brushnet-split`: does a two-graph BrushNet (the text-free branch once at batch B, the UNet at
 * 2B) pay for its extra host copies? Cheap graphs with the REAL SD1.5 residual shapes at 512² (64² latent) on
 * the CPU provider, fp32: the graphs' compute is nothing like a GPU's, so read the run() columns as "allocate,
 * fill and hand over tensors of this size", and the bytes and host-duplication columns as the real cost.
 * The second table turns those into a per-step estimate for an H100 from the design's figures (§3.3).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSplitDenoiser, residualElements, type SplitDenoiser } from '../../src/engines/brushnet/split.ts';
import type { DenoiseInputs } from '../../src/engines/brushnet/pipeline.ts';
import { fusedDenoiser, guidedStepInputs, openSplitGraphs } from '../helpers/split-graphs.ts';
import { ms, percentile, printTable } from './stats.ts';

const H = 64;
const W = 64;
const WARMUP = 1;
const STEPS = Number(process.env.SPLIT_BENCH_STEPS ?? 6);
const MB = 1e6;

/** Design §3.3 (not measured here): H100, ORT CUDA fp16, SD1.5 UNet step at batch 2 ≈ 11 ms; BrushNet ≈ 0.55× its MACs. */
const UNET_MS_PER_2_ITEMS = 11;
const BRANCH_MAC_RATIO = 0.55;
/** Pageable host ↔ device copy rates to bracket PCIe Gen5 x16 (JS buffers are not pinned): assumptions, GB/s. */
const PCIE_GBPS = [12, 25] as const;
/** An optimistic host rate for the duplication (fresh buffers: allocate, first-touch, write twice), GB/s. */
const HOST_COPY_GBPS = 10;

interface Row {
  name: string;
  branchRun: number[];
  unetRun: number[];
  duplicate: number[];
  host: number[];
  total: number[];
  bytesOut: number;
  bytesIn: number;
}

const median = (xs: number[]) => (xs.length ? percentile(xs, 50) : 0);

async function measureSplit(name: string, split: SplitDenoiser, x: DenoiseInputs): Promise<Row> {
  const row: Row = { name, branchRun: [], unetRun: [], duplicate: [], host: [], total: [], bytesOut: 0, bytesIn: 0 };
  for (let i = 0; i < WARMUP + STEPS; i++) {
    const before = { ...split.stats };
    const start = performance.now();
    await split.denoise({ ...x, timestep: 900 - i });
    const total = performance.now() - start;
    if (i < WARMUP) continue;
    const s = split.stats;
    row.branchRun.push(s.branchRunMs - before.branchRunMs);
    row.unetRun.push(s.unetRunMs - before.unetRunMs);
    row.duplicate.push(s.duplicateMs - before.duplicateMs);
    row.host.push(s.hostMs - before.hostMs);
    row.total.push(total);
    row.bytesOut = s.residualBytesOut - before.residualBytesOut;
    row.bytesIn = s.residualBytesIn - before.residualBytesIn;
  }
  return row;
}

async function measureFused(name: string, fused: ReturnType<typeof fusedDenoiser>, x: DenoiseInputs): Promise<Row> {
  const row: Row = { name, branchRun: [], unetRun: [], duplicate: [], host: [], total: [], bytesOut: 0, bytesIn: 0 };
  for (let i = 0; i < WARMUP + STEPS; i++) {
    const before = { ...fused.stats };
    const start = performance.now();
    await fused.denoise({ ...x, timestep: 900 - i });
    const total = performance.now() - start;
    if (i < WARMUP) continue;
    row.unetRun.push(fused.stats.runMs - before.runMs);
    row.host.push(fused.stats.hostMs - before.hostMs);
    row.total.push(total);
  }
  return row;
}

export async function benchBrushnetSplit(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brushtalk-split-bench-'));
  const graphs = await openSplitGraphs(dir);
  const rows: (string | number)[][] = [];
  const gpu: (string | number)[][] = [];
  let dupBytes = 0;
  let dupMs = 0;
  try {
    for (const B of [1, 2]) {
      const x = guidedStepInputs(B, H, W, B);
      const results = [
        await measureFused(`B=${B}: fused, branch at 2B (current)`, fusedDenoiser(graphs.fused), x),
        await measureSplit(`B=${B}: split, host duplicates to 2B`, createSplitDenoiser(graphs.branch, graphs.unet), x),
        await measureSplit(`B=${B}: split, UNet tiles in-graph`, createSplitDenoiser(graphs.branch, graphs.unetTiling, { unetTilesResiduals: true }), x),
        await measureFused(`B=${B}: fused, branch at B in-graph`, fusedDenoiser(graphs.fusedHalfBranch, { condBatch: 'half' }), x),
      ];
      for (const r of results) {
        const crossing = r.bytesOut + r.bytesIn;
        if (r.duplicate.length && r.bytesIn > r.bytesOut) {
          dupBytes += r.bytesIn; // the duplicated arrays written
          dupMs += median(r.duplicate);
        }
        rows.push([
          r.name,
          r.branchRun.length ? ms(median(r.branchRun)) : '–',
          ms(median(r.unetRun)),
          r.duplicate.length ? ms(median(r.duplicate)) : '–',
          ms(median(r.host)),
          ms(median(r.total)),
          (r.bytesOut / MB).toFixed(1),
          (r.bytesIn / MB).toFixed(1),
          (crossing / 2 / MB).toFixed(1),
        ]);
      }
    }
  } finally {
    await graphs.release();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // B/s the host wrote while duplicating, over both batch sizes (fresh buffers: allocation and first touch included).
  const measuredHost = dupMs > 0 ? dupBytes / (dupMs / 1000) : HOST_COPY_GBPS * 1e9;
  for (const B of [1, 2]) {
    // Per-step H100 estimate for this B (design figures + bracketed copy rates; not measured on a GPU).
    const elems = residualElements(B, H, W);
    const saved = (BRANCH_MAC_RATIO * UNET_MS_PER_2_ITEMS * B) / 2;
    for (const [variant, outElems, inElems, dupElems] of [
      ['split, host duplicates', elems, 2 * elems, 2 * elems],
      ['split, UNet tiles in-graph', elems, elems, 0],
      ['fused, branch at B in-graph', 0, 0, 0],
    ] as const) {
      for (const bytes of [2, 4] as const) {
        const pcie = (outElems + inElems) * bytes;
        const pcieMs = PCIE_GBPS.map((g) => (pcie / (g * 1e9)) * 1000); // [slow, fast]
        const dupMsBest = ((dupElems * bytes) / (HOST_COPY_GBPS * 1e9)) * 1000;
        const dupMsHere = ((dupElems * bytes) / measuredHost) * 1000;
        const best = saved - pcieMs[1] - dupMsBest;
        const worst = saved - pcieMs[0] - dupMsHere;
        gpu.push([
          `B=${B}: ${variant}, ${bytes === 2 ? 'fp16' : 'fp32'} residual I/O`,
          (pcie / MB).toFixed(1),
          `${pcieMs[1].toFixed(1)} – ${pcieMs[0].toFixed(1)}`,
          `${dupMsBest.toFixed(1)} – ${dupMsHere.toFixed(1)}`,
          saved.toFixed(1),
          `${best >= 0 ? '+' : ''}${best.toFixed(1)} … ${worst >= 0 ? '+' : ''}${worst.toFixed(1)}`,
        ]);
      }
    }
  }
  printTable(
    `BrushNet fused vs two graphs, one guided step at 512² (64² latent), real residual shapes, cheap fp32 graphs on cpu, median of ${STEPS} (ms)`,
    ['case', 'branch run()', 'unet/fused run()', 'dup 2B (host)', 'other host', 'step', 'res MB out', 'res MB in', 'fp16 MB/step'],
    rows,
  );
  const gbps = dupMs > 0 ? dupBytes / (dupMs / 1000) / 1e9 : 0;
  console.log(`\nHost duplication measured here: ${gbps.toFixed(2)} GB/s written (${os.cpus().length} cores, shared).`);
  printTable(
    `Estimate per guided step on an H100, NOT measured (design: UNet at batch 2 ≈ ${UNET_MS_PER_2_ITEMS} ms, branch ≈ ${BRANCH_MAC_RATIO}× its MACs; ` +
      `PCIe ${PCIE_GBPS[1]}–${PCIE_GBPS[0]} GB/s pageable; host duplication ${HOST_COPY_GBPS} GB/s – the rate measured above)`,
    ['variant', 'PCIe MB/step', 'PCIe ms', 'host dup ms', 'branch ms saved', 'net ms/step best … worst'],
    gpu,
  );
}
