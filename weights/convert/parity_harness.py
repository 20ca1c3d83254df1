#!/usr/bin/env python3
"""Parity of brushtalk's TypeScript BrushNet engine with the official code, on tiny random SD1.5-shaped models.

One command (a clone of TencentARC/BrushNet is the only input; nothing of it is copied here):

    python weights/convert/parity_harness.py --brushnet-repo BrushNet --out /tmp/bt-parity [--fp16]

1. exports tiny random UNet / BrushNet / VAE with this project's export script (export_brushnet.run_export, the
   comparison with PyTorch included; without transformers the text encoder is a stand-in, see below);
2. writes reference tensors made by the official models and schedulers: one fused step (brushnet() then unet()),
   the VAE encoder mean and decoder, and a 5-step guided pipeline (UniPC as the reference runs it, and DDIM) with
   given prompt embeddings, picture, hole and initial noise;
3. runs the gated tier test/gated/brushnet-parity.test.ts (BRUSHNET_PARITY_DIR=<out>), which loads the exported
   folder with the TypeScript engine, runs the same inputs, and writes <out>/results.json;
4. prints the parity table against the targets (fp32: step max-abs <= 1e-4, pipeline rel-L2 <= 1e-4; fp16: step
   rel-L2 <= 2e-3, pipeline rel-L2 <= 3e-3) and exits 1 if one is missed.

The pipeline reference is the denoising loop of the fork's StableDiffusionBrushNetPipeline (latents doubled for
guidance, brushnet() on the doubled conditioning, unet() with its residuals, guidance, scheduler.step), with
conditioning = cat(VAE mean x scaling_factor, nearest-downsampled kept mask) as brushtalk builds it (the official
pipeline samples the VAE distribution, which JavaScript cannot reproduce). When transformers is installed the
official pipeline's own __call__ (output_type="latent", the VAE pinned to its mean) is run too, and must agree.
The text encoder plays no part: the embeddings are given. Without transformers, export_brushnet.py cannot export
one, so the folder gets a stand-in (a table lookup of the right width) and the TS test injects the embeddings.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import export_brushnet  # noqa: E402
from brushnet_models import SD15_SCHEDULER, TINY_UNET  # noqa: E402
from export_common import banner, log  # noqa: E402
from parity_check import REPO  # noqa: E402
from wrappers import example_inputs, reference_unet  # noqa: E402

TARGETS = {"fp32": {"step": ("max_abs", 1e-4), "pipeline": ("rel_l2", 1e-4)}, "fp16": {"step": ("rel_l2", 2e-3), "pipeline": ("rel_l2", 3e-3)}}
H, W, STEPS, GUIDANCE = 64, 80, 5, 7.5


def stand_in_text_encoder(out: Path, dim: int) -> None:
    """input_ids [B,77] -> a row of a random table [64, dim] per token: only so the folder is complete."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper, save_model

    table = np.random.default_rng(0).standard_normal((64, dim)).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("Mod", ["input_ids", "rows"], ["r"]), helper.make_node("Gather", ["table", "r"], ["last_hidden_state"], axis=0)],
        "stand_in_text_encoder",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", 77])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", 77, dim])],
        initializer=[numpy_helper.from_array(table, "table"), numpy_helper.from_array(np.array(64, np.int64), "rows")],
    )
    (out / "text_encoder").mkdir(parents=True, exist_ok=True)
    save_model(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(out / "text_encoder" / "model.onnx"))


class Fixtures:
    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.index = {}

    def put(self, name: str, tensor) -> None:
        import numpy as np

        arr = np.ascontiguousarray(tensor.detach().cpu().numpy() if hasattr(tensor, "detach") else tensor, dtype="<f4")
        arr.tofile(self.folder / f"{name}.bin")
        self.index[name] = {"dims": list(arr.shape), "file": f"{name}.bin"}

    def save(self, meta: dict) -> None:
        (self.folder / "fixtures.json").write_text(json.dumps({"tensors": self.index, **meta}, indent=1))


def picture_and_hole(torch):
    """A smooth colour picture and a rectangular hole (1 = hole), the same pixels the TS test reads."""
    y = torch.arange(H, dtype=torch.float32)[:, None]
    x = torch.arange(W, dtype=torch.float32)[None, :]
    rgb = torch.stack([40 + 2 * x + 0 * y, 200 - 2 * y + 0 * x, 90 + x + y], dim=-1).clamp(0, 255).round().to(torch.uint8)
    hole = torch.zeros(H, W, dtype=torch.uint8)
    hole[16:48, 24:64] = 1
    return rgb, hole


