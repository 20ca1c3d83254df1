#!/usr/bin/env python3
"""Runs the export scripts' Python tests without pytest (CI, or a machine with only Debian's python3-onnx):

    /usr/bin/python3 weights/convert/run_tests.py      # -> "python (weights/convert): N passed, N failed, N skipped"

The same files also run under pytest: /usr/bin/python3 -m pytest weights/convert
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
MODULES = ["test_fp16_passes", "test_fp16_convert", "test_parity_runner", "test_gpu_check"]


def run(modules: list[str]) -> int:
    sys.path.insert(0, HERE)
    passed = failed = skipped = 0
    for name in modules:
        module = importlib.import_module(name)
        for test, fn in sorted(vars(module).items()):
            if not (test.startswith("test_") and callable(fn)):
                continue
            try:
                fn()
                passed += 1
                print(f"ok   {name}.{test}")
            except unittest.SkipTest as why:
                skipped += 1
                print(f"skip {name}.{test}: {why}")
            except Exception:  # noqa: BLE001
                failed += 1
                print(f"FAIL {name}.{test}\n{traceback.format_exc()}")
    print(f"python (weights/convert): {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:] or MODULES))
