#!/usr/bin/env python3
"""The comparison's onnxruntime-node runner (parity_check.NodeRunner + run-onnx.ts) on tiny graphs built here.

Needs onnx, numpy, node and this checkout's node_modules (`npm ci`); skipped without the last two. No torch.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save_model

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import parity_check  # noqa: E402


def node_runner():
    tsx = parity_check.REPO / "node_modules" / ".bin" / "tsx"
    if not shutil.which("node") or not tsx.is_file():
        raise unittest.SkipTest(f"node or {tsx} missing (run npm ci)")
    return parity_check.NodeRunner(shutil.which("node"), tsx)


def affine_graph(path: Path) -> None:
    """y = float(ids) * 0.5 + x * w: one float32 and one int64 input, like the text encoder and the UNet."""
    vi = helper.make_tensor_value_info
    g = helper.make_graph(
        [
            helper.make_node("Cast", ["ids"], ["idf"], to=TensorProto.FLOAT),
            helper.make_node("Mul", ["idf", "half"], ["a"]),
            helper.make_node("Mul", ["x", "w"], ["b"]),
            helper.make_node("Add", ["a", "b"], ["y"]),
        ],
        "affine",
        [vi("x", TensorProto.FLOAT, ["n", 3]), vi("ids", TensorProto.INT64, ["n", 3])],
        [vi("y", TensorProto.FLOAT, ["n", 3])],
        initializer=[numpy_helper.from_array(np.float32(0.5), "half"), numpy_helper.from_array(np.array([1.5, -2.0, 0.25], np.float32), "w")],
    )
    save_model(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def test_node_runner_runs_cases_and_reports_failures_per_case():
    runner = node_runner()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "affine.onnx"
        affine_graph(path)
        x = np.arange(6, dtype=np.float32).reshape(2, 3) / 7
        ids = np.array([[1, 2, 3], [40000, 5, 49407]], dtype=np.int64)
        got = runner.run_all([(path, {"x": x, "ids": ids}), (path, {"x": x[:1], "ids": ids[:1]}), (Path(tmp) / "missing.onnx", {"x": x})])
    want = ids.astype(np.float32) * 0.5 + x * np.array([1.5, -2.0, 0.25], np.float32)
    np.testing.assert_allclose(got[0], want, rtol=1e-6)
    assert got[0].shape == (2, 3) and got[1].shape == (1, 3)
    np.testing.assert_allclose(got[1], want[:1], rtol=1e-6)
    assert isinstance(got[2], str) and got[2], got[2]


def test_find_runtime_names_what_is_missing_when_nothing_can_run():
    runner, why = parity_check.find_runtime()
    assert (runner is None) == (why is not None)
    if runner is None:
        assert "npm ci" in why or "node" in why


if __name__ == "__main__":
    import run_tests

    sys.exit(run_tests.run(["test_parity_runner"]))
