/**
 * Writes a tiny BrushNet model folder at test time (nothing binary is committed), with the real file layout,
 * tensor names, ranks and the contract's channel counts (4 latent, 5 cond, 77 tokens, 768 features by default:
 * `textDim` makes another text width, as a base model with another cross_attention_dim would), and
 * graphs that cost microseconds:
 *
 * - text_encoder: input_ids mod 64 → row of a fixed random table [64,768] (each row = an offset + small
 *   noise), so prompts differ in their mean feature.
 * - vae_encoder: 8×8 average pool of the 3 channels + their mean as a 4th → latent_parameters [B,8,h,w]
 *   (mean, then a zero log-variance, optimum's layout).
 * - vae_decoder: first 3 latent channels, nearest upsample ×8, clipped to [-1,1] (not tanh: clipping keeps
 *   encode → decode an identity, so tests can say "kept pixels come back").
 * - unet (the fused branch+UNet): a perfect denoiser towards target = cond[:, :4]·scale + (1 − cond[:, 4])·fill,
 *   fill = FILL_BASE + FILL_TEXT·mean(encoder_hidden_states). With mask channel 1 on kept pixels the kept area
 *   reconstructs the masked-image latent and the hole turns light grey; flipped polarity visibly does the
 *   opposite. In the hole the x0 estimate also carries HOLE_NOISE × the sample's noise, so seeds matter.
 */
import { mulberry32 as random } from './random.ts';
import { sd15Schedule } from '../../src/engines/brushnet/scheduler.ts';
import fs from 'node:fs';
import path from 'node:path';
import type { onnx } from 'onnx-proto';
import onnxProto from 'onnx-proto';

export const tinyBrushNetId = 'tiny-brushnet';
const VAE_SCALE = 0.18215;
/** Decoded hole value before the text term: 0.6 after the masked image's −1. */
export const FILL_BASE = 1.6 * VAE_SCALE;
const FILL_TEXT = 1.0 * VAE_SCALE;
const HOLE_NOISE = 0.05;
const TABLE_ROWS = 64;

const F = 1;
const I64 = 7;
type Dim = number | string;

const valueInfo = (name: string, elemType: number, dims: Dim[]): onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});
const floats = (name: string, dims: number[], values: ArrayLike<number>): onnx.ITensorProto => ({
  name,
  dataType: F,
  dims,
  rawData: new Uint8Array(Float32Array.from(values).buffer),
});
const int64s = (name: string, dims: number[], values: number[]): onnx.ITensorProto => ({ name, dataType: I64, dims, int64Data: values });

type Attr = number | number[] | string;
function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, Attr> = {}): onnx.INodeProto {
  const attribute = Object.entries(attrs).map(([name, v]): onnx.IAttributeProto => {
    if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
    if (Array.isArray(v)) return { name, type: 7, ints: v };
    return Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v };
  });
  return { opType, input: inputs, output: outputs, attribute, name: `${opType}_${outputs[0]}` };
}

function model(graph: onnx.IGraphProto): Uint8Array {
  const proto = onnxProto.onnx.ModelProto.create({ irVersion: 8, producerName: 'brushtalk-tiny-brushnet', opsetImport: [{ domain: '', version: 17 }], graph });
  return onnxProto.onnx.ModelProto.encode(proto).finish();
}


function textEncoder(textDim: number): Uint8Array {
  const rnd = random(1234);
  const table = new Float32Array(TABLE_ROWS * textDim);
  for (let r = 0; r < TABLE_ROWS; r++) {
    const offset = rnd() - 0.5;
    for (let c = 0; c < textDim; c++) table[r * textDim + c] = offset + 0.1 * (rnd() - 0.5);
  }
  return model({
    name: 'tiny_text_encoder',
    input: [valueInfo('input_ids', I64, ['batch', 77])],
    output: [valueInfo('last_hidden_state', F, ['batch', 77, textDim])],
    initializer: [floats('table', [TABLE_ROWS, textDim], table), int64s('rows', [], [TABLE_ROWS])],
    node: [node('Mod', ['input_ids', 'rows'], ['row_ids']), node('Gather', ['table', 'row_ids'], ['last_hidden_state'], { axis: 0 })],
  });
}

