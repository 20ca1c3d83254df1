/**
 * One measurement for `npm run bench memory`, in a fresh process so its peak RSS is its own:
 * `node --import tsx memory-child.ts <jpeg> <parallel> <budgetMegapixels> upload|edit [no-op|classical] [x,y,w,h]`. Sends
 * <parallel> uploads of the picture through the real turn (decode, PNG, blob store, mask); with `edit`, their edits
 * run too, on an in-process worker with as many slots, by the no-op engine (default) or the real classical one, the
 * hole a box (default 400×300 at 1000,1000). Prints {"peakMb", "ms"}: the kernel's high-water mark (VmHWM), not a sample.
 */
import fs from 'node:fs';
import { createApp } from '../../src/app.ts';
import { createClassicalEngine } from '../../src/engines/classical.ts';
import { silentLog, tempDataDir, testConfig } from '../helpers/env.ts';
import type { ReplyChannel } from '../../src/contracts.ts';
import { noopEngine } from '../helpers/fake-engine.ts';

const [file, parallel, budget, mode, engineName = 'no-op', boxArg = '1000,1000,400,300'] = process.argv.slice(2);
const [bx, by, bw, bh] = boxArg.split(',').map(Number);
const n = Number(parallel);
const engine = engineName === 'classical' ? createClassicalEngine() : noopEngine;
const temp = tempDataDir();
// A production lease: a 24 MP edit holds the event loop for seconds (blend, metrics, strip), longer than the tests' 2 s lease.
const config = testConfig(temp.dir, { JOB_LEASE_MS: '60000', DECODE_BUDGET_MEGAPIXELS: budget, WORKER_CONCURRENCY: String(Math.min(16, n)), MAX_JOBS_PER_USER: '100', MAX_JOBS_PER_CONVERSATION: '100' });
const app = await createApp({ config, log: silentLog, engine });
// Replies are dropped: a recording adapter would keep every result PNG and count them as ours.
const errors: string[] = [];
const reply: ReplyChannel = { async status() {}, async text() {}, async error(message) { errors.push(message); }, async image() {}, async progress() {} };
app.attach({ platform: 'bench', async start() {}, replyTo: () => reply, async stop() {} });
if (mode === 'edit') app.startWorker();
const bytes = fs.readFileSync(file);
const started = performance.now();
const refs = Array.from({ length: n }, (_, i) => ({ platform: 'bench', scope: 's', channelId: `c${i}` }));
await Promise.all(
  refs.map(async (ref, i) => {
    await app.core.handleTurn({ ref, messageId: `m${i}`, userId: `u${i}`, text: 'remove it', images: [{ bytes }], mask: { kind: 'box', box: { x: bx, y: by, w: bw, h: bh } } }, reply);
    if (errors.length > 0) throw new Error(errors.join('\n'));
    if (mode === 'edit') await app.core.settled(ref);
  }),
);
const ms = performance.now() - started;
const results = (app.database.sqlite.prepare("SELECT count(*) AS n FROM versions WHERE kind = 'result'").get() as { n: number }).n;
if (mode === 'edit' && results !== n) throw new Error(`expected ${n} results, got ${results}: ${JSON.stringify(app.database.sqlite.prepare('SELECT state, error FROM jobs').all())}`);
const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
await app.close();
temp.cleanup();
process.stdout.write(`${JSON.stringify({ peakMb: hwm ? Math.round(Number(hwm[1]) / 1024) : null, ms: Math.round(ms) })}\n`);
