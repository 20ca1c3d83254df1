"""The numerical comparison of the exported graphs with PyTorch, part of every export unless --skip-check.

The graphs run on one of two runtimes, found before the export starts (find_runtime):
  - Python's onnxruntime (requirements.txt), or
  - onnxruntime-node from this brushtalk checkout (`npm ci` done), through weights/convert/run-onnx.ts, when Python's
    onnxruntime is missing (Debian packages none). The comparison itself is the same code either way.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from export_common import log
from wrappers import example_inputs, reference_unet

REPO = Path(__file__).resolve().parents[2]
RUNNER_TS = Path(__file__).resolve().parent / "run-onnx.ts"


class OrtRunner:
    name = "onnxruntime (Python, CPU)"

    def __init__(self, ort):
        self.ort = ort
        self.sessions = {}

    def run_all(self, cases):
        results = []
        for path, feeds in cases:
            try:
                if path not in self.sessions:
                    so = self.ort.SessionOptions()
                    so.log_severity_level = 3
                    self.sessions[path] = self.ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
                results.append(self.sessions[path].run(None, feeds)[0])
            except Exception as e:  # noqa: BLE001
                results.append(str(e).splitlines()[0][:300])
        return results


class NodeRunner:
    name = "onnxruntime-node (CPU, this checkout's node_modules, weights/convert/run-onnx.ts)"

    def __init__(self, node: str, tsx: Path):
        self.node, self.tsx = node, tsx

    def run_all(self, cases):
        import numpy as np

        with tempfile.TemporaryDirectory(prefix="bt-check-") as tmp:
            d = Path(tmp)
            index = []
            for k, (path, feeds) in enumerate(cases):
                inputs = []
                for name, arr in feeds.items():
                    dtype = "int64" if arr.dtype == np.int64 else "float32"
                    f = f"{k}.{name}.bin"
                    np.ascontiguousarray(arr, dtype="<i8" if dtype == "int64" else "<f4").tofile(d / f)
                    inputs.append({"name": name, "dtype": dtype, "dims": list(arr.shape), "file": f})
                index.append({"id": str(k), "path": str(path), "inputs": inputs})
            (d / "cases.json").write_text(json.dumps(index))
            run = subprocess.run([str(self.tsx), str(RUNNER_TS), str(d)], cwd=str(REPO), capture_output=True, text=True)
            if run.returncode != 0 or not (d / "results.json").is_file():
                sys.exit(f"weights/convert/run-onnx.ts failed (exit {run.returncode}): {run.stderr.strip()[-800:]}")
            results = []
            for r in json.loads((d / "results.json").read_text()):
                if "error" in r:
                    results.append(r["error"])
                else:
                    results.append(np.fromfile(d / f"{r['id']}.out.bin", dtype="<f4").reshape(r["dims"]))
            return results


def find_runtime():
    """(runner, None) or (None, why): Python's onnxruntime first, else onnxruntime-node from this checkout."""
    try:
        import onnxruntime as ort

        return OrtRunner(ort), None
    except ImportError:
        pass
    node = shutil.which("node")
    tsx = REPO / "node_modules" / ".bin" / "tsx"
    ort_node = REPO / "node_modules" / "onnxruntime-node"
    if node and tsx.is_file() and ort_node.is_dir():
        return NodeRunner(node, tsx), None
    missing = [what for what, ok in (("node", node), (str(tsx), tsx.is_file()), (str(ort_node), ort_node.is_dir())) if not ok]
    return None, f"Python's onnxruntime is not installed and onnxruntime-node cannot run here (missing: {', '.join(missing)}; run `npm ci` in {REPO})"


def to_numpy(t):
    return t.detach().cpu().numpy()


def check_graphs(torch, runner, wrappers, out: Path, args, widths: dict, unet, brushnet) -> dict:
    """Every exported graph against PyTorch at the traced size and at a size that is not a multiple of 64, then
    conditioning_scale (an input that changes the result; at 0 the plain UNet). Exits on a mismatch."""
    import numpy as np

    sizes = [(args.height, args.width), (args.height + 64, args.width - 8 if args.width > 64 else args.width + 8)]
    cases, wants, labels = [], [], []
    for h, w in sizes:
        inputs = example_inputs(torch, widths, args.batch if (h, w) == sizes[0] else 1, h, w)
        for name, module in wrappers.items():
            path = out / name / "model.onnx"
            with torch.no_grad():
                want = reference_unet(torch, unet, brushnet, *inputs[name]) if name == "unet" else module(*inputs[name])
            feeds = dict(zip(_input_names(name), (to_numpy(v) for v in inputs[name])))
            cases.append((path, feeds))
            wants.append(to_numpy(want))
            labels.append(f"{name} at {h}x{w}")
    unet_at_1 = labels.index(f"unet at {sizes[0][0]}x{sizes[0][1]}")  # the same inputs as `base` below, scale 1
    base = example_inputs(torch, widths, args.batch, args.height, args.width)["unet"]
    scale0 = dict(zip(_input_names("unet"), (to_numpy(v) for v in base)))
    scale0["conditioning_scale"] = np.array([0.0], dtype=np.float32)
    cases.append((out / "unet" / "model.onnx", scale0))
    with torch.no_grad():
        plain = to_numpy(unet(base[0], base[1], encoder_hidden_states=base[2], return_dict=False)[0])

    log(f"comparing {len(cases)} runs of the exported graphs with PyTorch on {runner.name}")
    results = runner.run_all(cases)
    lines, failed, not_run = [], [], []
    tol = 5e-2 if args.fp16 else 1e-3
    for label, want, got in zip(labels, wants, results[:-1]):
        if isinstance(got, str):
            not_run.append(f"{label}: could not run ({got})")
            continue
        err = float(np.max(np.abs(got - want)))
        scale = float(np.max(np.abs(want))) or 1.0
        rel = float(np.linalg.norm(got - want) / (np.linalg.norm(want) or 1.0))
        line = f"{label}: output {list(got.shape)}, max |diff| {err:.3g} (max |ref| {scale:.3g}), rel-L2 {rel:.3g}"
        log(line)
        lines.append(line)
        if not np.isfinite(got).all() or err > tol * max(1.0, scale):
            failed.append(line)
    unet_scale1, at0 = results[unet_at_1], results[-1]
    if isinstance(at0, str) or isinstance(unet_scale1, str):
        not_run.append(f"unet conditioning_scale check: could not run ({at0 if isinstance(at0, str) else unet_scale1})")
    else:
        moved = float(np.max(np.abs(unet_scale1 - at0)))
        plain_err = float(np.max(np.abs(at0 - plain)))
        line = f"unet: conditioning_scale 1 vs 0 moves noise_pred by {moved:.3g}; at 0 it equals the plain UNet within {plain_err:.3g}"
        log(line)
        lines.append(line)
        if moved == 0.0:
            failed.append("unet: conditioning_scale has no effect: it was folded or the residuals are zero")
        if plain_err > tol * max(1.0, float(np.max(np.abs(plain)))):
            failed.append(line)
    if failed:
        sys.exit("the ONNX graphs do not match PyTorch:\n  " + "\n  ".join(failed))
    return {"runtime": runner.name, "lines": lines, "compared": len(lines), "not_run": not_run}


def _input_names(name: str) -> list[str]:
    from wrappers import IO

    return IO[name][0]
