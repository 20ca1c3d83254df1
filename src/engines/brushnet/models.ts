/**
 * BrushNetModels over onnxruntime sessions loaded from the folder contract (folder.ts). Runs in the engine's
 * worker thread. Each call's time is split into session.run() and host marshalling (building tensors, reading
 * and slicing outputs), because onnxruntime-node has no device IO binding and every run copies through the host.
 */
import path from 'node:path';
import { BrushtalkError } from '../../errors.ts';
import { Tensor, inputShape, inputType, openSession, type OnnxFeeds, type OnnxProvider, type OnnxSession } from '../../onnx.ts';
import { brushNetFiles, type BrushNetFolder } from './folder.ts';
import { TEXT_LENGTH, type BrushNetModels, type DenoiseInputs } from './pipeline.ts';
import { loadClipTokenizer } from './tokenizer.ts';

export interface ModelStats {
  /** Cumulative milliseconds per graph: inside run(), and around it on the host. */
  run: Record<GraphName, number>;
  host: Record<GraphName, number>;
}

type GraphName = 'text_encoder' | 'vae_encoder' | 'unet' | 'vae_decoder';

export interface LoadedBrushNet extends BrushNetModels {
  stats: ModelStats;
  release(): Promise<void>;
}

const unetInputs = ['sample', 'timestep', 'encoder_hidden_states', 'brushnet_cond', 'conditioning_scale'];

function requireNames(session: OnnxSession, file: string, inputs: string[], output: string): void {
  const absent = inputs.filter((name) => !session.inputNames.includes(name));
  if (absent.length > 0 || !session.outputNames.includes(output)) {
    throw new BrushtalkError(
      'weights.corrupt',
      `${file} does not follow the BrushNet folder contract: it has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]; ` +
        `expected inputs [${inputs.join(', ')}] and output ${output}.`,
    );
  }
}

/** A fixed axis of a graph input that disagrees with brushtalk.json (dynamic axes are not checked). */
function requireAxis(session: OnnxSession, file: string, input: string, axis: number, want: number, what: string): void {
  const got = inputShape(session, input)?.[axis];
  if (typeof got === 'number' && got !== want) {
    throw new BrushtalkError(
      'weights.corrupt',
      `${file} takes ${input} with ${got} on axis ${axis} but brushtalk.json says ${what} ${want}: the folder mixes graphs of different models; export it again.`,
    );
  }
}

