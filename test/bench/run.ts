/**
 * `npm run bench [turn|masks|engine|queue|detect|brushnet|brushnet-split|startup|fill|memory] [--real] [--quick]`: speed tables for
 * the skeleton's hot paths, and (fill) hole-fill quality on real photos next to OpenCV. Timings are
 * wall-clock on this machine; compare runs on the same machine only.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { createSqliteJobQueue } from '../../db/job-queue.ts';
import { claimJob, completeJob } from '../../db/jobs.ts';
import { openDatabase } from '../../db/open.ts';
import { createJobRecords } from '../../db/job-records.ts';
import { createBullmqJobQueue } from '../../src/jobs/bullmq-queue.ts';
import type { JobQueue } from '../../src/jobs/queue.ts';
import { createRedisClients } from '../../src/jobs/redis.ts';
import { randomQueueName, redisAvailable, startRedis } from '../helpers/redis.ts';
import { createApp } from '../../src/app.ts';
import type { IncomingTurn } from '../../src/contracts.ts';
import { createClassicalEngine } from '../../src/engines/classical.ts';
import { fillHole } from '../../src/engines/fill-plan.ts';
import { loadOpenCvTelea } from '../../src/engines/opencv.ts';
import { blendImages } from '../../src/images/blend.ts';
import { ellipseMask, growMask, invertMask, moveMask, shrinkMask, unionMask, boxMask } from '../../src/images/mask-ops.ts';
import { backgroundMetrics } from '../../src/images/metrics.ts';
import { maskOverlay } from '../../src/images/preview.ts';
import { loadConfig } from '../../src/config.ts';
import { decodeImage, defaultDecodeLimits } from '../../src/images/codec.ts';
import { createDefaultVision } from '../../src/vision/models.ts';
import { silentLog, tempDataDir, testConfig } from '../helpers/env.ts';
import { brightSquarePicture, writeTinyVision } from '../helpers/tiny-vision.ts';
import { tinyBrushNetId, writeTinyBrushNet } from '../helpers/tiny-brushnet.ts';
import { createBrushNetEngine } from '../../src/engines/brushnet/engine.ts';
import { isBrushtalkError } from '../../src/errors.ts';
import { verifyProvider } from '../../src/onnx.ts';
import { pictureFile, testPicture } from '../helpers/images.ts';
import { recordingAdapter, recordingReply } from '../helpers/reply.ts';
import { ms, percentile, printTable, sample, time } from './stats.ts';
import { benchBrushnetSplit } from './brushnet-split.ts';
import { benchStartup } from './startup.ts';
import { benchFill } from './fill.ts';
import { benchMemory } from './memory.ts';
import { noopEngine } from '../helpers/fake-engine.ts';


async function benchTurns(): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const conversations of [1, 50]) {
    const temp = tempDataDir();
    const app = await createApp({ config: testConfig(temp.dir, { WORKER_POLL_MS: '10' }), log: silentLog, engine: noopEngine });
    app.attach(recordingAdapter('bench'));
    app.startWorker();
    const png = await pictureFile(512, 384);
    const refs = Array.from({ length: conversations }, (_, i) => ({ platform: 'bench', scope: 's', channelId: `c${i}` }));
    const turn = (i: number, text: string, extra: Partial<IncomingTurn> = {}): IncomingTurn => ({ ref: refs[i], messageId: randomUUID(), userId: 'u', text, images: [], ...extra });
    await Promise.all(refs.map((_, i) => app.core.handleTurn(turn(i, 'mask box 100,100,120,90', { images: [{ bytes: png }] }), recordingReply())));
    const rounds = conversations === 1 ? 40 : 4;
    const command: number[] = [];
    const edit: number[] = [];
    for (let round = 0; round < rounds; round++) {
      await Promise.all(refs.map(async (_, i) => command.push(await time(() => app.core.handleTurn(turn(i, `caption take ${round}`), recordingReply())))));
      await Promise.all(
        refs.map(async (ref, i) =>
          edit.push(
            await time(async () => {
              await app.core.handleTurn(turn(i, 'remove it'), recordingReply());
              await app.core.settled(ref);
            }),
          ),
        ),
      );
    }
    const results = app.database.sqlite.prepare("SELECT count(*) AS n FROM versions WHERE kind = 'result'").get() as { n: number };
    if (results.n !== edit.length) throw new Error(`expected ${edit.length} results, found ${results.n}`);
    rows.push([`${conversations} conversation${conversations > 1 ? 's' : ''}, command turn`, command.length, ms(percentile(command, 50)), ms(percentile(command, 99))]);
    rows.push([`${conversations} conversation${conversations > 1 ? 's' : ''}, edit → result (512×384)`, edit.length, ms(percentile(edit, 50)), ms(percentile(edit, 99))]);
    await app.close();
    temp.cleanup();
  }
  printTable('Turn overhead, no-op engine (ms)', ['case', 'n', 'p50', 'p99'], rows);
}

async function benchMasks(): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const side of [640, 1024]) {
    const image = testPicture(side, side);
    const hole = ellipseMask(side, side, { x: side / 4, y: side / 4, w: side / 2, h: side / 3 });
    const other = boxMask(side, side, { x: side / 3, y: side / 3, w: side / 3, h: side / 3 });
    const generated = testPicture(side, side);
    generated.data.reverse();
    const cases: [string, () => unknown][] = [
      ['mask grow 12', () => growMask(hole, 12)],
      ['mask shrink 12', () => shrinkMask(hole, 12)],
      ['mask invert', () => invertMask(hole)],
      ['mask union', () => unionMask(hole, other)],
      ['mask move 20,-10', () => moveMask(hole, 20, -10)],
      ['blend (feather + mix)', () => blendImages(image, generated, hole)],
      ['background metrics', () => backgroundMetrics(image, generated, hole)],
      ['mask overlay preview', () => maskOverlay(image, hole)],
    ];
    for (const [name, fn] of cases) {
      const samples = await sample(fn, 20);
      rows.push([`${name} @ ${side}²`, ms(percentile(samples, 50)), ms(percentile(samples, 99))]);
    }
  }
  printTable('Mask operations and blend (ms)', ['operation', 'p50', 'p99'], rows);
}

async function benchEngine(): Promise<void> {
  const image = testPicture(512, 512);
  // 15 % hole: an ellipse of area π·a·b = 0.15 · 512².
  const radius = Math.sqrt((0.15 * 512 * 512) / Math.PI);
  const hole = ellipseMask(512, 512, { x: 256 - radius, y: 256 - radius, w: 2 * radius, h: 2 * radius });
  const request = { image, hole, caption: '', seed: 0, steps: 1, guidance: 0, strength: 1 };
  const engine = createClassicalEngine();
  const telea = await loadOpenCvTelea();
  const direct = await sample(() => fillHole(image, hole, telea), 10);
  const worker = await sample(() => engine.inpaint(request, new AbortController().signal, () => {}), 10);
  await engine.close();
  printTable('Classical engine, 512² with a 15 % hole (ms)', ['path', 'p50', 'p99'], [
    ['fillHole on the main thread', ms(percentile(direct, 50)), ms(percentile(direct, 99))],
    ['engine.inpaint (worker thread, kept warm)', ms(percentile(worker, 50)), ms(percentile(worker, 99))],
  ]);
}

async function benchQueue(): Promise<void> {
  const temp = tempDataDir();
  const database = openDatabase(`${temp.dir}/bench.db`);
  const queue = createSqliteJobQueue(database.db, { leaseMs: 30_000, maxAttempts: 3, maxCrashes: 5, retryBaseMs: 1000, pollMs: 250, log: silentLog });
  const n = 2000;
  const enqueueMs = await time(async () => {
    for (let i = 0; i < n; i++) await queue.enqueue({ id: `j${i}`, kind: 'bench', conversationId: null, payload: { i }, ref: 'J-BENCH' });
  });
  const claimMs = await time(() => {
    for (let i = 0; i < n; i++) {
      const row = claimJob(database.db, 'w', 30_000)!;
      completeJob(database.db, row.id, 'w', {});
    }
  });
  database.close();
  temp.cleanup();
  printTable(`Embedded queue (SQLite WAL, ${n} jobs)`, ['step', 'jobs/s'], [
    ['enqueue', Math.round((n / enqueueMs) * 1000)],
    ['claim + complete', Math.round((n / claimMs) * 1000)],
    ['enqueue + claim + complete', Math.round((n / (enqueueMs + claimMs)) * 1000)],
  ]);
  await benchBackends();
}

/**
 * Both backends through the JobQueue contract with a no-op processor: jobs/s from enqueue to the 'done'
 * event, and how long a progress tick takes from the processor to a listener (the bot's side).
 */
