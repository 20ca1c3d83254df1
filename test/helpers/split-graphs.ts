/**
 * Cheap graphs with SD1.5 BrushNet's REAL residual shapes, for measuring the two-graph variant
 * (src/engines/brushnet/split.ts) against the fused graph. The maths is trivial, the tensors are full size:
 *
 * - branch: v = (mean(sample) + mean(cond) + K_T·t) · conditioning_scale per item → residual j =
 *   Expand(v·w_j) to [N, C_j, h/f_j, w/f_j] (28 of them: onnxruntime really allocates, fills and returns them).
 * - unet with residual inputs: noise_pred = A·sample + B·Σ_j mean(residual_j) + C·mean(text) + K_T2·t per item.
 *   With `tiles`, the residual inputs are at batch B and the graph concatenates each with itself to 2B.
 * - fused: both in one graph at 2B, the residuals never leave it (the current contract).
 * - fused, branch at B: the proposed contract variant: brushnet_cond [B,5,h,w] while sample is [kB,4,h,w]
 *   (k = 2 under guidance); the graph runs the branch on the first B items of sample and tiles the residuals k×.
 *
 * All residual sizes follow the latent's height and width at run time (h/f rounded up), so one graph serves
 * any size. fp32 throughout (an fp16 export with fp16 residual I/O would halve every byte count).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { onnx } from 'onnx-proto';
import onnxProto from 'onnx-proto';
import type { DenoiseInputs } from '../../src/engines/brushnet/pipeline.ts';
import { brushNetResiduals } from '../../src/engines/brushnet/split.ts';
import { Tensor, openSession, type OnnxFeeds, type OnnxSession } from '../../src/onnx.ts';

const F = 1;
const I64 = 7;
const K_T = 1e-4;
const K_T2 = 2e-4;
const A = 0.9;
const B_RES = 0.05;
const C_TEXT = 0.5;

type Dim = number | string;
const valueInfo = (name: string, elemType: number, dims: Dim[]): onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});
const floats = (name: string, dims: number[], values: number[]): onnx.ITensorProto => ({ name, dataType: F, dims, rawData: new Uint8Array(Float32Array.from(values).buffer) });
const int64s = (name: string, dims: number[], values: number[]): onnx.ITensorProto => ({ name, dataType: I64, dims, int64Data: values });

function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, number | number[]> = {}): onnx.INodeProto {
  const attribute = Object.entries(attrs).map(([name, v]): onnx.IAttributeProto => (Array.isArray(v) ? { name, type: 7, ints: v } : { name, type: 2, i: v }));
  return { opType, input: inputs, output: outputs, attribute, name: `${opType}_${outputs[0]}` };
}

function model(name: string, graph: Omit<onnx.IGraphProto, 'name'>): Uint8Array {
  // Keep only the constants this graph reads (onnxruntime warns about every unused initializer).
  const read = new Set((graph.node ?? []).flatMap((n) => n.input ?? []));
  const initializer = (graph.initializer ?? []).filter((t) => read.has(t.name ?? ''));
  const proto = onnxProto.onnx.ModelProto.create({ irVersion: 8, producerName: 'brushtalk-split-graphs', opsetImport: [{ domain: '', version: 17 }], graph: { name, ...graph, initializer } });
  return onnxProto.onnx.ModelProto.encode(proto).finish();
}

const residualWeight = (j: number) => 1 + j / 28;
const factors = [...new Set(brushNetResiduals.map((s) => s.factor))];
const channels = [...new Set(brushNetResiduals.map((s) => s.channels))];

/** Constants shared by every graph (names are unique per graph). */
function constants(): onnx.ITensorProto[] {
  return [
    int64s('i0', [1], [0]),
    int64s('i1', [1], [1]),
    int64s('i2', [1], [2]),
    int64s('i4', [1], [4]),
    int64s('ax3', [1], [3]),
    floats('k_t', [], [K_T]),
    floats('k_t2', [], [K_T2]),
    floats('a', [], [A]),
    floats('b_res', [], [B_RES]),
    floats('c_text', [], [C_TEXT]),
    ...factors.map((f) => int64s(`f${f}`, [1], [f])),
    ...factors.map((f) => int64s(`fm1_${f}`, [1], [f - 1])),
    ...channels.map((c) => int64s(`ch${c}`, [1], [c])),
    ...brushNetResiduals.map((_, j) => floats(`w${j}`, [], [residualWeight(j)])),
  ];
}

