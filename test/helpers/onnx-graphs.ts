import onnxProto from 'onnx-proto';

/**
 * Tiny real ONNX models, built in the test, for code that loads graphs with onnxruntime. They are real
 * protobuf files (opset 17, IR version 8) that onnxruntime-node loads and runs; only the weights are fake.
 */

// onnx-proto is CommonJS; Node's ESM loader only sees its default export.
const { onnx } = onnxProto;

export type ElementType = 'float32' | 'int64' | 'bool';

export interface TensorSpec {
  name: string;
  type?: ElementType;
  /** Numbers are fixed sizes, strings are named dynamic dimensions; default ['n'] (one dynamic axis). */
  shape?: (number | string)[];
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, number | number[]>;
}

const ELEMENT: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

function valueInfo(spec: TensorSpec) {
  const dims = (spec.shape ?? ['n']).map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name: spec.name, type: { tensorType: { elemType: ELEMENT[spec.type ?? 'float32'], shape: { dim: dims } } } };
}

function attribute(name: string, value: number | number[]) {
  if (Array.isArray(value)) return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: value };
  return Number.isInteger(value)
    ? { name, type: onnx.AttributeProto.AttributeType.INT, i: value }
    : { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value };
}

/** Any small graph: named inputs and outputs and the nodes between them. */
export function buildGraph(spec: { inputs: TensorSpec[]; outputs: TensorSpec[]; nodes: NodeSpec[]; name?: string; opset?: number }): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'brushtalk-tests',
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }],
    graph: {
      name: spec.name ?? 'test-graph',
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      node: spec.nodes.map((n, i) => ({
        name: `${n.op.toLowerCase()}_${i}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attribute(k, v)),
      })),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * A graph whose outputs are copies of its inputs (output j = input j mod the number of inputs): the
 * smallest model with exactly the input and output names a contract asks for.
 */
export function identityGraph(inputs: string[], outputs: string[]): Uint8Array {
  if (inputs.length === 0 || outputs.length === 0) throw new Error('identityGraph needs at least one input and one output');
  return buildGraph({
    inputs: inputs.map((name) => ({ name })),
    outputs: outputs.map((name) => ({ name })),
    nodes: outputs.map((name, j) => ({ op: 'Identity', inputs: [inputs[j % inputs.length]], outputs: [name] })),
  });
}