async function throughput(queue: JobQueue, n: number, concurrency: number): Promise<{ jobsPerS: number; progress: number[] }> {
  const sentAt = new Map<string, number>();
  const progress: number[] = [];
  let done = 0;
  let finished: () => void = () => {};
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  queue.on((event) => {
    if (event.type === 'progress') progress.push(performance.now() - sentAt.get(event.job.id)!);
    if (event.type === 'done' && ++done === n) finished();
  });
  const worker = queue.run(
    async ({ job, progress: report }) => {
      sentAt.set(job.id, performance.now());
      report(0.5);
      return {};
    },
    { concurrency },
  );
  const start = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => queue.enqueue({ id: randomUUID(), kind: 'bench', conversationId: null, payload: { i }, ref: 'J-BENCH' })));
  await allDone;
  const elapsed = performance.now() - start;
  await worker.stop();
  return { jobsPerS: Math.round((n / elapsed) * 1000), progress };
}

async function benchBackends(): Promise<void> {
  const n = 1000;
  const rows: (string | number)[][] = [];
  const row = (name: string, r: { jobsPerS: number; progress: number[] }) =>
    rows.push([name, n, r.jobsPerS, ms(percentile(r.progress, 50)), ms(percentile(r.progress, 99))]);
  for (const concurrency of [1, 8]) {
    const temp = tempDataDir();
    const database = openDatabase(`${temp.dir}/bench.db`);
    const queue = createSqliteJobQueue(database.db, { leaseMs: 30_000, maxAttempts: 3, maxCrashes: 5, retryBaseMs: 1000, pollMs: 250, log: silentLog });
    row(`SQLite, in-process worker ×${concurrency}`, await throughput(queue, n, concurrency));
    await queue.close();
    database.close();
    temp.cleanup();
  }
  const configured = loadConfig().redis; // REDIS_URL: bench that Redis instead of a local throwaway one
  const redis = configured ? { url: configured.url, stop: async () => {} } : redisAvailable ? await startRedis() : null;
  if (!redis) console.log('\n(redis-server not on PATH and no REDIS_URL: BullMQ rows skipped)');
  for (const concurrency of redis ? [1, 8] : []) {
    const temp = tempDataDir();
    const database = openDatabase(`${temp.dir}/bench.db`);
    const clients = createRedisClients(redis!.url, silentLog);
    const queue = createBullmqJobQueue({ redis: clients, queueName: randomQueueName(), records: createJobRecords(database.db, 3), maxAttempts: 3, maxCrashes: 5, retryBaseMs: 1000, leaseMs: 30_000, log: silentLog });
    await queue.ready();
    row(`BullMQ (local Redis), worker ×${concurrency} on its own connections`, await throughput(queue, n, concurrency));
    await queue.close();
    await clients.close();
    database.close();
    temp.cleanup();
  }
  await redis?.stop();
  printTable('Queue backends, no-op processor: enqueue → done, and progress tick → listener (ms)', ['backend', 'jobs', 'jobs/s', 'progress p50', 'progress p99'], rows);
}