function vaeEncoder(): Uint8Array {
  return model({
    name: 'tiny_vae_encoder',
    input: [valueInfo('sample', F, ['batch', 3, 'height', 'width'])],
    output: [valueInfo('latent_parameters', F, ['batch', 8, 'latent_height', 'latent_width'])],
    initializer: [floats('zero', [], [0])],
    node: [
      node('AveragePool', ['sample'], ['pooled'], { kernel_shape: [8, 8], strides: [8, 8] }),
      node('ReduceMean', ['pooled'], ['grey'], { axes: [1], keepdims: 1 }),
      node('Concat', ['pooled', 'grey'], ['mean'], { axis: 1 }),
      node('Mul', ['mean', 'zero'], ['logvar']),
      node('Concat', ['mean', 'logvar'], ['latent_parameters'], { axis: 1 }),
    ],
  });
}

function vaeDecoder(): Uint8Array {
  return model({
    name: 'tiny_vae_decoder',
    input: [valueInfo('latent_sample', F, ['batch', 4, 'latent_height', 'latent_width'])],
    output: [valueInfo('sample', F, ['batch', 3, 'height', 'width'])],
    initializer: [
      int64s('c0', [1], [0]),
      int64s('c3', [1], [3]),
      int64s('ax1', [1], [1]),
      floats('scales', [4], [1, 1, 8, 8]),
      floats('lo', [], [-1]),
      floats('hi', [], [1]),
    ],
    node: [
      node('Slice', ['latent_sample', 'c0', 'c3', 'ax1'], ['rgb']),
      node('Resize', ['rgb', '', 'scales'], ['up'], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }),
      node('Clip', ['up', 'lo', 'hi'], ['sample']),
    ],
  });
}

/** SD1.5's ᾱ table: scaled_linear β from 0.00085 to 0.012 over 1000 steps. */
function alphasCumprod(): number[] {
  const out: number[] = [];
  let product = 1;
  for (let i = 0; i < 1000; i++) {
    const beta = (Math.sqrt(0.00085) + (i / 999) * (Math.sqrt(0.012) - Math.sqrt(0.00085))) ** 2;
    product *= 1 - beta;
    out.push(product);
  }
  return out;
}

function fusedUnet(textDim: number): Uint8Array {
  const n = ['batch2', 4, 'h', 'w'];
  return model({
    name: 'tiny_brushnet_unet',
    input: [
      valueInfo('sample', F, n),
      valueInfo('timestep', F, [1]),
      valueInfo('encoder_hidden_states', F, ['batch2', 77, textDim]),
      valueInfo('brushnet_cond', F, ['batch2', 5, 'h', 'w']),
      valueInfo('conditioning_scale', F, [1]),
    ],
    output: [valueInfo('noise_pred', F, n)],
    initializer: [
      floats('abar', [1000], alphasCumprod()),
      floats('one', [], [1]),
      floats('mu', [], [HOLE_NOISE]),
      floats('fill_base', [], [FILL_BASE]),
      floats('fill_text', [], [FILL_TEXT]),
      int64s('c0', [1], [0]),
      int64s('c4', [1], [4]),
      int64s('c5', [1], [5]),
      int64s('ax1', [1], [1]),
      int64s('ax3', [1], [3]),
    ],
    node: [
      node('Cast', ['timestep'], ['t_index'], { to: I64 }),
      node('Gather', ['abar', 't_index'], ['ab'], { axis: 0 }),
      node('Sqrt', ['ab'], ['sa']),
      node('Sub', ['one', 'ab'], ['one_minus_ab']),
      node('Sqrt', ['one_minus_ab'], ['s1a']),
      node('Slice', ['brushnet_cond', 'c0', 'c4', 'ax1'], ['lat']),
      node('Slice', ['brushnet_cond', 'c4', 'c5', 'ax1'], ['kept']),
      node('Sub', ['one', 'kept'], ['hole']),
      node('ReduceMean', ['encoder_hidden_states'], ['txt3'], { axes: [1, 2], keepdims: 1 }),
      node('Unsqueeze', ['txt3', 'ax3'], ['txt']),
      node('Mul', ['txt', 'fill_text'], ['txt_fill']),
      node('Add', ['txt_fill', 'fill_base'], ['fill']),
      node('Mul', ['hole', 'fill'], ['hole_fill']),
      node('Mul', ['lat', 'conditioning_scale'], ['lat_scaled']),
      node('Add', ['lat_scaled', 'hole_fill'], ['target']),
      // ε = (x − √ᾱ·target) / (√(1−ᾱ) + √ᾱ·μ·hole): then x0 = target + μ·hole·ε keeps a seed-dependent part.
      node('Mul', ['sa', 'target'], ['sa_target']),
      node('Sub', ['sample', 'sa_target'], ['num']),
      node('Mul', ['hole', 'mu'], ['mu_hole']),
      node('Mul', ['mu_hole', 'sa'], ['mu_hole_sa']),
      node('Add', ['mu_hole_sa', 's1a'], ['den']),
      node('Div', ['num', 'den'], ['noise_pred']),
    ],
  });
}