export async function loadBrushNetModels(weightsDir: string, modelId: string, folder: BrushNetFolder, provider: OnnxProvider): Promise<LoadedBrushNet> {
  const tokenizer = await loadClipTokenizer(weightsDir, modelId);
  const open = async (file: string): Promise<OnnxSession> => {
    const full = path.join(folder.dir, file);
    try {
      return await openSession(full, { provider });
    } catch (cause) {
      if (cause instanceof BrushtalkError) throw cause;
      throw new BrushtalkError('weights.corrupt', `${full} could not be loaded: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`, { cause });
    }
  };
  const text = await open(brushNetFiles.textEncoder);
  const encoder = await open(brushNetFiles.vaeEncoder);
  const unet = await open(brushNetFiles.unet);
  const decoder = await open(brushNetFiles.vaeDecoder);
  requireNames(text, brushNetFiles.textEncoder, ['input_ids'], 'last_hidden_state');
  requireNames(unet, brushNetFiles.unet, unetInputs, 'noise_pred');
  requireNames(decoder, brushNetFiles.vaeDecoder, ['latent_sample'], 'sample');
  // Optimum names the moments latent_parameters; a custom export's single output (the mean) is taken as is.
  const encoderOutput = encoder.outputNames.includes('latent_parameters') ? 'latent_parameters' : encoder.outputNames[0];
  requireNames(encoder, brushNetFiles.vaeEncoder, ['sample'], encoderOutput);
  const { latentChannels: lc, textDim } = folder;
  requireAxis(unet, brushNetFiles.unet, 'encoder_hidden_states', 2, textDim, 'textDim');
  requireAxis(unet, brushNetFiles.unet, 'sample', 1, lc, 'latentChannels');
  requireAxis(unet, brushNetFiles.unet, 'brushnet_cond', 1, lc + 1, 'latentChannels + 1 =');
  requireAxis(decoder, brushNetFiles.vaeDecoder, 'latent_sample', 1, lc, 'latentChannels');
  // Exporters disagree on a few dtypes (optimum's CLIP takes int32 ids; some UNets take int64 timesteps): follow the graph.
  const idsInt32 = inputType(text, 'input_ids') === 'int32';
  const timestepType = inputType(unet, 'timestep');

  const stats: ModelStats = {
    run: { text_encoder: 0, vae_encoder: 0, unet: 0, vae_decoder: 0 },
    host: { text_encoder: 0, vae_encoder: 0, unet: 0, vae_decoder: 0 },
  };
  /** Run one graph and return one output's floats, accounting run() and the host work separately. */
  async function call(graph: GraphName, session: OnnxSession, feeds: () => OnnxFeeds, output: string, started: number): Promise<Float32Array> {
    const inputs = feeds();
    const before = performance.now();
    const result = await session.run(inputs, [output]);
    const after = performance.now();
    const tensor = result[output];
    if (tensor.type !== 'float32') throw new BrushtalkError('weights.corrupt', `${graph} returned ${output} as ${tensor.type}; the contract says float32.`);
    const data = tensor.data as Float32Array;
    stats.run[graph] += after - before;
    stats.host[graph] += before - started + (performance.now() - after);
    return data;
  }

  return {
    stats,
    tokenize: (prompt) => tokenizer.encode(prompt),
    encodeText(ids) {
      const started = performance.now();
      const flat = ids.flat();
      const dims = [ids.length, ids[0].length];
      return call('text_encoder', text, () => ({
        input_ids: idsInt32 ? new Tensor('int32', Int32Array.from(flat), dims) : new Tensor('int64', BigInt64Array.from(flat, (v) => BigInt(v)), dims),
      }), 'last_hidden_state', started);
    },
    async encodeImage(pixels, batch, height, width) {
      const started = performance.now();
      const out = await call('vae_encoder', encoder, () => ({ sample: new Tensor('float32', pixels, [batch, 3, height, width]) }), encoderOutput, started);
      const after = performance.now();
      const plane = (height / 8) * (width / 8);
      const channels = out.length / (batch * plane);
      if (channels !== lc && channels !== 2 * lc) throw new BrushtalkError('weights.corrupt', `vae_encoder returned ${channels} channels; the contract says ${2 * lc} (mean, logvar) or ${lc} (mean).`);
      if (channels === lc) return out;
      // Keep the first latentChannels channels of each item: the mean; the log-variance is not used (no sampling).
      const mean = new Float32Array(batch * lc * plane);
      for (let b = 0; b < batch; b++) mean.set(out.subarray(b * 2 * lc * plane, (b * 2 + 1) * lc * plane), b * lc * plane);
      stats.host.vae_encoder += performance.now() - after;
      return mean;
    },
    denoise(inputs: DenoiseInputs) {
      const started = performance.now();
      const { batch, latentHeight: h, latentWidth: w } = inputs;
      return call('unet', unet, () => ({
        sample: new Tensor('float32', inputs.sample, [batch, lc, h, w]),
        timestep: timestepType === 'int64' ? new Tensor('int64', BigInt64Array.of(BigInt(Math.round(inputs.timestep))), [1]) : new Tensor('float32', Float32Array.of(inputs.timestep), [1]),
        encoder_hidden_states: new Tensor('float32', inputs.encoderHiddenStates, [batch, TEXT_LENGTH, textDim]),
        brushnet_cond: new Tensor('float32', inputs.cond, [batch, lc + 1, h, w]),
        conditioning_scale: new Tensor('float32', Float32Array.of(inputs.conditioningScale), [1]),
      }), 'noise_pred', started);
    },
    decode(latents, batch, h, w) {
      const started = performance.now();
      return call('vae_decoder', decoder, () => ({ latent_sample: new Tensor('float32', latents, [batch, lc, h, w]) }), 'sample', started);
    },
    async release() {
      await Promise.all([text.release(), encoder.release(), unet.release(), decoder.release()]);
    },
  };
}