/**
 * Object finding per stage. With WEIGHTS_DIR set (real models pulled), it times those; otherwise the tiny
 * test models, which measures our own overhead (pre/post-processing, worker round trips, the cache).
 */
async function benchDetect(): Promise<void> {
  const temp = tempDataDir();
  const real = process.argv.includes('--real');
  const config = real ? loadConfig() : testConfig(temp.dir, writeTinyVision(`${temp.dir}/weights`));
  const vision = createDefaultVision(config, silentLog);
  const image = await decodeImage(await brightSquarePicture(640, 480, { x: 200, y: 150, w: 160, h: 120 }), defaultDecodeLimits);
  const stages = new Map<string, number[]>();
  const record = (timings: Record<string, number>) => {
    for (const [stage, value] of Object.entries(timings)) if (!stage.startsWith('embedding_') && !stage.startsWith('load')) (stages.get(stage) ?? stages.set(stage, []).get(stage)!).push(value);
  };
  await vision.detect(image, 'square'); // load the models once
  await vision.segment(image, 'warm', [{ x: 0, y: 0, w: 10, h: 10 }]);
  for (let i = 0; i < 15; i++) {
    const found = await vision.detect(image, 'square');
    record(Object.fromEntries(Object.entries(found.timings).map(([k, v]) => [k === 'total' ? 'detect round trip' : k, v])));
    const fresh = await vision.segment(image, `image-${i}`, [found.value[0].box]);
    record(Object.fromEntries(Object.entries(fresh.timings).map(([k, v]) => [k === 'total' ? 'segment round trip (new image)' : k, v])));
    const cached = await vision.segment(image, `image-${i}`, [found.value[0].box]);
    record({ 'segment round trip (cached embedding)': cached.timings.total });
  }
  await vision.close();
  temp.cleanup();
  const rows = [...stages].map(([stage, samples]) => [stage, ms(percentile(samples, 50)), ms(percentile(samples, 99))]);
  printTable(`Object finding per stage, 640×480, ${real ? `models ${config.models.detector} + ${config.models.segmenter}` : 'tiny test models (our overhead)'} (ms)`, ['stage', 'p50', 'p99'], rows);
}

