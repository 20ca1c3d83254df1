#!/usr/bin/env python3
"""BrushNet's speed and ONNX parity on a GPU machine that has Python and PyTorch but no Node and no network.

    timeout 480 python3 weights/convert/gpu_check.py --brushnet-repo <TencentARC/BrushNet clone> [--device cuda]

(or weights/convert/gpu_check.sh, which adds the timeout). The clone is the only input and is never copied here.

1. speed: the official models (the fork's UNet2DConditionModel and BrushNetModel, SD1.5's shapes, random weights:
   speed does not depend on their values) run the fork pipeline's denoising loop (batch 2 under guidance,
   brushnet() then unet(), guidance, UniPC step) at --size (512) in fp32 and fp16; the table gives the median
   ms per step, the VAE's encode and decode, and images/min at 25 and 50 steps (one image, text encoder excluded);
2. parity (when Python's onnxruntime is installed): tiny random models are exported with export_brushnet.py in
   fp32 and fp16, the fused graph runs on onnxruntime's provider for --device (CUDAExecutionProvider needs
   onnxruntime-gpu) and is compared with PyTorch in fp32 against the targets of parity_harness.py.

Every phase checks the --budget-s deadline (420 s) and a phase that would start after it is reported as skipped,
so the whole run stays under 8 minutes. --tiny --device cpu --size 128 is the smoke test of this script itself.
Exit 0 when every row that ran met its target (speed rows have none), 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.machinery
import importlib.util
import json
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from brushnet_models import SD15_SCHEDULER, SD15_UNET, SD15_VAE, TEXT_LENGTH, TINY_UNET, TINY_VAE  # noqa: E402

STEP_TARGETS = {"fp32": ("max_abs", 1e-4), "fp16": ("rel_l2", 2e-3)}
PARITY_H, PARITY_W = 64, 80


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--brushnet-repo", required=True, help="a TencentARC/BrushNet clone (its src/diffusers fork)")
    p.add_argument("--device", default="cuda", help="cuda (default), cuda:1, cpu")
    p.add_argument("--dtypes", default="fp32,fp16")
    p.add_argument("--size", type=int, default=512, help="picture side in pixels (a multiple of 8)")
    p.add_argument("--steps", type=int, default=10, help="timed denoising steps per dtype (after 3 warm-up steps)")
    p.add_argument("--tiny", action="store_true", help="tiny models for the speed rows (a smoke test, not a measurement)")
    p.add_argument("--budget-s", type=float, default=420.0)
    p.add_argument("--skip-onnx", action="store_true")
    p.add_argument("--stub-hub", action="store_true", help="stand in for huggingface_hub / safetensors when they are missing (random weights only)")
    p.add_argument("--json", help="also write the results here")
    return p.parse_args(argv)


def stub_hub() -> list[str]:
    """The fork imports huggingface_hub and safetensors at import time; random-init models never call them."""
    made = []
    for name in ("huggingface_hub", "safetensors"):
        if importlib.util.find_spec(name) is not None:
            continue

        def attr(n, _pkg=name):
            if n.startswith("__"):
                raise AttributeError(n)
            if n == "validate_hf_hub_args":
                return lambda fn: fn
            if n.startswith("is_") and n.endswith("_available"):
                return lambda: False
            if n.endswith(("Error", "Exception")):
                return type(n, (Exception,), {})
            if n == "REGEX_COMMIT_HASH":
                import re

                return re.compile(r"^[0-9a-f]{40}$")
            if n.isupper():
                return tempfile.gettempdir()

            def missing(*a, **k):
                raise RuntimeError(f"{_pkg} is stood in for by gpu_check.py --stub-hub: {n} is not available")

            return type(n, (), {"__init__": missing}) if n[:1].isupper() else missing

        for sub in ("", ".utils", ".constants", ".file_download", ".utils._runtime", ".torch"):
            module = types.ModuleType(name + sub)
            module.__getattr__ = attr
            module.__version__ = "0.23.2"
            module.__path__ = []
            module.__spec__ = importlib.machinery.ModuleSpec(name + sub, None, is_package=True)
            sys.modules[name + sub] = module
        made.append(name)
    return made


class Clock:
    def __init__(self, torch, device: str):
        self.torch, self.cuda = torch, device.startswith("cuda")

    def __call__(self, fn) -> float:
        if self.cuda:
            self.torch.cuda.synchronize()
        t = time.perf_counter()
        fn()
        if self.cuda:
            self.torch.cuda.synchronize()
        return (time.perf_counter() - t) * 1000


def build(diffusers, torch, tiny: bool, device: str):
    torch.manual_seed(0)
    where = torch.device(device) if hasattr(torch, "set_default_device") else None  # torch >= 2: build on the GPU
    ctx = where if where is not None else _nothing()
    with ctx:
        unet = diffusers.UNet2DConditionModel(**(TINY_UNET if tiny else SD15_UNET))
        vae = diffusers.AutoencoderKL(**(TINY_VAE if tiny else SD15_VAE))
        brushnet = diffusers.BrushNetModel.from_unet(unet)
    return [m.eval().requires_grad_(False).to(device) for m in (unet, vae, brushnet)]


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def speed(diffusers, torch, models, dtype: str, args) -> dict:
    unet, vae, brushnet = (m.to(torch.float16 if dtype == "fp16" else torch.float32) for m in models)
    tdt = torch.float16 if dtype == "fp16" else torch.float32
    dev, side = args.device, args.size
    lat = side // 8
    g = torch.Generator(device="cpu").manual_seed(3)
    rnd = lambda *shape: torch.randn(*shape, generator=g).to(dev, tdt)  # noqa: E731
    embeds = rnd(2, TEXT_LENGTH, unet.config.cross_attention_dim)
    cond = torch.cat([rnd(1, 4, lat, lat), torch.ones(1, 1, lat, lat, device=dev, dtype=tdt)], dim=1).repeat(2, 1, 1, 1)
    sched = diffusers.UniPCMultistepScheduler.from_config(dict(SD15_SCHEDULER))
    sched.set_timesteps(3 + args.steps, device=dev)
    state = {"latents": rnd(1, 4, lat, lat)}
    clock = Clock(torch, dev)

    def step(t):
        x = sched.scale_model_input(torch.cat([state["latents"]] * 2), t)
        down, mid, up = brushnet(x, t, encoder_hidden_states=embeds, brushnet_cond=cond, conditioning_scale=1.0, return_dict=False)
        eps = unet(x, t, encoder_hidden_states=embeds, down_block_add_samples=list(down), mid_block_add_sample=mid, up_block_add_samples=list(up), return_dict=False)[0]
        e_u, e_c = eps.chunk(2)
        state["latents"] = sched.step(e_u + 7.5 * (e_c - e_u), t, state["latents"], return_dict=False)[0]

    if dev.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    with torch.no_grad():
        times = [clock(lambda t=t: step(t)) for t in sched.timesteps]
        image = rnd(1, 3, side, side)
        enc = statistics.median(clock(lambda: vae.encode(image).latent_dist.mean) for _ in range(3))
        dec = statistics.median(clock(lambda: vae.decode(state["latents"], return_dict=False)) for _ in range(3))
    ms = statistics.median(times[3:])
    row = {"dtype": dtype, "ms_step": ms, "vae_encode_ms": enc, "vae_decode_ms": dec,
           "images_min_25": 60_000 / (25 * ms + enc + dec), "images_min_50": 60_000 / (50 * ms + enc + dec)}
    if dev.startswith("cuda"):
        row["peak_gib"] = torch.cuda.max_memory_allocated() / 2**30
    if not bool(torch.isfinite(state["latents"]).all()):
        row["note"] = "latents not finite"
    return row


def parity(torch, args, dtype: str, ort, work: Path) -> dict:
    import export_brushnet
    from parity_harness import stand_in_text_encoder
    from wrappers import example_inputs, reference_unet

    out = work / f"onnx-{dtype}"
    stand_in_text_encoder(out, TINY_UNET["cross_attention_dim"])
    export_args = ["--brushnet-repo", args.brushnet_repo, "--random-init", "--tiny", "--out", str(out), "--id", "gpu-check",
                   "--height", str(PARITY_H), "--width", str(PARITY_W), "--no-text-encoder", "--skip-check"] + (["--fp16"] if dtype == "fp16" else [])
    with contextlib.redirect_stdout(sys.stderr):  # the export prints brushtalk.json; the tables own stdout
        made = export_brushnet.run_export(export_brushnet.parse_args(export_args))
    want = "CUDAExecutionProvider" if args.device.startswith("cuda") else "CPUExecutionProvider"
    note = ""
    if want not in ort.get_available_providers():
        want, note = "CPUExecutionProvider", f" (onnxruntime {ort.__version__} has no CUDA provider: pip install onnxruntime-gpu)"
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(out / "unet" / "model.onnx"), options, providers=[want])
    inputs = example_inputs(torch, made["widths"], 1, PARITY_H, PARITY_W, timestep=981.0)["unet"]
    names = [i.name for i in session.get_inputs()]
    got = session.run(["noise_pred"], {n: t.numpy() for n, t in zip(names, inputs)})[0]
    with torch.no_grad():
        ref = reference_unet(torch, made["unet"], made["brushnet"], *inputs).numpy()
    diff = got.astype("float64") - ref
    max_abs = float(abs(diff).max())
    rel = float((diff**2).sum() ** 0.5 / max((ref.astype("float64") ** 2).sum() ** 0.5, 1e-12))
    metric, limit = STEP_TARGETS[dtype]
    value = max_abs if metric == "max_abs" else rel
    return {"dtype": dtype, "provider": session.get_providers()[0] + note, "max_abs": max_abs, "rel_l2": rel, "target": f"{metric} <= {limit:g}", "met": value <= limit}


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    left = lambda: args.budget_s - (time.monotonic() - started)  # noqa: E731
    stubbed = stub_hub() if args.stub_hub else []
    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit(f"--device {args.device}: this torch ({torch.__version__}) sees no CUDA GPU; check nvidia-smi, or use --device cpu")
    from brushnet_models import import_brushnet_diffusers

    diffusers = import_brushnet_diffusers(args.brushnet_repo)
    dtypes = [d for d in args.dtypes.split(",") if d]
    gpu = torch.cuda.get_device_name(torch.device(args.device)) if args.device.startswith("cuda") else "cpu"
    print(f"gpu_check: {gpu} · torch {torch.__version__} · {'tiny' if args.tiny else 'SD1.5-size'} random models · {args.size}² · budget {args.budget_s:.0f} s"
          + (f" · stand-ins for {', '.join(stubbed)}" if stubbed else ""), flush=True)
    results = {"device": gpu, "torch": torch.__version__, "size": args.size, "tiny": args.tiny, "speed": [], "parity": []}
    models = build(diffusers, torch, args.tiny, args.device)
    for dtype in dtypes:
        if left() < 30:
            results["speed"].append({"dtype": dtype, "skipped": "time bound"})
        elif dtype == "fp16" and not args.device.startswith("cuda"):
            results["speed"].append({"dtype": dtype, "skipped": "fp16 is timed on a GPU only"})
        else:
            results["speed"].append(speed(diffusers, torch, models, dtype, args))
    del models
    ort = None if args.skip_onnx or importlib.util.find_spec("onnxruntime") is None else __import__("onnxruntime")
    with tempfile.TemporaryDirectory(prefix="bt-gpu-check-") as work:
        for dtype in dtypes:
            if ort is None:
                results["parity"].append({"dtype": dtype, "skipped": "--skip-onnx" if args.skip_onnx else "no Python onnxruntime"})
            elif left() < 60:
                results["parity"].append({"dtype": dtype, "skipped": "time bound"})
            else:
                results["parity"].append(parity(torch, args, dtype, ort, Path(work)))
    results["seconds"] = time.monotonic() - started
    ok = print_tables(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0 if ok else 1


def print_tables(r: dict) -> bool:
    what = "tiny models: a smoke test, not a measurement" if r["tiny"] else "official BrushNet + SD1.5 UNet, batch 2 under guidance, UniPC"
    print(f"\nSpeed on {r['device']} at {r['size']}² ({what})\n")
    print("| dtype | ms/step | VAE encode ms | VAE decode ms | images/min, 25 steps | images/min, 50 steps | peak GiB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for s in r["speed"]:
        if "skipped" in s:
            print(f"| {s['dtype']} | skipped: {s['skipped']} | | | | | |")
            continue
        peak = f"{s['peak_gib']:.1f}" if "peak_gib" in s else "–"
        print(f"| {s['dtype']} | {s['ms_step']:.1f} | {s['vae_encode_ms']:.1f} | {s['vae_decode_ms']:.1f} | {s['images_min_25']:.1f} | {s['images_min_50']:.1f} | {peak} |")
    print(f"\nONNX fused step vs PyTorch fp32 (tiny random models, {PARITY_H}×{PARITY_W})\n")
    print("| graph | provider | max-abs | rel-L2 | target | met |\n| --- | --- | ---: | ---: | --- | --- |")
    ok = True
    for p in r["parity"]:
        if "skipped" in p or "error" in p:
            print(f"| {p['dtype']} | {p.get('skipped') or p['error']} | | | | |")
            ok = ok and "error" not in p
            continue
        ok = ok and p["met"]
        print(f"| {p['dtype']} | {p['provider']} | {p['max_abs']:.3g} | {p['rel_l2']:.3g} | {p['target']} | {'yes' if p['met'] else 'NO'} |")
    ok = ok and not any("note" in s for s in r["speed"])
    print(f"\n{'done' if ok else 'TARGETS MISSED'} in {r['seconds']:.0f} s")
    return ok


if __name__ == "__main__":
    sys.exit(main())