/**
 * The branch's nodes: reads `sample`/`cond` (same batch N), `timestep`, `conditioning_scale`; writes the 28
 * residuals under `names` at batch N.
 */
function branchNodes(sample: string, cond: string, names: string[]): onnx.INodeProto[] {
  const nodes = [
    node('ReduceMean', [sample], ['br_ms'], { axes: [1, 2, 3], keepdims: 1 }),
    node('ReduceMean', [cond], ['br_mc'], { axes: [1, 2, 3], keepdims: 1 }),
    node('Mul', ['timestep', 'k_t'], ['br_tt']),
    node('Add', ['br_ms', 'br_mc'], ['br_s']),
    node('Add', ['br_s', 'br_tt'], ['br_base']),
    node('Mul', ['br_base', 'conditioning_scale'], ['br_v']),
    node('Shape', [sample], ['br_shape']),
    node('Slice', ['br_shape', 'i0', 'i1'], ['br_n']),
    node('Slice', ['br_shape', 'i2', 'i4'], ['br_hw']),
  ];
  // ceil(hw / f) = (hw + f − 1) / f in integers
  for (const f of factors) nodes.push(node('Add', ['br_hw', `fm1_${f}`], [`br_hwp${f}`]), node('Div', [`br_hwp${f}`, `f${f}`], [`br_hw${f}`]));
  brushNetResiduals.forEach((spec, j) => {
    nodes.push(
      node('Concat', ['br_n', `ch${spec.channels}`, `br_hw${spec.factor}`], [`br_shape${j}`], { axis: 0 }),
      node('Mul', ['br_v', `w${j}`], [`br_v${j}`]),
      node('Expand', [`br_v${j}`, `br_shape${j}`], [names[j]]),
    );
  });
  return nodes;
}

/** The UNet's nodes: reads `sample`, `encoder_hidden_states`, `timestep` and the residuals `names` (batch = sample's). */
function unetNodes(names: string[]): onnx.INodeProto[] {
  return [
    ...names.map((name, j) => node('ReduceMean', [name], [`un_m${j}`], { axes: [1, 2, 3], keepdims: 1 })),
    node('Sum', names.map((_, j) => `un_m${j}`), ['un_res']),
    node('ReduceMean', ['encoder_hidden_states'], ['un_te3'], { axes: [1, 2], keepdims: 1 }),
    node('Unsqueeze', ['un_te3', 'ax3'], ['un_te']),
    node('Mul', ['sample', 'a'], ['un_as']),
    node('Mul', ['un_res', 'b_res'], ['un_br']),
    node('Mul', ['un_te', 'c_text'], ['un_ct']),
    node('Mul', ['timestep', 'k_t2'], ['un_tt']),
    node('Add', ['un_as', 'un_br'], ['un_x1']),
    node('Add', ['un_x1', 'un_ct'], ['un_x2']),
    node('Add', ['un_x2', 'un_tt'], ['noise_pred']),
  ];
}

const residualNames = brushNetResiduals.map((s) => s.name);
const residualInfo = (batch: string) => brushNetResiduals.map((s) => valueInfo(s.name, F, [batch, s.channels, `h${s.factor}`, `w${s.factor}`]));

/** branch: sample [N,4,h,w], timestep [1], brushnet_cond [N,5,h,w], conditioning_scale [1] → 28 residuals [N,…]. */
export function branchGraph(): Uint8Array {
  return model('split_branch', {
    input: [valueInfo('sample', F, ['batch', 4, 'h', 'w']), valueInfo('timestep', F, [1]), valueInfo('brushnet_cond', F, ['batch', 5, 'h', 'w']), valueInfo('conditioning_scale', F, [1])],
    output: residualInfo('batch'),
    initializer: constants(),
    node: branchNodes('sample', 'brushnet_cond', residualNames),
  });
}

