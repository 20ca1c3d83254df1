/**
 * Runs ONNX graphs on onnxruntime-node for export_brushnet.py's comparison with PyTorch when Python's onnxruntime is
 * not installed (Debian has no package for it). It only runs graphs; the comparison and its tolerances stay in
 * weights/convert/parity_check.py, whichever runtime ran them.
 *
 *   npx tsx weights/convert/run-onnx.ts <dir> [--provider cpu|cuda|webgpu]
 *
 * <dir>/cases.json: [{ id, path, inputs: [{ name, dtype: 'float32'|'int64', dims, file }] }], each file raw
 * little-endian values. Writes <dir>/<id>.out.bin (the first output, float32) and <dir>/results.json:
 * [{ id, dims, ms } | { id, error }]. Exit status 0 even when a case fails: the caller reports each case.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Tensor, openSession, type OnnxProvider, type OnnxSession } from '../../src/onnx.ts';

interface CaseInput {
  name: string;
  dtype: 'float32' | 'int64';
  dims: number[];
  file: string;
}
interface Case {
  id: string;
  path: string;
  inputs: CaseInput[];
}
type Result = { id: string; dims: readonly number[]; ms: number } | { id: string; error: string };

function readTensor(dir: string, input: CaseInput): Tensor {
  const bytes = fs.readFileSync(path.join(dir, input.file));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  if (input.dtype === 'int64') return new Tensor('int64', new BigInt64Array(buffer), input.dims);
  return new Tensor('float32', new Float32Array(buffer), input.dims);
}

async function main(argv: string[]): Promise<void> {
  const dir = argv[0];
  const providerAt = argv.indexOf('--provider');
  const provider = (providerAt >= 0 ? argv[providerAt + 1] : 'cpu') as OnnxProvider;
  if (!dir || !fs.existsSync(path.join(dir, 'cases.json'))) {
    console.error('usage: npx tsx weights/convert/run-onnx.ts <dir with cases.json> [--provider cpu|cuda|webgpu]');
    process.exit(2);
  }
  const cases = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8')) as Case[];
  const sessions = new Map<string, OnnxSession>();
  const results: Result[] = [];
  for (const c of cases) {
    try {
      let session = sessions.get(c.path);
      if (!session) {
        session = await openSession(c.path, { provider });
        sessions.set(c.path, session);
      }
      const feeds = Object.fromEntries(c.inputs.map((input) => [input.name, readTensor(dir, input)]));
      const started = performance.now();
      const out = await session.run(feeds);
      const ms = performance.now() - started;
      const first = out[session.outputNames[0]];
      if (first.type !== 'float32') throw new Error(`output ${session.outputNames[0]} is ${first.type}, expected float32`);
      const data = first.data as Float32Array;
      fs.writeFileSync(path.join(dir, `${c.id}.out.bin`), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      results.push({ id: c.id, dims: first.dims, ms });
    } catch (error) {
      results.push({ id: c.id, error: (error instanceof Error ? error.message : String(error)).split('\n')[0].slice(0, 300) });
    }
  }
  await Promise.all([...sessions.values()].map((s) => s.release()));
  fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results));
}

await main(process.argv.slice(2));