def conditioning(torch, vae, rgb, hole, scaling):
    """brushtalk's brushnet_cond: VAE mean of the masked image (holes black) x scaling, then the kept mask."""
    masked = (rgb.float() * (1 - hole.float())[..., None]).permute(2, 0, 1)[None] / 127.5 - 1
    mean = vae.encode(masked).latent_dist.mean * scaling
    kept = torch.nn.functional.interpolate((1 - hole.float())[None, None], size=mean.shape[-2:])  # nearest
    return torch.cat([mean, kept], dim=1)


def reference_loop(torch, unet, brushnet, scheduler, noise, embeds, cond):
    """The fork pipeline's denoising loop for one sample under guidance ([uncond, cond] order)."""
    scheduler.set_timesteps(STEPS)
    latents = noise.clone() * scheduler.init_noise_sigma
    cond2 = torch.cat([cond, cond])
    for t in scheduler.timesteps:
        x = scheduler.scale_model_input(torch.cat([latents] * 2), t)
        down, mid, up = brushnet(x, t, encoder_hidden_states=embeds, brushnet_cond=cond2, conditioning_scale=1.0, return_dict=False)
        eps = unet(x, t, encoder_hidden_states=embeds, down_block_add_samples=list(down), mid_block_add_sample=mid, up_block_add_samples=list(up), return_dict=False)[0]
        e_u, e_c = eps.chunk(2)
        latents = scheduler.step(e_u + GUIDANCE * (e_c - e_u), t, latents, return_dict=False)[0]
    return latents, [int(t) for t in scheduler.timesteps]


