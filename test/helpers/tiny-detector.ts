/**
 * Writes a tiny Grounding DINO–contract model folder for tests (nothing binary is committed): the same files
 * and the same ONNX I/O names as onnx-community/grounding-dino-tiny-ONNX, but the "model" is a hand-built
 * graph that finds the bright region of the image. transformers.js cannot tell the difference, so the whole
 * load → preprocess → tokenize → run → post-process path is exercised for real.
 *
 * Graph behaviour (P = 5 queries, L = text length):
 *   q0: box = bounding box of pixels whose channel-mean (after ImageNet normalisation) is > 0.5 (≈ luma > 60 %),
 *       logit +4 (score 0.98) on word tokens when such pixels exist, −4 (0.018) when the image has none;
 *   q1: a medium decoy, fixed box running off the bottom-right, score 0.2 (below BrushEdit's 0.3 and 0.25);
 *   q2: a duplicate of q0's box at score 0.5 (non-maximum suppression must drop it), 0.018 with nothing bright;
 *   q3, q4: low decoys, score 0.03 (found only by the cascade's last thresholds).
 * Special tokens ([PAD] [CLS] [SEP] and ".") get −8 so label decoding sees only the phrase's words.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { onnx } from 'onnx-proto';
// Default import: onnx-proto is CommonJS and Node's own ESM loader (tsx scripts) cannot see its named export.
import onnxProto from 'onnx-proto';

const proto = onnxProto.onnx;

export const tinyDetectorId = 'tiny-grounding-dino';

/** Words the tiny tokenizer knows; anything else becomes [UNK] (which the graph still treats as a word). */
const vocabWords = ['.', 'dog', 'cat', 'the', 'left', 'right', 'white', 'square', 'a', 'box', 'bird', 'of', 'red'];
const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/** The decoys' fixed boxes (cx, cy, w, h normalised) and scores, exported so tests can assert on them. */
export const decoys = {
  medium: { box: [0.85, 0.9, 0.2, 0.3], score: 0.2 }, // runs off the bottom edge: boxes must be clipped
  low: [
    { box: [0.1, 0.9, 0.1, 0.1], score: 0.03 },
    { box: [0.9, 0.1, 0.1, 0.1], score: 0.03 },
  ],
  duplicateScore: 0.5,
} as const;

const logit = (p: number) => Math.log(p / (1 - p));

/**
 * Writes `<weightsDir>/<modelId>/` and returns the folder. `family: 'owlv2'` writes the OWLv2 folder contract
 * instead (same graph and tokenizer; the OWLv2 config, a square resize and the Owlv2Processor class name that
 * transformers.js does not have), to exercise the detector's OWL path.
 */
export function writeTinyDetector(weightsDir: string, modelId = tinyDetectorId, options: { family?: 'grounding-dino' | 'owlv2' } = {}): string {
  const owl = options.family === 'owlv2';
  const dir = path.join(weightsDir, modelId);
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  const json = (name: string, value: unknown) => fs.writeFileSync(path.join(dir, name), JSON.stringify(value, null, 2));
  // model_type picks GroundingDinoForObjectDetection (or Owlv2ForObjectDetection) through
  // AutoModelForZeroShotObjectDetection.
  json('config.json', owl
    ? { model_type: 'owlv2', architectures: ['Owlv2ForObjectDetection'] }
    : { model_type: 'grounding-dino', architectures: ['GroundingDinoForObjectDetection'], num_queries: 5 });
  // processor_class makes AutoProcessor build GroundingDinoProcessor (image processor + tokenizer + pixel_mask).
  // The real file says shortest 800 / longest 1333; small edges keep pixel_values tiny but keep the aspect ratio.
  // OWLv2's real file: 960×960, CLIP mean/std, processor_class Owlv2Processor.
  json('preprocessor_config.json', {
    processor_class: owl ? 'Owlv2Processor' : 'GroundingDinoProcessor',
    image_processor_type: owl ? 'Owlv2ImageProcessor' : 'GroundingDinoImageProcessor',
    do_resize: true,
    size: owl ? { height: 64, width: 64 } : { shortest_edge: 64, longest_edge: 128 },
    resample: 2,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [0.485, 0.456, 0.406],
    image_std: [0.229, 0.224, 0.225],
    do_pad: true,
    ...(owl ? {} : { format: 'coco_detection' }),
  });
  json('tokenizer.json', tokenizerJson());
  // Without tokenizer_config.json transformers.js silently loads no tokenizer; BertTokenizer returns token_type_ids.
  json('tokenizer_config.json', {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
    model_max_length: 256,
  });
  fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), proto.ModelProto.encode(buildGraph()).finish());
  return dir;
}

