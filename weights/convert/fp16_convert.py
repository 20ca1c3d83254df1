"""An fp32 -> fp16 converter that needs only `onnx` and numpy: export_brushnet.py --fp16 uses it when onnxruntime's
converter (onnxruntime.transformers.float16) is not installed, e.g. with Debian's packages, which have no onnxruntime.

What it does, as onnxruntime's converter does it (keep_io_types=True): float initializers, attributes and values of
every node become fp16, graph inputs and outputs stay float32 behind Casts, and the nodes of a block list (by name:
the timestep embedding; by op type: ops whose fp16 versions are missing or imprecise) stay fp32. Where it differs:
each value gets a Cast only where a reader needs the other type (one Cast per value and type, shared by every
reader), so a chain of blocked nodes passes fp32 values directly and no fp32 -> fp16 -> fp32 round trip is made;
an fp32 initializer read by fp32 and fp16 nodes gets an fp16 copy for the latter instead of rounding it for all.
Graphs with subgraphs (If, Loop, Scan) are refused: the BrushNet exports have none.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT, FLOAT16 = TensorProto.FLOAT, TensorProto.FLOAT16
# Op types kept fp32 by default, the list onnxruntime's converter uses (ops without fp16 kernels or whose float
# inputs are coordinates: Resize scales, Range bounds, TopK, ...).
DEFAULT_OP_BLOCK_LIST = {
    "ArrayFeatureExtractor", "Binarizer", "CastMap", "CategoryMapper", "DictVectorizer", "FeatureVectorizer", "Imputer",
    "LabelEncoder", "LinearClassifier", "LinearRegressor", "Normalizer", "OneHotEncoder", "SVMClassifier",
    "SVMRegressor", "Scaler", "TreeEnsembleClassifier", "TreeEnsembleRegressor", "ZipMap", "NonMaxSuppression",
    "TopK", "RoiAlign", "Resize", "Range", "CumSum", "Min", "Max", "Upsample",
}
FP16_MAX, FP16_MIN_POSITIVE = 65504.0, 5.96e-08


def to_fp16_array(a: np.ndarray) -> np.ndarray:
    """float32 -> float16 keeping sign and finiteness: tiny values do not flush to 0, large ones saturate."""
    a = np.asarray(a, dtype=np.float32)
    a = np.where((a > 0) & (a < FP16_MIN_POSITIVE), FP16_MIN_POSITIVE, a)
    a = np.where((a < 0) & (a > -FP16_MIN_POSITIVE), -FP16_MIN_POSITIVE, a)
    a = np.where(np.isfinite(a), np.clip(a, -FP16_MAX, FP16_MAX), a)
    return a.astype(np.float16)


def _tensor_to_fp16(t: TensorProto) -> TensorProto:
    return numpy_helper.from_array(to_fp16_array(numpy_helper.to_array(t)), t.name)


def convert_to_fp16(model, node_block_list=(), op_block_list=DEFAULT_OP_BLOCK_LIST, infer_shapes: bool = True):
    """The converted model (inputs and outputs keep float32). Value types must be known: infer_shapes=True infers
    them in memory into a new model; with False (after onnx.shape_inference.infer_shapes_path, for graphs over
    protobuf's 2 GB) the given model is converted in place, as copying it would serialise it."""
    if infer_shapes:
        model = onnx.shape_inference.infer_shapes(model)
    g = model.graph
    for n in g.node:
        if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in n.attribute):
            raise NotImplementedError(f"{n.name or n.op_type} has a subgraph; this converter does not handle If/Loop/Scan")
    names, ops = set(node_block_list), set(op_block_list)
    blocked = lambda n: n.name in names or n.op_type in ops  # noqa: E731

    types = {}
    for v in list(g.input) + list(g.output) + list(g.value_info):
        if v.type.HasField("tensor_type"):
            types[v.name] = v.type.tensor_type.elem_type
    inits = {t.name: t for t in g.initializer}
    for t in g.initializer:
        types[t.name] = t.data_type
    readers = defaultdict(list)
    for n in g.node:
        for i in n.input:
            if i:
                readers[i].append(n)

    # 1. Initializers: fp16 for fp16 readers; an fp16 copy when fp32 readers need the original too.
    produced = {}  # value -> the float type it has after conversion
    renamed_for_fp16 = {}
    for name, t in inits.items():
        if t.data_type != FLOAT:
            continue
        want16 = any(not blocked(r) for r in readers[name])
        want32 = any(blocked(r) for r in readers[name])
        if want16 and want32:
            copy = _tensor_to_fp16(t)
            copy.name = f"{name}_fp16"
            g.initializer.append(copy)
            renamed_for_fp16[name] = copy.name
            produced[name] = FLOAT
        elif want16:
            t.CopyFrom(_tensor_to_fp16(t))
            produced[name] = FLOAT16
        else:
            produced[name] = FLOAT
    for i in g.input:
        if types.get(i.name) == FLOAT:
            produced[i.name] = FLOAT

    # 2. Nodes: non-blocked ones compute in fp16 (float outputs, Cast targets, float attributes become fp16).
    for n in g.node:
        if blocked(n):
            for o in n.output:
                if types.get(o) == FLOAT:
                    produced[o] = FLOAT
            continue
        for a in n.attribute:
            if a.name == "to" and n.op_type == "Cast" and a.i == FLOAT:
                a.i = FLOAT16
            elif a.name == "dtype" and a.i == FLOAT:
                a.i = FLOAT16
            elif a.type == onnx.AttributeProto.TENSOR and a.t.data_type == FLOAT:
                a.t.CopyFrom(_tensor_to_fp16(a.t))
            elif a.type == onnx.AttributeProto.TENSORS:
                for k, t in enumerate(a.tensors):
                    if t.data_type == FLOAT:
                        a.tensors[k].CopyFrom(_tensor_to_fp16(t))
        for o in n.output:
            if types.get(o) in (FLOAT, FLOAT16):
                produced[o] = FLOAT16

    # 3. Casts where a reader needs the other type (shared per value and type), and at fp32 graph outputs.
    casts = {}
    new_nodes = []

    def cast_of(value: str, to: int) -> str:
        key = (value, to)
        if key not in casts:
            out = f"{value}_as_{'fp16' if to == FLOAT16 else 'fp32'}"
            casts[key] = out
            new_nodes.append(helper.make_node("Cast", [value], [out], to=to, name=f"{out}_cast"))
        return casts[key]

    for n in list(g.node):
        need = FLOAT if blocked(n) else FLOAT16
        for k, i in enumerate(n.input):
            if i not in produced:
                continue
            if need == FLOAT16 and i in renamed_for_fp16:
                n.input[k] = renamed_for_fp16[i]
            elif produced[i] != need:
                n.input[k] = cast_of(i, need)
    for o in g.output:
        if produced.get(o.name) == FLOAT16:
            inner = f"{o.name}_fp16"
            for n in g.node:
                n.output[:] = [inner if x == o.name else x for x in n.output]
                n.input[:] = [inner if x == o.name else x for x in n.input]
            new_nodes.append(helper.make_node("Cast", [inner], [o.name], to=FLOAT, name=f"{o.name}_output_cast"))
            produced[inner] = FLOAT16
    g.node.extend(new_nodes)

    # 4. Types: value_info follows what each value now is (shape inference re-derives the rest).
    for v in g.value_info:
        if v.name in produced and v.type.HasField("tensor_type"):
            v.type.tensor_type.elem_type = produced[v.name]
    return model