def official_pipeline(diffusers, torch, models, scheduler, noise, embeds, rgb, hole):
    """The fork's own StableDiffusionBrushNetPipeline.__call__ (needs transformers), VAE pinned to its mean."""
    from PIL import Image
    from diffusers.models.autoencoders import vae as vae_module

    pipe = diffusers.StableDiffusionBrushNetPipeline(
        vae=models["vae"], text_encoder=None, tokenizer=None, unet=models["unet"], brushnet=models["brushnet"],
        scheduler=scheduler, safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    masked = Image.fromarray((rgb.numpy() * (1 - hole.numpy())[..., None]).astype("uint8"))
    mask = Image.fromarray((hole.numpy() * 255).astype("uint8")).convert("RGB")
    original = vae_module.DiagonalGaussianDistribution.sample
    vae_module.DiagonalGaussianDistribution.sample = lambda self, generator=None: self.mean
    try:
        out = pipe(prompt_embeds=embeds[1:], negative_prompt_embeds=embeds[:1], image=masked, mask=mask, height=H, width=W,
                   num_inference_steps=STEPS, guidance_scale=GUIDANCE, brushnet_conditioning_scale=1.0, latents=noise.clone(), output_type="latent")
    finally:
        vae_module.DiagonalGaussianDistribution.sample = original
    return out.images


def write_references(diffusers, torch, made: dict, folder: Path, fp16: bool) -> None:
    unet, vae, brushnet, widths = made["unet"], made["vae"], made["brushnet"], made["widths"]
    fx = Fixtures(folder)
    scaling = made["info"]["scalingFactor"]
    with torch.no_grad():
        step = example_inputs(torch, widths, 1, H, W, timestep=981.0)
        for name, value in zip(("sample", "timestep", "encoder_hidden_states", "brushnet_cond", "conditioning_scale"), step["unet"]):
            fx.put(f"step.{name}", value)
        fx.put("step.noise_pred", reference_unet(torch, unet, brushnet, *step["unet"]))
        fx.put("vae.image", step["vae_encoder"][0])
        fx.put("vae.latent_mean", vae.encode(step["vae_encoder"][0]).latent_dist.mean)
        fx.put("vae.latent", step["vae_decoder"][0])
        fx.put("vae.decoded", vae.decode(step["vae_decoder"][0], return_dict=False)[0])

        rgb, hole = picture_and_hole(torch)
        fx.put("pipeline.rgb", rgb.float())
        fx.put("pipeline.hole", hole.float())
        g = torch.Generator().manual_seed(7)
        noise = torch.randn(1, widths["latent_channels"], H // 8, W // 8, generator=g)
        embeds = torch.randn(2, widths["text_length"], widths["text_dim"], generator=g)  # [uncond, cond]
        fx.put("pipeline.noise", noise)
        fx.put("pipeline.embeds", embeds)
        cond = conditioning(torch, vae, rgb, hole, scaling)
        timesteps = {}
        for name, cls in (("unipc", diffusers.UniPCMultistepScheduler), ("ddim", diffusers.DDIMScheduler)):
            sched = cls.from_config(dict(SD15_SCHEDULER))
            latents, timesteps[name] = reference_loop(torch, unet, brushnet, sched, noise, embeds, cond)
            fx.put(f"pipeline.{name}.latents", latents)
            log(f"reference {name}: timesteps {timesteps[name]}")
            if getattr(diffusers, "StableDiffusionBrushNetPipeline", None) is not None and _has_transformers():
                official = official_pipeline(diffusers, torch, made, cls.from_config(dict(SD15_SCHEDULER)), noise, embeds, rgb, hole)
                gap = float((official - latents).abs().max())
                log(f"official StableDiffusionBrushNetPipeline ({name}) vs the loop: max |diff| {gap:.3g}")
                if gap > 1e-5:
                    sys.exit(f"the reference loop and the official pipeline disagree ({name}: {gap:.3g})")
    fx.save({"height": H, "width": W, "steps": STEPS, "guidance": GUIDANCE, "conditioningScale": 1.0, "scalingFactor": scaling,
             "timesteps": timesteps, "dtype": "fp16" if fp16 else "fp32"})


def _has_transformers() -> bool:
    import importlib.util

    return importlib.util.find_spec("transformers") is not None


def table(results: dict, dtype: str) -> bool:
    ok = True
    rows = [("one fused step", "step"), ("VAE encoder mean", "vae_encode"), ("VAE decoder", "vae_decode"),
            ("5-step guided pipeline, UniPC", "pipeline_unipc"), ("5-step guided pipeline, DDIM", "pipeline_ddim")]
    print(f"\n| {dtype} | max-abs | rel-L2 | target | met |\n| --- | ---: | ---: | --- | --- |")
    for label, key in rows:
        r = results.get(key)
        if r is None:
            print(f"| {label} | – | – | – | not run |")
            ok = False
            continue
        kind = "pipeline" if key.startswith("pipeline") else "step" if key == "step" else None
        metric, limit = TARGETS[dtype][kind] if kind else (None, None)
        met = True if metric is None else r[metric] <= limit
        ok = ok and met
        target = f"{metric.replace('_', '-')} ≤ {limit:.0e}".replace("e-0", "e-") if metric else "(reported)"
        print(f"| {label} | {r['max_abs']:.3g} | {r['rel_l2']:.3g} | {target} | {'yes' if met else 'NO'} |")
    return ok


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--brushnet-repo", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--fp16", action="store_true")
    p.add_argument("--skip-ts", action="store_true", help="write the folder and references only")
    args = p.parse_args(argv)
    out = Path(args.out).resolve()
    model = out / "model"
    export_args = ["--brushnet-repo", args.brushnet_repo, "--random-init", "--tiny", "--out", str(model), "--id", "parity",
                   "--height", str(H), "--width", str(W)] + (["--fp16"] if args.fp16 else [])
    if not _has_transformers():
        banner("transformers is not installed: the folder gets a stand-in text encoder (the parity injects embeddings)")
        stand_in_text_encoder(model, TINY_UNET["cross_attention_dim"])  # checked against the UNet by the export
        export_args.append("--no-text-encoder")
    made = export_brushnet.run_export(export_brushnet.parse_args(export_args))
    import diffusers
    import torch

    write_references(diffusers, torch, made, out / "fixtures", args.fp16)
    if args.skip_ts:
        return 0
    env = {**__import__("os").environ, "BRUSHNET_PARITY_DIR": str(out)}
    run = subprocess.run([str(REPO / "node_modules" / ".bin" / "vitest"), "run", "test/gated/brushnet-parity.test.ts"], cwd=str(REPO), env=env)
    results_file = out / "results.json"
    if not results_file.is_file():
        sys.exit(f"the TypeScript tier wrote no {results_file} (vitest exit {run.returncode})")
    ok = table(json.loads(results_file.read_text()), "fp16" if args.fp16 else "fp32")
    print(f"\n{'every target met' if ok and run.returncode == 0 else 'TARGETS MISSED'} (python weights/convert/parity_harness.py {' '.join(argv or sys.argv[1:])})")
    return 0 if ok and run.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
