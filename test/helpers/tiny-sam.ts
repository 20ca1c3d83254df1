/**
 * Writes a tiny SAM-contract model folder at test time (nothing binary is committed): the same files and
 * tensor names transformers.js's SamModel + SamProcessor read for Xenova/slimsam-77-uniform, with graphs that
 * cost microseconds instead of seconds.
 *
 * - vision_encoder: pixel_values [1,3,1024,1024] → image_embeddings = 16×16 average pool [1,3,64,64];
 *   image_positional_embeddings = a constant [1,3,64,64].
 * - prompt_encoder_mask_decoder: pred_masks [1,B,3,256,256] are signed distances (in 1024-space pixels, so
 *   positive inside) to the prompted box, unioned (max) with discs of radius POINT_RADIUS around positive
 *   points. The three candidates are [box grown by 16, exact, box shrunk by 16] with iou_scores
 *   [0.70, 0.95, 0.40], so a caller that does not pick the best score gets a visibly wrong mask. Signed
 *   distances (not 0/1) keep the zero crossing exact through SAM's two bilinear resizes.
 *
 * `withBoxes: false` writes a decoder without the input_boxes input, like optimum's SAM export.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { onnx } from 'onnx-proto';
// Default import: onnx-proto is CommonJS, and Node's ESM loader (tsx scripts, benches) cannot see its named
// export; vitest could, but one spelling for both keeps the helper usable outside tests.
import onnxProto from 'onnx-proto';

export const POINT_RADIUS = 48; // in the processor's 1024 space
const CANDIDATE_OFFSETS = [16, 0, -16];
const CANDIDATE_SCORES = [0.7, 0.95, 0.4];
const EMBED_CHANNELS = 3;

const F = 1; // TensorProto.DataType.FLOAT
const I64 = 7; // TensorProto.DataType.INT64
const ATTR_INT = 2;
const ATTR_INTS = 7;

type Dim = number | string;

function valueInfo(name: string, elemType: number, dims: Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function floatTensor(name: string, dims: number[], values: ArrayLike<number>): onnx.ITensorProto {
  const raw = new Uint8Array(Float32Array.from(values).buffer);
  return { name, dataType: F, dims, rawData: raw };
}

function int64Tensor(name: string, dims: number[], values: number[]): onnx.ITensorProto {
  return { name, dataType: I64, dims, int64Data: values };
}

function node(opType: string, inputs: string[], outputs: string[], attrs: onnx.IAttributeProto[] = []): onnx.INodeProto {
  return { opType, input: inputs, output: outputs, attribute: attrs, name: `${opType}_${outputs[0]}` };
}

function intsAttr(name: string, ints: number[]): onnx.IAttributeProto {
  return { name, type: ATTR_INTS, ints };
}

function intAttr(name: string, i: number): onnx.IAttributeProto {
  return { name, type: ATTR_INT, i };
}

function model(graph: onnx.IGraphProto): Uint8Array {
  const proto = onnxProto.onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'brushtalk-tiny-sam',
    opsetImport: [{ domain: '', version: 17 }],
    graph,
  });
  return onnxProto.onnx.ModelProto.encode(proto).finish();
}

function visionEncoder(): Uint8Array {
  const pos = new Float32Array(EMBED_CHANNELS * 64 * 64);
  for (let i = 0; i < pos.length; i++) pos[i] = Math.sin(i / 97);
  return model({
    name: 'tiny_sam_vision_encoder',
    input: [valueInfo('pixel_values', F, ['batch_size', 3, 1024, 1024])],
    output: [
      valueInfo('image_embeddings', F, ['batch_size', EMBED_CHANNELS, 64, 64]),
      valueInfo('image_positional_embeddings', F, [1, EMBED_CHANNELS, 64, 64]),
    ],
    initializer: [floatTensor('pos_const', [1, EMBED_CHANNELS, 64, 64], pos)],
    node: [
      node('AveragePool', ['pixel_values'], ['image_embeddings'], [intsAttr('kernel_shape', [16, 16]), intsAttr('strides', [16, 16])]),
      node('Identity', ['pos_const'], ['image_positional_embeddings']),
    ],
  });
}

function decoder(withBoxes: boolean): Uint8Array {
  // Low-res pixel j's centre in 1024 space is (j + 0.5) * 4, which is what SAM's bilinear upscale assumes.
  const centres = Array.from({ length: 256 }, (_, j) => (j + 0.5) * 4);
  const init: onnx.ITensorProto[] = [
    floatTensor('gx4', [1, 1, 1, 256], centres), // x along the last axis, for [1,B,256,256]
    floatTensor('gy4', [1, 1, 256, 1], centres),
    floatTensor('gx5', [1, 1, 1, 1, 256], centres), // for [1,B,N,256,256]
    floatTensor('gy5', [1, 1, 1, 256, 1], centres),
    floatTensor('radius', [], [POINT_RADIUS]),
    floatTensor('far', [], [-1e4]),
    floatTensor('zero', [], [0]),
    floatTensor('offsets', [1, 1, 3, 1, 1], CANDIDATE_OFFSETS),
    floatTensor('scores', [1, 1, 3], CANDIDATE_SCORES),
    int64Tensor('one_i64', [], [1]),
    int64Tensor('ax2', [1], [2]),
    int64Tensor('ax34', [2], [3, 4]),
    int64Tensor('s0', [1], [0]),
    int64Tensor('s1', [1], [1]),
    int64Tensor('s2', [1], [2]),
    int64Tensor('s3', [1], [3]),
    int64Tensor('s4', [1], [4]),
    int64Tensor('axLast', [1], [-1]),
  ];
  const slice = (src: string, from: string, to: string, out: string): onnx.INodeProto =>
    node('Slice', [src, from, to, 'axLast'], [out]);
  const nodes: onnx.INodeProto[] = [
    // Discs around positive points: R - |grid - p|, and "far" for any other label (0, -1, -10 padding).
    slice('input_points', 's0', 's1', 'px'), // [1,B,N,1]
    slice('input_points', 's1', 's2', 'py'),
    node('Unsqueeze', ['px', 'axLast'], ['px5']), // [1,B,N,1,1]
    node('Unsqueeze', ['py', 'axLast'], ['py5']),
    node('Sub', ['gx5', 'px5'], ['ddx']),
    node('Sub', ['gy5', 'py5'], ['ddy']),
    node('Mul', ['ddx', 'ddx'], ['ddx2']),
    node('Mul', ['ddy', 'ddy'], ['ddy2']),
    node('Add', ['ddx2', 'ddy2'], ['dist2']), // [1,B,N,256,256]
    node('Sqrt', ['dist2'], ['dist']),
    node('Sub', ['radius', 'dist'], ['disc']),
    node('Equal', ['input_labels', 'one_i64'], ['positive']), // [1,B,N]
    node('Unsqueeze', ['positive', 'ax34'], ['positive5']),
    node('Where', ['positive5', 'disc', 'far'], ['discs']),
    node('ReduceMax', ['discs'], ['point_logits'], [intsAttr('axes', [2]), intAttr('keepdims', 0)]), // [1,B,256,256]
  ];
  let base = 'point_logits';
  if (withBoxes) {
    nodes.push(
      slice('input_boxes', 's0', 's1', 'bx1'), // [1,B,1]
      slice('input_boxes', 's1', 's2', 'by1'),
      slice('input_boxes', 's2', 's3', 'bx2'),
      slice('input_boxes', 's3', 's4', 'by2'),
      node('Unsqueeze', ['bx1', 'axLast'], ['bx1u']), // [1,B,1,1]
      node('Unsqueeze', ['by1', 'axLast'], ['by1u']),
      node('Unsqueeze', ['bx2', 'axLast'], ['bx2u']),
      node('Unsqueeze', ['by2', 'axLast'], ['by2u']),
      node('Sub', ['gx4', 'bx1u'], ['dl']),
      node('Sub', ['bx2u', 'gx4'], ['dr']),
      node('Sub', ['gy4', 'by1u'], ['dt']),
      node('Sub', ['by2u', 'gy4'], ['db']),
      node('Min', ['dl', 'dr', 'dt', 'db'], ['box_logits']), // [1,B,256,256]
      node('Max', ['box_logits', 'point_logits'], ['prompt_logits']),
    );
    base = 'prompt_logits';
  }
  nodes.push(
    // Touch both embeddings (times zero) so the graph really consumes what the encoder produced.
    node('ReduceMean', ['image_embeddings'], ['emb_mean'], [intAttr('keepdims', 0)]),
    node('ReduceMean', ['image_positional_embeddings'], ['pos_mean'], [intAttr('keepdims', 0)]),
    node('Add', ['emb_mean', 'pos_mean'], ['emb_sum']),
    node('Mul', ['emb_sum', 'zero'], ['emb_zero']),
    node('Add', [base, 'emb_zero'], ['logits']),
    node('Unsqueeze', ['logits', 'ax2'], ['logits5']), // [1,B,1,256,256]
    node('Add', ['logits5', 'offsets'], ['pred_masks']),
    // iou_scores [1,B,3]: a zero per prompt (derived from the logits to get B) plus the constant scores.
    node('ReduceMax', ['logits'], ['per_prompt'], [intsAttr('axes', [2, 3]), intAttr('keepdims', 0)]),
    node('Mul', ['per_prompt', 'zero'], ['per_prompt0']),
    node('Unsqueeze', ['per_prompt0', 'axLast'], ['per_prompt1']),
    node('Add', ['per_prompt1', 'scores'], ['iou_scores']),
  );
  const inputs = [
    valueInfo('input_points', F, [1, 'point_batch_size', 'nb_points_per_image', 2]),
    valueInfo('input_labels', I64, [1, 'point_batch_size', 'nb_points_per_image']),
    ...(withBoxes ? [valueInfo('input_boxes', F, [1, 'point_batch_size', 4])] : []),
    valueInfo('image_embeddings', F, [1, EMBED_CHANNELS, 64, 64]),
    valueInfo('image_positional_embeddings', F, [1, EMBED_CHANNELS, 64, 64]),
  ];
  return model({
    name: 'tiny_sam_prompt_encoder_mask_decoder',
    input: inputs,
    output: [
      valueInfo('iou_scores', F, [1, 'point_batch_size', 3]),
      valueInfo('pred_masks', F, [1, 'point_batch_size', 3, 256, 256]),
    ],
    initializer: init,
    node: nodes,
  });
}

/** config.json: SamModel.from_pretrained only needs model_type 'sam' (it picks the MaskGeneration sessions). */
const CONFIG = { model_type: 'sam', architectures: ['SamModel'] };