/** A CLIP-style byte-level BPE tokenizer folder with a hand-checkable vocabulary (see clip-tokenizer.test.ts). */
export function writeClipTokenizer(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const vocab: Record<string, number> = {};
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  [...letters].forEach((c, i) => {
    vocab[c] = i;
    vocab[`${c}</w>`] = 26 + i;
  });
  Object.assign(vocab, { ca: 52, 'cat</w>': 53, do: 54, 'dog</w>': 55, ',': 56, ',</w>': 57, '<|startoftext|>': 49406, '<|endoftext|>': 49407 });
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(49406, '<|startoftext|>'), special(49407, '<|endoftext|>')],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: { Regex: "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" },
          behavior: 'Removed',
          invert: true,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: { type: 'RobertaProcessing', sep: ['<|endoftext|>', 49407], cls: ['<|startoftext|>', 49406], trim_offsets: false, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<|endoftext|>',
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      vocab,
      merges: ['c a', 'ca t</w>', 'd o', 'do g</w>'],
    },
  };
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  // As in SD1.5's tokenizer folder: pad with <|endoftext|>.
  const config = {
    tokenizer_class: 'CLIPTokenizer',
    bos_token: '<|startoftext|>',
    eos_token: '<|endoftext|>',
    pad_token: '<|endoftext|>',
    unk_token: '<|endoftext|>',
    model_max_length: 77,
    do_lower_case: true,
  };
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config));
}

/** Write `<weightsDir>/<id>/` in the BrushNet folder contract; returns the folder. */
export function writeTinyBrushNet(weightsDir: string, id = tinyBrushNetId, options: { textDim?: number } = {}): string {
  const textDim = options.textDim ?? 768;
  const dir = path.join(weightsDir, id);
  writeClipTokenizer(path.join(dir, 'tokenizer'));
  const graphs: Record<string, Uint8Array> = {
    text_encoder: textEncoder(textDim),
    vae_encoder: vaeEncoder(),
    vae_decoder: vaeDecoder(),
    unet: fusedUnet(textDim),
  };
  for (const [name, bytes] of Object.entries(graphs)) {
    fs.mkdirSync(path.join(dir, name), { recursive: true });
    fs.writeFileSync(path.join(dir, name, 'model.onnx'), bytes);
  }
  const manifest = {
    format: 'brushtalk-brushnet/1',
    sampleSize: 64,
    latentChannels: 4,
    textDim,
    scalingFactor: VAE_SCALE,
    scheduler: { ...sd15Schedule },
  };
  fs.writeFileSync(path.join(dir, 'brushtalk.json'), JSON.stringify(manifest, null, 2));
  return dir;
}
