#!/usr/bin/env python3
"""Tests of fp16_passes.py on small synthetic ONNX graphs shaped like onnxruntime's float16 converter output.

Needs only `onnx` and `numpy` (Debian: apt-get install python3-onnx). Run either way:
    /usr/bin/python3 -m pytest weights/convert/test_fp16_passes.py
    /usr/bin/python3 weights/convert/test_fp16_passes.py      # or run_tests.py for every test file here
"""

from __future__ import annotations

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fp16_passes as fp  # noqa: E402

F32, F16 = TensorProto.FLOAT, TensorProto.FLOAT16
FREQ = np.array([0.7, 0.31, 0.05, 0.011], dtype=np.float32)  # t * freq reaches ~700 rad at t = 999
BLOCKED = ["t_mul", "sin", "cos", "emb_cat"]


def cast(name, src, dst, to):
    return helper.make_node("Cast", [src], [dst], to=to, name=name)


def converted_graph():
    """What the converter makes of: emb = Concat(Sin(t*freq), Cos(t*freq)) (blocked, fp32), then an fp16 MatMul
    and Add with the sample, plus a second fp16 reader of t*freq and an fp32 graph output of the embedding.
    Node order is the converter's: the casts it inserts are appended at the end (not topologically sorted)."""
    nodes = [
        # the blocked nodes, their outputs renamed to <node>_output_cast_0, inputs to <node>_input_cast_<i>
        helper.make_node("Mul", ["t_mul_input_cast_0", "freq"], ["t_mul_output_cast_0"], name="t_mul"),
        helper.make_node("Sin", ["sin_input_cast_0"], ["sin_output_cast_0"], name="sin"),
        helper.make_node("Cos", ["cos_input_cast_0"], ["cos_output_cast_0"], name="cos"),
        helper.make_node("Concat", ["emb_cat_input_cast_0", "emb_cat_input_cast_1"], ["emb_cat_output_cast_0"], axis=1, name="emb_cat"),
        # the genuine fp16 part
        helper.make_node("MatMul", ["emb", "w16"], ["h"], name="linear"),
        helper.make_node("Add", ["h", "graph_input_cast_1"], ["graph_output_cast_0"], name="add_sample"),
        helper.make_node("Mul", ["phase", "half16"], ["phase_half"], name="fp16_reader"),
        helper.make_node("ReduceSum", ["phase_half"], ["phase_sum"], keepdims=1, name="fp16_sum"),
        helper.make_node("Add", ["graph_output_cast_0", "phase_sum"], ["graph_output_cast_0b"], name="add_phase"),
        # the converter's casts, appended last
        cast("graph_input_cast0", "timestep", "graph_input_cast_0", F16),
        cast("graph_input_cast1", "sample", "graph_input_cast_1", F16),
        cast("t_mul_input_cast0", "graph_input_cast_0", "t_mul_input_cast_0", F32),
        cast("t_mul_output_cast0", "t_mul_output_cast_0", "phase", F16),
        cast("sin_input_cast0", "phase", "sin_input_cast_0", F32),
        cast("cos_input_cast0", "phase", "cos_input_cast_0", F32),
        cast("sin_output_cast0", "sin_output_cast_0", "s", F16),
        cast("cos_output_cast0", "cos_output_cast_0", "c", F16),
        cast("emb_cat_input_cast0", "s", "emb_cat_input_cast_0", F32),
        cast("emb_cat_input_cast1", "c", "emb_cat_input_cast_1", F32),
        cast("emb_cat_output_cast0", "emb_cat_output_cast_0", "emb", F16),
        cast("emb_output_cast", "emb", "emb_fp32", F32),  # an fp32 graph output read back from fp16
        cast("graph_output_cast0", "graph_output_cast_0b", "noise_pred", F32),
    ]
    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array(FREQ.reshape(1, 4), "freq"),
        numpy_helper.from_array((rng.standard_normal((8, 3)) * 0.3).astype(np.float16), "w16"),
        numpy_helper.from_array(np.array(0.5, dtype=np.float16), "half16"),
    ]
    vi = lambda n, t, s: helper.make_tensor_value_info(n, t, s)  # noqa: E731
    value_info = [
        vi("t_mul_input_cast_0", F32, [1, 1]), vi("t_mul_output_cast_0", F32, [1, 4]), vi("phase", F16, [1, 4]),
        vi("sin_input_cast_0", F32, [1, 4]), vi("cos_input_cast_0", F32, [1, 4]),
        vi("sin_output_cast_0", F32, [1, 4]), vi("cos_output_cast_0", F32, [1, 4]), vi("s", F16, [1, 4]), vi("c", F16, [1, 4]),
        vi("emb_cat_input_cast_0", F32, [1, 4]), vi("emb_cat_input_cast_1", F32, [1, 4]),
        vi("emb_cat_output_cast_0", F32, [1, 8]), vi("emb", F16, [1, 8]), vi("h", F16, [1, 3]),
        vi("graph_input_cast_0", F16, [1, 1]), vi("graph_input_cast_1", F16, [1, 3]),
        vi("phase_half", F16, [1, 4]), vi("phase_sum", F16, [1, 1]),
        vi("graph_output_cast_0", F16, [1, 3]), vi("graph_output_cast_0b", F16, [1, 3]),
    ]
    graph = helper.make_graph(
        nodes, "converted",
        [vi("timestep", F32, [1, 1]), vi("sample", F32, [1, 3])],
        [vi("noise_pred", F32, [1, 3]), vi("emb_fp32", F32, [1, 8])],
        initializer=inits, value_info=value_info,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def run(model, feeds):
    """A tiny evaluator for the ops above (onnx.reference needs onnx >= 1.13; Debian 12 has 1.12)."""
    env = dict(feeds)
    env.update({t.name: numpy_helper.to_array(t) for t in model.graph.initializer})
    ops = {
        "Mul": lambda a, b, n: a * b, "Add": lambda a, b, n: a + b, "MatMul": lambda a, b, n: a @ b,
        "Sin": lambda a, n: np.sin(a), "Cos": lambda a, n: np.cos(a), "Identity": lambda a, n: a,
        "Cast": lambda a, n: a.astype(np.float16 if fp.cast_to(n) == F16 else np.float32),
        "Concat": lambda a, b, n: np.concatenate([a, b], axis=1),
        "ReduceSum": lambda a, n: a.sum(axis=1, keepdims=True).astype(a.dtype),
    }
    pending = list(model.graph.node)
    while pending:  # evaluates in dependency order whatever the node order
        n = next(n for n in pending if all(i in env for i in n.input))
        pending.remove(n)
        env[n.output[0]] = ops[n.op_type](*[env[i] for i in n.input], n)
    return {o.name: env[o.name] for o in model.graph.output}


def feeds():
    return {"timestep": np.array([[999.0]], dtype=np.float32), "sample": np.array([[0.1, -0.2, 0.3]], dtype=np.float32)}


def fp32_embedding():
    phase = np.float32(999.0) * FREQ.reshape(1, 4)
    return np.concatenate([np.sin(phase), np.cos(phase)], axis=1).astype(np.float32)


def test_the_synthetic_graph_has_the_converters_defects():
    model = converted_graph()
    assert len(fp.find_round_trips(model.graph)) == 6  # timestep, t*freq (to Sin and to Cos), sin, cos, emb (a graph output)
    assert not fp.is_topologically_sorted(model.graph)
    try:
        onnx.checker.check_model(model, full_check=True)
        raise AssertionError("onnx.checker accepted an unsorted graph")
    except onnx.checker.ValidationError:
        pass
    # and the round trips cost precision: t*freq in fp16 loses the phase of Sin/Cos.
    err = np.abs(run(model, feeds())["emb_fp32"] - fp32_embedding()).max()
    assert err > 0.05, err


def test_removes_every_round_trip_and_keeps_the_embedding_fp32():
    model = converted_graph()
    summary = fp.finish_fp16(model, BLOCKED)
    assert summary["round_trips_removed"] == 6
    assert summary["round_trips_left"] == 0 and fp.find_round_trips(model.graph) == []
    assert summary["kept_fp32"] == 4 and summary["reads_fp16"] == []
    # no Cast(to fp32) reads a Cast(to fp16) of an fp32 value, by an independent walk
    producer = {o: n for n in model.graph.node for o in n.output}
    for n in model.graph.node:
        if fp.cast_to(n) == F32:
            p = producer.get(n.input[0])
            assert p is None or fp.cast_to(p) != F16, (n.name, p.name)
    out = run(model, feeds())
    np.testing.assert_array_equal(out["emb_fp32"], fp32_embedding())
    assert out["emb_fp32"].dtype == np.float32


def test_keeps_the_genuine_fp16_path():
    model = converted_graph()
    before = run(model, feeds())["noise_pred"]
    fp.finish_fp16(model, BLOCKED)
    by_name = {n.name: n for n in model.graph.node}
    types = fp.elem_types(model.graph)
    # the fp16 consumers still read fp16 values made by the converter's casts
    assert [types[i] for i in by_name["linear"].input] == [F16, F16]
    assert fp.cast_to(by_name["emb_cat_output_cast0"]) == F16 and by_name["linear"].input[0] == "emb"
    assert fp.cast_to(by_name["t_mul_output_cast0"]) == F16 and by_name["fp16_reader"].input[0] == "phase"
    assert fp.cast_to(by_name["graph_input_cast1"]) == F16 and fp.cast_to(by_name["graph_output_cast0"]) == F32
    # the casts that fed only round trips are gone; the graph input cast of the timestep had no other reader
    for gone in ("graph_input_cast0", "t_mul_input_cast0", "sin_input_cast0", "cos_input_cast0", "emb_cat_input_cast0", "sin_output_cast0"):
        assert gone not in by_name, gone
    assert by_name["t_mul"].input[0] == "timestep"
    # the fp32 graph output keeps its name, now an Identity of the fp32 embedding
    assert by_name["emb_output_cast"].op_type == "Identity" and by_name["emb_output_cast"].input[0] == "emb_cat_output_cast_0"
    after = run(model, feeds())["noise_pred"]
    assert after.dtype == np.float32 and not np.array_equal(after, before)
    # exactly the fp16 maths on the exact embedding: MatMul and the adds still run in fp16
    w16 = numpy_helper.to_array(next(t for t in model.graph.initializer if t.name == "w16"))
    phase16 = (np.float32(999.0) * FREQ.reshape(1, 4)).astype(np.float16)
    want = fp32_embedding().astype(np.float16) @ w16 + feeds()["sample"].astype(np.float16)
    want = want + (phase16 * np.float16(0.5)).sum(axis=1, keepdims=True).astype(np.float16)
    np.testing.assert_array_equal(after, want.astype(np.float32))


def test_sorted_and_checker_valid_after_the_passes():
    model = converted_graph()
    fp.finish_fp16(model, BLOCKED)
    assert fp.is_topologically_sorted(model.graph)
    onnx.checker.check_model(model, full_check=True)  # full_check also infers and checks every type
    names = [n.name for n in model.graph.node]
    assert len(names) == len(set(names))


def test_topological_sort_is_stable_and_refuses_cycles():
    a = helper.make_node("Relu", ["x"], ["a"], name="a")
    b = helper.make_node("Relu", ["a"], ["b"], name="b")
    c = helper.make_node("Relu", ["x"], ["c"], name="c")
    d = helper.make_node("Add", ["b", "c"], ["y"], name="d")
    vi = helper.make_tensor_value_info
    g = helper.make_graph([d, b, c, a], "g", [vi("x", F32, [1])], [vi("y", F32, [1])])
    fp.topological_sort(g)
    assert [n.name for n in g.node] == ["c", "a", "b", "d"]
    loop = helper.make_graph([helper.make_node("Relu", ["q"], ["p"], name="p"), helper.make_node("Relu", ["p"], ["q"], name="q")], "l", [], [])
    try:
        fp.topological_sort(loop)
        raise AssertionError("a cycle was sorted")
    except ValueError as e:
        assert "cycle" in str(e)


def test_duplicate_names_are_made_unique():
    vi = helper.make_tensor_value_info
    nodes = [helper.make_node("Relu", ["x"], ["a"], name="cast"), helper.make_node("Relu", ["a"], ["y"], name="cast")]
    g = helper.make_graph(nodes, "g", [vi("x", F32, [1])], [vi("y", F32, [1])])
    assert fp.uniquify_node_names(g) == 1
    assert len({n.name for n in g.node}) == 2


def test_an_int_to_fp16_cast_is_not_a_round_trip():
    """Cast(int64 -> fp16 -> fp32) rounds through fp16 for a reason the pass cannot undo: it must stay."""
    vi = helper.make_tensor_value_info
    nodes = [cast("down", "ids", "h", F16), cast("back", "h", "y", F32)]
    g = helper.make_graph(nodes, "g", [vi("ids", TensorProto.INT64, [1])], [vi("y", F32, [1])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    assert fp.remove_cast_round_trips(m) == 0
    assert [n.name for n in m.graph.node] == ["down", "back"]


if __name__ == "__main__":
    import run_tests

    sys.exit(run_tests.run(["test_fp16_passes"]))