/**
 * preprocessor_config.json as in facebook/sam-vit-base: resize the longest edge to 1024, ImageNet
 * normalisation, pad bottom/right to 1024² (post_process_masks reads pad_size to undo it).
 * processor_class makes AutoProcessor return a SamProcessor; image_processor_type picks SamImageProcessor.
 */
const PREPROCESSOR = {
  do_convert_rgb: true,
  do_normalize: true,
  do_pad: true,
  do_rescale: true,
  do_resize: true,
  image_mean: [0.485, 0.456, 0.406],
  image_std: [0.229, 0.224, 0.225],
  image_processor_type: 'SamImageProcessor',
  processor_class: 'SamProcessor',
  pad_size: { height: 1024, width: 1024 },
  resample: 2,
  rescale_factor: 1 / 255,
  size: { longest_edge: 1024 },
};

/** Writes `<weightsDir>/<modelId>/` and returns that folder. */
export function writeTinySam(weightsDir: string, modelId: string, options: { withBoxes?: boolean } = {}): string {
  const dir = path.join(weightsDir, modelId);
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(CONFIG, null, 2));
  fs.writeFileSync(path.join(dir, 'preprocessor_config.json'), JSON.stringify(PREPROCESSOR, null, 2));
  fs.writeFileSync(path.join(dir, 'onnx', 'vision_encoder.onnx'), visionEncoder());
  fs.writeFileSync(path.join(dir, 'onnx', 'prompt_encoder_mask_decoder.onnx'), decoder(options.withBoxes ?? true));
  return dir;
}
