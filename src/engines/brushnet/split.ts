/**
 * A MEASURED ALTERNATIVE, not the default: BrushNet as two graphs instead of the fused one (design §3.3).
 *
 *   branch/model.onnx  sample [N,4,h,w], timestep [1], brushnet_cond [N,5,h,w], conditioning_scale [1]
 *                      → the 28 residuals (brushNetResiduals below, already × conditioning_scale)
 *   unet/model.onnx    sample [2B,4,h,w], timestep [1], encoder_hidden_states [2B,77,768], the 28 residuals
 *                      at batch 2B (or at batch B when the graph tiles them itself) → noise_pred [2B,4,h,w]
 *
 * The SD1.5 branch has no attention and never reads the text, and under classifier-free guidance the pipeline
 * feeds both halves the same latents, timestep, conditioning and scale (it tiles one VAE-mean latent; the
 * reference draws one per half, which is why it cannot do this). So the branch's residuals are identical for
 * the two halves and it can run once at batch B. The price: onnxruntime-node has no device IO binding, so the
 * 28 residuals (36.2 MB per item in fp16, 72.4 MB in fp32 at 512²) go device → host after the branch and host →
 * device into the UNet, and the host duplicates them to 2B in between. `npm run bench brushnet-split` measures
 * that; weights/convert/README.md ("Fused graph vs two graphs") has the numbers and the verdict (keep the fused graph).
 *
 * The denoiser below is a drop-in `BrushNetModels.denoise`: it runs the branch at half the batch only when it
 * can prove the halves are identical (it compares them: tens of µs), and at the full batch otherwise, so it is
 * correct for any input.
 */
import { Tensor, inputType, type OnnxFeeds, type OnnxSession } from '../../onnx.ts';
import type { DenoiseInputs } from './pipeline.ts';

/** One residual: its output/input name, channels, and the latent's downsampling factor at its resolution. */
export interface ResidualSpec {
  name: string;
  channels: number;
  /** 1, 2, 4 or 8: the residual is [N, channels, h/factor, w/factor]. */
  factor: number;
}

function specs(prefix: string, groups: [channels: number, factor: number, count: number][]): ResidualSpec[] {
  const out: ResidualSpec[] = [];
  for (const [channels, factor, count] of groups) for (let i = 0; i < count; i++) out.push({ name: '', channels, factor });
  return out.map((s, i) => ({ ...s, name: `${prefix}_${i}` }));
}

/**
 * SD1.5 BrushNet's 28 residuals in the order the UNet consumes them (12 down, 1 mid, 15 up); at 512² (64²
 * latent): down 320×64² ×3, 320×32², 640×32² ×2, 640×16², 1280×16² ×2, 1280×8² ×3; mid 1280×8²;
 * up 1280×8² ×3, 1280×16² ×4, 1280×32², 640×32² ×3, 640×64², 320×64² ×3.
 */
export const brushNetResiduals: readonly ResidualSpec[] = [
  ...specs('down_block_res_sample', [[320, 1, 3], [320, 2, 1], [640, 2, 2], [640, 4, 1], [1280, 4, 2], [1280, 8, 3]]),
  { name: 'mid_block_res_sample', channels: 1280, factor: 8 },
  ...specs('up_block_res_sample', [[1280, 8, 3], [1280, 4, 4], [1280, 2, 1], [640, 2, 3], [640, 1, 1], [320, 1, 3]]),
];

export function residualShape(spec: ResidualSpec, batch: number, latentHeight: number, latentWidth: number): number[] {
  return [batch, spec.channels, Math.ceil(latentHeight / spec.factor), Math.ceil(latentWidth / spec.factor)];
}

/** Elements in all 28 residuals for `batch` items (18,104,320 per item at a 64² latent). */
export function residualElements(batch: number, latentHeight: number, latentWidth: number): number {
  return brushNetResiduals.reduce((sum, s) => sum + residualShape(s, batch, latentHeight, latentWidth).reduce((a, b) => a * b, 1), 0);
}

/**
 * Residual bytes that cross the host per denoising step: out of the branch at `branchBatch`, into the UNet at
 * `unetResidualBatch`. The fused graph moves none.
 */
export function residualTraffic(branchBatch: number, unetResidualBatch: number, latentHeight: number, latentWidth: number, bytesPerElement: 2 | 4) {
  const out = residualElements(branchBatch, latentHeight, latentWidth) * bytesPerElement;
  const into = residualElements(unetResidualBatch, latentHeight, latentWidth) * bytesPerElement;
  return { deviceToHost: out, hostToDevice: into, total: out + into };
}

export interface SplitStats {
  steps: number;
  /** Cumulative ms inside each graph's run() (on a GPU this includes the residual copies). */
  branchRunMs: number;
  unetRunMs: number;
  /** Cumulative ms duplicating the residuals to 2B on the host (0 when the UNet tiles them). */
  duplicateMs: number;
  /** Cumulative ms of the rest of the host work: building tensors, comparing halves, reading outputs. */
  hostMs: number;
  /** Steps whose branch ran at half the batch. */
  halvedSteps: number;
  /** Cumulative float32 residual bytes: returned by the branch, and handed to the UNet. */
  residualBytesOut: number;
  residualBytesIn: number;
}