/**
 * BrushNet per step: ms/step (one guided denoising step: run() + marshalling + guidance + scheduler), its parts,
 * the whole image and images per minute (batch 1, 512², text and VAE included).
 * With --real it uses BRUSHNET_MODEL under WEIGHTS_DIR on ONNX_PROVIDER; otherwise tiny graphs, which measure
 * our host overhead only.
 */
async function benchBrushnet(): Promise<void> {
  const temp = tempDataDir();
  const real = process.argv.includes('--real');
  const config = loadConfig();
  const weightsDir = real ? config.weightsDir : `${temp.dir}/weights`;
  const modelId = real ? config.brushnet.model : tinyBrushNetId;
  const provider = real ? config.brushnet.provider : 'cpu';
  if (!real) writeTinyBrushNet(weightsDir, modelId);
  // The same start-up check the server runs: a GPU provider proves it really runs, or this stops in words.
  const check = await verifyProvider(provider);
  const engine = createBrushNetEngine({ weightsDir, modelId, provider, scheduler: config.brushnet.scheduler });
  const image = testPicture(512, 512);
  const hole = ellipseMask(512, 512, { x: 150, y: 150, w: 200, h: 160 });
  const rows: (string | number)[][] = [];
  for (const steps of [25, 50]) {
    const perStep = { total: [] as number[], run: [] as number[], host: [] as number[], scheduler: [] as number[], guidance: [] as number[] };
    const totals: number[] = [];
    for (let i = 0; i < 4; i++) {
      const { info } = await engine.inpaint({ image, hole, caption: 'a wooden table', seed: i, steps, guidance: 7.5, strength: 1 }, new AbortController().signal, () => {});
      if (i === 0) continue; // warm-up
      const n = (key: string) => Number(info[key] ?? 0) / steps;
      perStep.run.push(n('unet_run_ms'));
      perStep.host.push(n('unet_host_ms'));
      perStep.scheduler.push(n('scheduler_ms'));
      perStep.guidance.push(n('guidance_ms'));
      perStep.total.push(n('unet_run_ms') + n('unet_host_ms') + n('scheduler_ms') + n('guidance_ms'));
      totals.push(Number(info.total_ms));
    }
    const median = (xs: number[]) => percentile(xs, 50);
    rows.push([
      `${steps} steps, 512², CFG`,
      ms(median(perStep.total)),
      ms(median(perStep.run)),
      ms(median(perStep.host)),
      ms(median(perStep.guidance)),
      ms(median(perStep.scheduler)),
      ms(median(totals)),
      (60_000 / median(totals)).toFixed(1),
    ]);
  }
  await engine.close();
  temp.cleanup();
  printTable(
    `BrushNet (${config.brushnet.scheduler}), ${real ? `${modelId} on ${provider} (start-up check: ${check.executionProvider} ran it, ${check.ms} ms)` : 'tiny graphs on cpu: host overhead only'} (ms)`,
    ['case', 'ms/step', 'run()/step', 'marshal/step', 'guidance/step', 'scheduler/step', 'image', 'images/min'],
    rows,
  );
}

const suites: Record<string, () => Promise<void>> = { turn: benchTurns, masks: benchMasks, engine: benchEngine, queue: benchQueue, detect: benchDetect, brushnet: benchBrushnet, 'brushnet-split': benchBrushnetSplit, startup: benchStartup, fill: benchFill, memory: benchMemory };
const chosen = process.argv.slice(2).filter((name) => name in suites);
console.log(`brushtalk benchmarks · node ${process.version} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`);
try {
  for (const name of chosen.length ? chosen : Object.keys(suites)) await suites[name]();
} catch (error) {
  // A missing model folder or an inactive GPU provider is a sentence for the person running the bench, not a stack.
  if (!isBrushtalkError(error)) throw error;
  console.error(`bench stopped (${error.code}): ${error.userMessage}`);
  process.exitCode = 1;
}