/**
 * unet: sample [2B,4,h,w], timestep [1], encoder_hidden_states [2B,77,768] and the 28 residuals at 2B (or at
 * B with `tiles`, concatenated with themselves inside the graph) → noise_pred [2B,4,h,w].
 */
export function unetWithResidualsGraph(options: { tiles?: boolean } = {}): Uint8Array {
  const inner = options.tiles ? residualNames.map((n) => `${n}_2x`) : residualNames;
  return model('split_unet', {
    input: [
      valueInfo('sample', F, ['batch2', 4, 'h', 'w']),
      valueInfo('timestep', F, [1]),
      valueInfo('encoder_hidden_states', F, ['batch2', 77, 768]),
      ...residualInfo(options.tiles ? 'batch' : 'batch2'),
    ],
    output: [valueInfo('noise_pred', F, ['batch2', 4, 'h', 'w'])],
    initializer: constants(),
    node: [...(options.tiles ? residualNames.map((n, j) => node('Concat', [n, n], [inner[j]], { axis: 0 })) : []), ...unetNodes(inner)],
  });
}

/** The fused graph, current contract: sample/encoder_hidden_states/brushnet_cond at 2B; residuals stay inside. */
export function fusedGraph(): Uint8Array {
  const inner = residualNames.map((n) => `fz_${n}`);
  return model('split_fused', {
    input: [
      valueInfo('sample', F, ['batch2', 4, 'h', 'w']),
      valueInfo('timestep', F, [1]),
      valueInfo('encoder_hidden_states', F, ['batch2', 77, 768]),
      valueInfo('brushnet_cond', F, ['batch2', 5, 'h', 'w']),
      valueInfo('conditioning_scale', F, [1]),
    ],
    output: [valueInfo('noise_pred', F, ['batch2', 4, 'h', 'w'])],
    initializer: constants(),
    node: [...branchNodes('sample', 'brushnet_cond', inner), ...unetNodes(inner)],
  });
}

/**
 * The fused graph with the branch at B (a proposed contract change, not what the pipeline feeds today):
 * brushnet_cond [B,5,h,w], sample [kB,4,h,w] whose k blocks of B items hold the same latents under guidance.
 * The branch runs on sample[:B]; its residuals are tiled k× in the graph, so nothing extra crosses the host.
 */
export function fusedHalfBranchGraph(): Uint8Array {
  const inner = residualNames.map((n) => `hb_${n}`);
  const tiled = residualNames.map((n) => `hb2_${n}`);
  return model('split_fused_half_branch', {
    input: [
      valueInfo('sample', F, ['batch2', 4, 'h', 'w']),
      valueInfo('timestep', F, [1]),
      valueInfo('encoder_hidden_states', F, ['batch2', 77, 768]),
      valueInfo('brushnet_cond', F, ['batch', 5, 'h', 'w']),
      valueInfo('conditioning_scale', F, [1]),
    ],
    output: [valueInfo('noise_pred', F, ['batch2', 4, 'h', 'w'])],
    initializer: [...constants(), int64s('ones3', [3], [1, 1, 1])],
    node: [
      node('Shape', ['brushnet_cond'], ['hb_cshape']),
      node('Slice', ['hb_cshape', 'i0', 'i1'], ['hb_nb']),
      node('Slice', ['sample', 'i0', 'hb_nb', 'i0'], ['hb_sample']),
      node('Shape', ['sample'], ['hb_sshape']),
      node('Slice', ['hb_sshape', 'i0', 'i1'], ['hb_n2']),
      node('Div', ['hb_n2', 'hb_nb'], ['hb_k']),
      node('Concat', ['hb_k', 'ones3'], ['hb_repeats'], { axis: 0 }),
      ...branchNodes('hb_sample', 'brushnet_cond', inner),
      ...inner.map((n, j) => node('Tile', [n, 'hb_repeats'], [tiled[j]])),
      ...unetNodes(tiled),
    ],
  });
}