export interface SplitDenoiserOptions {
  /** The UNet graph takes the residuals at the branch's batch and tiles them to its own (no host duplication). */
  unetTilesResiduals?: boolean;
}

export interface SplitDenoiser {
  denoise(inputs: DenoiseInputs): Promise<Float32Array>;
  stats: SplitStats;
}

/** True when the first half of `data` equals the second half, element for element. */
export function identicalHalves(data: Float32Array): boolean {
  if (data.length % 2 !== 0) return false;
  const half = data.length / 2;
  for (let i = 0; i < half; i++) if (data[i] !== data[half + i] && !(Number.isNaN(data[i]) && Number.isNaN(data[half + i]))) return false;
  return true;
}

function checkNames(session: OnnxSession, graph: string, inputs: string[], outputs: string[]): void {
  const absent = [...inputs.filter((n) => !session.inputNames.includes(n)), ...outputs.filter((n) => !session.outputNames.includes(n))];
  if (absent.length > 0) throw new Error(`${graph} graph lacks ${absent.join(', ')} (it has inputs [${session.inputNames.join(', ')}], outputs [${session.outputNames.join(', ')}])`);
}

export function createSplitDenoiser(branch: OnnxSession, unet: OnnxSession, options: SplitDenoiserOptions = {}): SplitDenoiser {
  const names = brushNetResiduals.map((s) => s.name);
  checkNames(branch, 'branch', ['sample', 'timestep', 'brushnet_cond', 'conditioning_scale'], names);
  checkNames(unet, 'unet', ['sample', 'timestep', 'encoder_hidden_states', ...names], ['noise_pred']);
  const timestepTypes = { branch: inputType(branch, 'timestep'), unet: inputType(unet, 'timestep') };
  const timestepTensor = (type: string | undefined, t: number) =>
    type === 'int64' ? new Tensor('int64', BigInt64Array.of(BigInt(Math.round(t))), [1]) : new Tensor('float32', Float32Array.of(t), [1]);
  const stats: SplitStats = { steps: 0, branchRunMs: 0, unetRunMs: 0, duplicateMs: 0, hostMs: 0, halvedSteps: 0, residualBytesOut: 0, residualBytesIn: 0 };

  async function denoise(inputs: DenoiseInputs): Promise<Float32Array> {
    const started = performance.now();
    const { batch, latentHeight: h, latentWidth: w } = inputs;
    const halve = batch % 2 === 0 && identicalHalves(inputs.sample) && identicalHalves(inputs.cond);
    if (options.unetTilesResiduals && !halve) throw new Error('this UNet graph tiles the residuals ×2, so it only serves guided steps with identical halves');
    const nb = halve ? batch / 2 : batch;
    const branchFeeds: OnnxFeeds = {
      sample: new Tensor('float32', inputs.sample.subarray(0, nb * 4 * h * w), [nb, 4, h, w]),
      timestep: timestepTensor(timestepTypes.branch, inputs.timestep),
      brushnet_cond: new Tensor('float32', inputs.cond.subarray(0, nb * 5 * h * w), [nb, 5, h, w]),
      conditioning_scale: new Tensor('float32', Float32Array.of(inputs.conditioningScale), [1]),
    };
    let t0 = performance.now();
    const residuals = await branch.run(branchFeeds, names);
    let t1 = performance.now();
    stats.branchRunMs += t1 - t0;
    let host = t0 - started;

    const unetFeeds: Record<string, Tensor> = {
      sample: new Tensor('float32', inputs.sample, [batch, 4, h, w]),
      timestep: timestepTensor(timestepTypes.unet, inputs.timestep),
      encoder_hidden_states: new Tensor('float32', inputs.encoderHiddenStates, [batch, 77, inputs.encoderHiddenStates.length / (batch * 77)]),
    };
    const dupStart = performance.now();
    host += dupStart - t1;
    for (const spec of brushNetResiduals) {
      const out = residuals[spec.name];
      if (out.type !== 'float32') throw new Error(`branch returned ${spec.name} as ${out.type}; expected float32`);
      const data = out.data as Float32Array;
      stats.residualBytesOut += data.byteLength;
      if (halve && !options.unetTilesResiduals) {
        // The extra host copy: [r; r] for the [uncond…, cond…] halves.
        const both = new Float32Array(data.length * 2);
        both.set(data, 0);
        both.set(data, data.length);
        unetFeeds[spec.name] = new Tensor('float32', both, [batch, ...out.dims.slice(1)]);
        stats.residualBytesIn += both.byteLength;
      } else {
        unetFeeds[spec.name] = new Tensor('float32', data, out.dims);
        stats.residualBytesIn += data.byteLength;
      }
    }
    t0 = performance.now();
    stats.duplicateMs += t0 - dupStart;
    const result = await unet.run(unetFeeds, ['noise_pred']);
    t1 = performance.now();
    stats.unetRunMs += t1 - t0;
    const noise = result.noise_pred;
    if (noise.type !== 'float32') throw new Error(`unet returned noise_pred as ${noise.type}; expected float32`);
    const data = noise.data as Float32Array;
    stats.hostMs += host + (performance.now() - t1);
    stats.steps += 1;
    if (halve) stats.halvedSteps += 1;
    return data;
  }

  return { denoise, stats };
}