function tokenizerJson(): unknown {
  const vocab: Record<string, number> = {};
  [...specials, ...vocabWords].forEach((token, id) => (vocab[token] = id));
  const special = (id: string) => ({ id, ids: [vocab[id]], tokens: [id] });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, id) => ({
      id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': special('[CLS]'), '[SEP]': special('[SEP]') },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

// ---- ONNX graph construction ----

const FLOAT = proto.TensorProto.DataType.FLOAT;
const INT64 = proto.TensorProto.DataType.INT64;
const BOOL = proto.TensorProto.DataType.BOOL;
const A = proto.AttributeProto.AttributeType;

type Attr = { name: string; type: onnx.AttributeProto.AttributeType; i?: number; ints?: number[]; f?: number };
const ints = (name: string, values: number[]): Attr => ({ name, type: A.INTS, ints: values });
const int = (name: string, value: number): Attr => ({ name, type: A.INT, i: value });

function buildGraph(): onnx.IModelProto {
  const nodes: onnx.INodeProto[] = [];
  const inits: onnx.ITensorProto[] = [];
  let counter = 0;
  const op = (opType: string, inputs: string[], attrs: Attr[] = []): string => {
    const out = `${opType.toLowerCase()}_${counter++}`;
    nodes.push({ opType, input: inputs, output: [out], name: out, attribute: attrs });
    return out;
  };
  const constF = (values: number[], dims: number[]): string => {
    const name = `cf_${counter++}`;
    inits.push({ name, dataType: FLOAT, dims, floatData: values });
    return name;
  };
  const constI = (values: number[], dims: number[]): string => {
    const name = `ci_${counter++}`;
    inits.push({ name, dataType: INT64, dims, int64Data: values });
    return name;
  };
  const cast = (x: string, to: number) => op('Cast', [x], [int('to', to)]);

  // Bright pixels, restricted to the valid (unpadded) area given by pixel_mask.
  const luma = op('ReduceMean', ['pixel_values'], [ints('axes', [1]), int('keepdims', 0)]); // [1,H,W]
  const bright = op('And', [op('Greater', [luma, constF([0.5], [])]), cast('pixel_mask', BOOL)]);
  const brightF = cast(bright, FLOAT);
  const colAny = op('ReduceMax', [brightF], [ints('axes', [1]), int('keepdims', 0)]); // [1,W]
  const rowAny = op('ReduceMax', [brightF], [ints('axes', [2]), int('keepdims', 0)]); // [1,H]
  const anyF = op('ReduceMax', [colAny], [ints('axes', [1]), int('keepdims', 0)]); // [1]
  const anyB = op('Greater', [anyF, constF([0.5], [])]);

  const shape = op('Shape', ['pixel_values']);
  // [lo, hi) in normalised units along one axis; the whole axis when nothing is bright.
  const extent = (present: string, axis: number): [string, string] => {
    const size = op('Gather', [shape, constI([axis], [])], [int('axis', 0)]); // scalar int64
    const sizeF = cast(size, FLOAT);
    const ramp = cast(op('Range', [constI([0], []), size, constI([1], [])]), FLOAT); // [N]
    const has = op('Greater', [present, constF([0.5], [])]);
    const lo = op('ReduceMin', [op('Where', [has, ramp, constF([1e9], [])])], [ints('axes', [1]), int('keepdims', 0)]);
    const hi = op('ReduceMax', [op('Where', [has, ramp, constF([-1], [])])], [ints('axes', [1]), int('keepdims', 0)]);
    const loN = op('Div', [op('Where', [anyB, lo, constF([0], [1])]), sizeF]);
    const hiN = op('Div', [op('Where', [anyB, op('Add', [hi, constF([1], [])]), sizeF]), sizeF]);
    return [loN, hiN];
  };
  const [x0, x1] = extent(colAny, 3);
  const [y0, y1] = extent(rowAny, 2);
  const half = constF([0.5], []);
  const cx = op('Mul', [op('Add', [x0, x1]), half]);
  const cy = op('Mul', [op('Add', [y0, y1]), half]);
  const w = op('Sub', [x1, x0]);
  const h = op('Sub', [y1, y0]);
  const box0 = op('Unsqueeze', [op('Concat', [cx, cy, w, h], [int('axis', 0)]), constI([0], [1])]); // [1,4]
  const fixed = (b: readonly number[]) => constF([...b], [1, 4]);
  const boxes = op('Concat', [box0, fixed(decoys.medium.box), box0, fixed(decoys.low[0].box), fixed(decoys.low[1].box)], [int('axis', 0)]);
  nodes.push({ opType: 'Unsqueeze', input: [boxes, constI([0], [1])], output: ['pred_boxes'], name: 'pred_boxes' });

  // Per-query logit on word tokens: q0 and its duplicate depend on whether anything is bright.
  const q0 = op('Sub', [op('Mul', [anyF, constF([8], [])]), constF([4], [])]); // [1]
  const q2 = op('Sub', [op('Mul', [anyF, constF([4 + logit(decoys.duplicateScore)], [])]), constF([4], [])]);
  const q1 = constF([logit(decoys.medium.score)], [1]);
  const lows = constF([logit(decoys.low[0].score), logit(decoys.low[1].score)], [2]);
  const perQuery = op('Reshape', [op('Concat', [q0, q1, q2, lows], [int('axis', 0)]), constI([1, 5, 1], [3])]); // [1,P,1]

  // Word tokens: not [PAD]/[CLS]/[SEP]/[MASK]/"." (ids 0,2,3,4,5), attended, first segment. [UNK] (1) counts.
  const ids = 'input_ids';
  const notSpecial = op('Or', [op('Greater', [ids, constI([5], [])]), op('Equal', [ids, constI([1], [])])]);
  const attended = op('Equal', ['attention_mask', constI([1], [])]);
  const firstSegment = op('Equal', ['token_type_ids', constI([0], [])]);
  const word = op('Unsqueeze', [cast(op('And', [op('And', [notSpecial, attended]), firstSegment]), FLOAT), constI([1], [1])]); // [1,1,L]
  const wordPart = op('Mul', [word, perQuery]); // [1,P,L]
  const otherPart = op('Mul', [op('Sub', [constF([1], []), word]), constF([-8], [])]); // [1,1,L]
  nodes.push({ opType: 'Add', input: [wordPart, otherPart], output: ['logits'], name: 'logits' });

  const io = (name: string, elemType: number, dims: (number | string)[]): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'brushtalk-test-tiny-detector',
    graph: {
      name: 'tiny_grounding_dino',
      node: nodes,
      initializer: inits,
      input: [
        io('pixel_values', FLOAT, ['batch_size', 3, 'height', 'width']),
        io('input_ids', INT64, ['batch_size', 'sequence_length']),
        io('token_type_ids', INT64, ['batch_size', 'sequence_length']),
        io('attention_mask', INT64, ['batch_size', 'sequence_length']),
        io('pixel_mask', INT64, ['batch_size', 'height', 'width']),
      ],
      output: [io('logits', FLOAT, ['batch_size', 5, 'sequence_length']), io('pred_boxes', FLOAT, ['batch_size', 5, 4])],
    },
  };
}