export interface SplitGraphSessions {
  branch: OnnxSession;
  unet: OnnxSession;
  unetTiling: OnnxSession;
  fused: OnnxSession;
  fusedHalfBranch: OnnxSession;
  release(): Promise<void>;
}

/** Write the five graphs under `dir` and open them on the CPU provider, as the engine would (openSession). */
export async function openSplitGraphs(dir: string): Promise<SplitGraphSessions> {
  fs.mkdirSync(dir, { recursive: true });
  const open = async (name: string, bytes: Uint8Array) => {
    const file = path.join(dir, `${name}.onnx`);
    fs.writeFileSync(file, bytes);
    return openSession(file, { provider: 'cpu' });
  };
  const sessions = {
    branch: await open('branch', branchGraph()),
    unet: await open('unet', unetWithResidualsGraph()),
    unetTiling: await open('unet_tiling', unetWithResidualsGraph({ tiles: true })),
    fused: await open('fused', fusedGraph()),
    fusedHalfBranch: await open('fused_half_branch', fusedHalfBranchGraph()),
  };
  return {
    ...sessions,
    async release() {
      await Promise.all(Object.values(sessions).map((s) => s.release()));
    },
  };
}

/** One step of a fused graph (either contract), timed like models.ts: run() vs the host work around it. */
export function fusedDenoiser(session: OnnxSession, options: { condBatch?: 'full' | 'half' } = {}) {
  const stats = { steps: 0, runMs: 0, hostMs: 0 };
  async function denoise(inputs: DenoiseInputs): Promise<Float32Array> {
    const started = performance.now();
    const { batch, latentHeight: h, latentWidth: w } = inputs;
    const nb = options.condBatch === 'half' ? batch / 2 : batch;
    const feeds: OnnxFeeds = {
      sample: new Tensor('float32', inputs.sample, [batch, 4, h, w]),
      timestep: new Tensor('float32', Float32Array.of(inputs.timestep), [1]),
      encoder_hidden_states: new Tensor('float32', inputs.encoderHiddenStates, [batch, 77, 768]),
      brushnet_cond: new Tensor('float32', inputs.cond.subarray(0, nb * 5 * h * w), [nb, 5, h, w]),
      conditioning_scale: new Tensor('float32', Float32Array.of(inputs.conditioningScale), [1]),
    };
    const before = performance.now();
    const result = await session.run(feeds, ['noise_pred']);
    const after = performance.now();
    const data = result.noise_pred.data as Float32Array;
    stats.runMs += after - before;
    stats.hostMs += before - started + (performance.now() - after);
    stats.steps += 1;
    return data;
  }
  return { denoise, stats };
}

/**
 * Inputs of one guided step as the pipeline builds them: [uncond × B, cond × B] text, the same B latents in
 * both halves, one conditioning tiled to 2B. Deterministic per `seed`.
 */
export function guidedStepInputs(samples: number, latentHeight: number, latentWidth: number, seed = 1): DenoiseInputs {
  let state = seed >>> 0;
  const rnd = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  const plane = latentHeight * latentWidth;
  const n = 2 * samples;
  const latents = Float32Array.from({ length: samples * 4 * plane }, rnd);
  const cond1 = Float32Array.from({ length: samples * 5 * plane }, rnd);
  const sample = new Float32Array(n * 4 * plane);
  sample.set(latents, 0);
  sample.set(latents, latents.length);
  const cond = new Float32Array(n * 5 * plane);
  cond.set(cond1, 0);
  cond.set(cond1, cond1.length);
  const encoderHiddenStates = Float32Array.from({ length: n * 77 * 768 }, (_, i) => (i < samples * 77 * 768 ? -0.2 : 0.3) + 0.1 * rnd());
  return { sample, timestep: 781, encoderHiddenStates, cond, conditioningScale: 0.8, batch: n, latentHeight, latentWidth };
}
