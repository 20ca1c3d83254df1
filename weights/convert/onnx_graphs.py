"""torch.onnx.export, saving with external data, and the fp16 conversion (onnxruntime's converter + fp16_passes)."""

from __future__ import annotations

import inspect
import sys
import tempfile
import time
from pathlib import Path

import fp16_passes
from export_common import EXTERNAL_DATA_NAME, EXTERNAL_DATA_THRESHOLD, folder_bytes, log
from wrappers import IO


def onnx_export(torch, module, inputs, path: Path, names, opset: int) -> None:
    input_names, output_names, dynamic_axes = names
    kwargs = dict(
        input_names=input_names,
        output_names=output_names,
        dynamic_axes=dynamic_axes,
        opset_version=opset,
        do_constant_folding=True,
    )
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the TorchScript exporter: classic, predictable node names and ops
    with torch.no_grad():
        torch.onnx.export(module, inputs, str(path), **kwargs)


def save_onnx(onnx, model, path: Path, force_external: bool | None = None) -> None:
    """One model.onnx, plus one model.onnx_data beside it when the weights do not fit in a protobuf."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.parent / EXTERNAL_DATA_NAME):
        if stale.exists():
            stale.unlink()
    size = sum(t.ByteSize() for t in model.graph.initializer)
    external = force_external if force_external is not None else size > EXTERNAL_DATA_THRESHOLD
    if external:
        onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location=EXTERNAL_DATA_NAME, size_threshold=1024)
    else:
        onnx.save_model(model, str(path))


def export_graph(torch, onnx, name, module, inputs, out: Path, opset: int) -> Path:
    """torch.onnx.export into a scratch folder (it scatters one file per tensor above 2 GB), then re-save tidily."""
    final = out / name / "model.onnx"
    with tempfile.TemporaryDirectory(prefix=f"bt-{name}-", dir=str(out)) as scratch:
        raw = Path(scratch) / "model.onnx"
        t0 = time.time()
        onnx_export(torch, module, inputs, raw, IO[name], opset)
        model = onnx.load(str(raw))  # loads any external tensors from the scratch folder
        save_onnx(onnx, model, final)
        del model
    log(f"{name}: exported in {time.time() - t0:.0f} s -> {final} ({folder_bytes(final.parent) / 1e6:.1f} MB)")
    return final


def fp16_block_list(model) -> list[str]:
    """Nodes that must stay fp32: the sinusoidal timestep embedding (t * freq reaches 999 rad; fp16 would lose
    the phase) in both the branch and the UNet, and everything it is computed from (the timestep's Expand to the
    batch, shape arithmetic)."""
    producer = {o: n for n in model.graph.node for o in n.output}
    seeds = [n for n in model.graph.node if "time_proj" in n.name or n.op_type in ("Sin", "Cos")]
    blocked, stack = {}, list(seeds)
    while stack:
        n = stack.pop()
        if n.name in blocked:
            continue
        blocked[n.name] = n
        stack.extend(producer[i] for i in n.input if i in producer)
    return list(blocked)


def fp16_converter() -> str:
    """onnxruntime's converter when installed (what the issue's measurements used), else fp16_convert.py (onnx only)."""
    import importlib.util

    return "onnxruntime" if importlib.util.find_spec("onnxruntime") else "fp16_convert"


def convert_fp16(onnx, path: Path) -> dict:
    """fp32 -> fp16 with fp32 inputs and outputs, the timestep embedding kept fp32 by a node block list, then
    fp16_passes (round trips out, unique names, topological order) and onnx.checker on the saved file."""
    which = fp16_converter()
    model = onnx.load(str(path))
    big = sum(t.ByteSize() for t in model.graph.initializer) > EXTERNAL_DATA_THRESHOLD
    if big:
        # Shape inference on a >2 GB model must go through files; the converter is told to skip its own.
        del model
        inferred = path.parent / "model.inferred.onnx"
        onnx.shape_inference.infer_shapes_path(str(path), str(inferred))
        model = onnx.load(str(inferred))
        inferred.unlink()
    blocked = fp16_block_list(model)
    t0 = time.time()
    if which == "onnxruntime":
        from onnxruntime.transformers.float16 import convert_float_to_float16

        model16 = convert_float_to_float16(model, keep_io_types=True, disable_shape_infer=big, node_block_list=blocked)
    else:
        import fp16_convert

        model16 = fp16_convert.convert_to_fp16(model, node_block_list=blocked, infer_shapes=not big)
    del model
    summary = fp16_passes.finish_fp16(model16, blocked)
    if summary["round_trips_left"]:
        sys.exit(f"{path}: {summary['round_trips_left']} fp32->fp16->fp32 round trips are left after the pass")
    save_onnx(onnx, model16, path)
    del model16
    fp16_passes.check(path)  # by path: works with external data; refuses an unsorted or ill-typed graph
    log(f"{path.parent.name}: fp16 ({which}) in {time.time() - t0:.0f} s, onnx.checker passed: {fp16_passes.describe(summary)} -> {folder_bytes(path.parent) / 1e6:.1f} MB")
    return summary
