#!/usr/bin/env python3
"""fp16_convert.py (the onnx-only fp32 -> fp16 converter) on a small timestep-embedding-shaped graph.

Needs onnx and numpy; the numerical test also runs both graphs on onnxruntime-node (node + npm ci), else skips.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fp16_convert  # noqa: E402
import fp16_passes  # noqa: E402
from test_parity_runner import node_runner  # noqa: E402

F32, F16 = TensorProto.FLOAT, TensorProto.FLOAT16
BLOCKED = ["t_mul", "sin", "cos", "emb_cat", "freq_const"]


def fp32_graph():
    """emb = Concat(Sin(t*freq), Cos(t*freq)) (blocked) -> MatMul -> Add(scale shared with a blocked Mul) ->
    Resize (blocked by op type) -> Cast(to float) of a shape; plus a Constant read by the blocked Mul."""
    rng = np.random.default_rng(1)
    vi = helper.make_tensor_value_info
    nodes = [
        helper.make_node("Constant", [], ["freq"], value=numpy_helper.from_array(np.array([[0.7, 0.31, 0.05, 0.011]], np.float32)), name="freq_const"),
        helper.make_node("Mul", ["timestep", "freq"], ["phase"], name="t_mul"),
        helper.make_node("Sin", ["phase"], ["s"], name="sin"),
        helper.make_node("Cos", ["phase"], ["c"], name="cos"),
        helper.make_node("Concat", ["s", "c"], ["emb"], axis=1, name="emb_cat"),
        helper.make_node("MatMul", ["emb", "w"], ["h"], name="linear"),
        helper.make_node("Mul", ["h", "gain"], ["hg"], name="gain_mul"),
        helper.make_node("Mul", ["timestep", "gain"], ["tg"], name="t_gain"),  # blocked by name below: gain stays fp32 for it
        helper.make_node("Add", ["hg", "sample"], ["y"], name="add_sample"),
        helper.make_node("Reshape", ["y", "shape4"], ["y4"], name="to4d"),
        helper.make_node("Resize", ["y4", "", "scales"], ["up"], mode="nearest", name="resize"),
        helper.make_node("Shape", ["up"], ["up_shape"], name="shape"),
        helper.make_node("Cast", ["up_shape"], ["up_shape_f"], to=F32, name="shape_to_float"),
        helper.make_node("ReduceSum", ["up_shape_f"], ["n"], keepdims=1, name="count"),
        helper.make_node("Flatten", ["up"], ["flat"], axis=1, name="flatten"),
        helper.make_node("Mul", ["flat", "n"], ["flat_n"], name="times_count"),
        helper.make_node("Add", ["flat_n", "tg"], ["out"], name="plus_t"),
    ]
    inits = [
        numpy_helper.from_array((rng.standard_normal((8, 6)) * 0.3).astype(np.float32), "w"),
        numpy_helper.from_array(np.array(1.0001, np.float32), "gain"),
        numpy_helper.from_array(np.array([1, 1, 2, 3], np.int64), "shape4"),
        numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales"),
    ]
    g = helper.make_graph(nodes, "g", [vi("timestep", F32, [1, 1]), vi("sample", F32, [1, 6])], [vi("out", F32, [1, 24]), vi("emb", F32, [1, 8])], initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def converted():
    model = fp16_convert.convert_to_fp16(fp32_graph(), node_block_list=BLOCKED + ["t_gain"])
    summary = fp16_passes.finish_fp16(model, BLOCKED + ["t_gain"])
    return model, summary


def test_blocked_chain_is_fp32_throughout_and_the_rest_fp16():
    model, summary = converted()
    onnx.checker.check_model(model, full_check=True)
    assert fp16_passes.is_topologically_sorted(model.graph)
    assert summary["round_trips_left"] == 0 and summary["reads_fp16"] == []
    inferred = onnx.shape_inference.infer_shapes(model)
    types = fp16_passes.elem_types(inferred.graph)
    by = {n.name: n for n in model.graph.node}
    for name in ("t_mul", "sin", "cos", "emb_cat"):
        assert all(types[v] == F32 for v in list(by[name].input) + list(by[name].output)), name
    assert by["t_mul"].input[0] == "timestep"  # the fp32 input read directly, no cast
    assert [types[v] for v in by["linear"].input] == [F16, F16]
    # an initializer read by fp32 and fp16 nodes: the fp32 reader keeps the original, the other gets an fp16 copy
    inits = {t.name: t.data_type for t in model.graph.initializer}
    assert by["t_gain"].input[1] == "gain" and inits["gain"] == F32
    assert inits[by["gain_mul"].input[1]] == F16
    assert types[by["resize"].input[0]] == F32 and types[by["resize"].input[2]] == F32  # op block list
    assert fp16_passes.cast_to(by["shape_to_float"]) == F16
    assert [o.type.tensor_type.elem_type for o in model.graph.output] == [F32, F32]
    assert [i.type.tensor_type.elem_type for i in model.graph.input] == [F32, F32]


def test_values_survive_conversion_on_onnxruntime():
    runner = node_runner()
    feeds = {"timestep": np.array([[981.0]], np.float32), "sample": np.array([[0.1, -0.2, 0.3, 0.05, -0.4, 0.2]], np.float32)}
    model, _ = converted()
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "fp32.onnx", Path(tmp) / "fp16.onnx"
        onnx.save_model(fp32_graph(), str(a))
        onnx.save_model(model, str(b))
        want, got = runner.run_all([(a, feeds), (b, feeds)])
    assert not isinstance(got, str), got
    rel = np.linalg.norm(got - want) / np.linalg.norm(want)
    assert rel < 2e-3, rel
    assert got.dtype == np.float32


def test_fp16_array_keeps_sign_and_finiteness():
    got = fp16_convert.to_fp16_array(np.array([1e-9, -1e-9, 1e6, -1e6, 0.0, np.inf, 0.5], np.float32))
    assert got.dtype == np.float16
    assert got[0] > 0 and got[1] < 0 and got[2] == 65504 and got[3] == -65504 and got[4] == 0 and np.isinf(got[5]) and got[6] == 0.5


def test_refuses_subgraphs():
    body = helper.make_graph([], "b", [], [helper.make_tensor_value_info("x", F32, [1])])
    node = helper.make_node("If", ["c"], ["y"], then_branch=body, else_branch=body, name="if")
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("c", TensorProto.BOOL, [])], [helper.make_tensor_value_info("y", F32, [1])])
    try:
        fp16_convert.convert_to_fp16(helper.make_model(g), infer_shapes=False)
        raise AssertionError("a subgraph was converted")
    except NotImplementedError as e:
        assert "subgraph" in str(e)


if __name__ == "__main__":
    import run_tests

    sys.exit(run_tests.run(["test_fp16_convert"]))
