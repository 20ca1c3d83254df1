#!/usr/bin/env python3
"""Export BrushNet (TencentARC/BrushNet, SD1.5 dual-branch inpainting) to the ONNX folder brushtalk loads.

Output folder (<out>, to be copied to $WEIGHTS_DIR/<id>/):

    tokenizer/tokenizer.json, tokenizer/tokenizer_config.json (+ the other files CLIPTokenizerFast saves)
    text_encoder/model.onnx   input_ids int64[B,77] -> last_hidden_state float32[B,77,D]
    vae_encoder/model.onnx    sample float32[B,3,H,W] in [-1,1] -> latent_mean float32[B,4,H/8,W/8]
                              (the mean of the latent distribution, NOT multiplied by scaling_factor)
    unet/model.onnx           the fused BrushNet branch + UNet:
                              sample[2B,4,h,w], timestep float32[1], encoder_hidden_states[2B,77,D],
                              brushnet_cond[2B,5,h,w], conditioning_scale float32[1] -> noise_pred[2B,4,h,w]
                              (+ unet/model.onnx_data when the graph is over protobuf's 2 GB limit)
    vae_decoder/model.onnx    latent_sample float32[B,4,h,w] (already divided by scaling_factor)
                              -> sample float32[B,3,H,W] in about [-1,1]
    brushtalk.json            what src/engines/brushnet/folder.ts reads: format "brushtalk-brushnet/1", sampleSize,
                              latentChannels, textDim, scalingFactor, scheduler {numTrainTimesteps, betaStart, betaEnd,
                              betaSchedule, spacing, spacings, stepsOffset, predictionType, setAlphaToOne},
                              baseScheduler (the base model's raw scheduler_config); plus checkpoint, baseModel, ...
    .brushtalk-lock.json      sha256 + size of every file, so `npx brushtalk weights verify` can check the copy

D (768 for SD1.5), the 4 latent and 5 conditioning channels are read from the models' configs (model_widths), not
assumed. The script is split into modules beside it: brushnet_models.py (loading, widths), wrappers.py (what is
traced), onnx_graphs.py (export, fp16), fp16_passes.py (the graph passes, onnx only), parity_check.py (the
comparison with PyTorch), folder_contract.py (brushtalk.json, tokenizer, manifest, lock).

brushnet_cond is cat([masked_image_latent * scaling_factor (4), mask (1)], dim=1) where the mask is 1 on kept
pixels and 0 in the hole, binarised and downsampled to the latent with nearest (see weights/README.md). That is
how BrushNet's StableDiffusionBrushNetPipeline builds `conditioning_latents`: the white-on-hole mask image is
normalised to [-1,1], `(mask.sum(1) < 0)` keeps the dark (kept) pixels as 1, F.interpolate's default mode
(nearest) takes it to the latent size, and it is concatenated after `vae.encode(image).latent_dist.sample() *
scaling_factor` (the reference samples; brushtalk uses the mean). BrushNetModel.forward then concatenates
[sample, brushnet_cond] itself (conv_in_condition: 4 + 5 channels) and multiplies all of its residuals by
conditioning_scale before returning them.

BrushNet's model code is NOT vendored: it is imported from a clone of TencentARC/BrushNet given with
--brushnet-repo (its `src/` is put first on sys.path, so `import diffusers` is BrushNet's fork of diffusers).

Run `python export_brushnet.py --help`; weights/convert/README.md has the full procedure.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling modules, however the script is started

from brushnet_models import import_brushnet_diffusers, load_models, model_widths, reused_text_encoder_width  # noqa: E402
from export_common import DEFAULT_SOURCE_REPO, DEFAULT_SOURCE_REVISION, GRAPHS, banner, folder_bytes, log  # noqa: E402
from folder_contract import brushtalk_info, format_json, manifest_entry, update_manifest, write_brushtalk_json, write_lock, write_tokenizer  # noqa: E402
from onnx_graphs import convert_fp16, export_graph  # noqa: E402
from parity_check import check_graphs, find_runtime  # noqa: E402
from wrappers import example_inputs, make_wrappers, reference_unet  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Export BrushNet + an SD1.5 base model to brushtalk's ONNX folder (fused branch+UNet graph).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--brushnet-repo", required=True, help="path to a clone of TencentARC/BrushNet (its src/ holds the diffusers fork with BrushNetModel)")
    p.add_argument("--base", help="diffusers-format SD1.5 folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/)")
    p.add_argument("--brushnet", help="BrushNet checkpoint folder (config.json + diffusion_pytorch_model.safetensors): segmentation_mask_brushnet_ckpt, random_mask_brushnet_ckpt or BrushEdit's brushnetX")
    p.add_argument("--out", required=True, help="output folder; copy it to $WEIGHTS_DIR/<id>/")
    p.add_argument("--id", default="brushnet-sd15", help="manifest id of the result")
    p.add_argument("--fp16", action="store_true", help="convert every graph to fp16 weights/compute for CUDA, keeping float32 inputs and outputs")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--random-init", action="store_true", help="random weights in SD1.5's real shapes; --base/--brushnet not needed")
    p.add_argument("--tiny", action="store_true", help="with --random-init: a tiny configuration (32-wide text, 2-block UNet) with the same graph inputs and outputs")
    p.add_argument("--height", type=int, default=512, help="image height the graphs are traced at (batch and spatial axes stay dynamic)")
    p.add_argument("--width", type=int, default=512, help="image width the graphs are traced at")
    p.add_argument("--batch", type=int, default=1, help="images per prompt traced (the fused graph is traced at 2x this, for CFG)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tokenizer", help="tokenizer folder to use instead of <base>/tokenizer (with --random-init and no --base)")
    p.add_argument("--checkpoint-name", help="name written to brushtalk.json 'checkpoint' (default: the --brushnet folder name)")
    p.add_argument("--base-name", help="name written to brushtalk.json 'baseModel' (default: the --base folder name)")
    p.add_argument("--source-repo", default=DEFAULT_SOURCE_REPO, help="manifest source.repo (the code the export was made with)")
    p.add_argument("--source-revision", default=DEFAULT_SOURCE_REVISION, help="manifest source.revision (commit of --brushnet-repo)")
    p.add_argument("--license", default=None, help="manifest licence text (default: one naming BrushNet's and SD1.5's terms)")
    p.add_argument("--write-manifest", metavar="PATH", help="also add/replace the entry in this manifest.json")
    p.add_argument("--no-pin", action="store_true", help="write sha256/bytes as null in the manifest entry (trust on first use)")
    p.add_argument("--skip-check", action="store_true", help="do NOT compare the exported graphs with PyTorch (the comparison is part of every export otherwise)")
    p.add_argument("--no-text-encoder", action="store_true", help="reuse <out>/text_encoder/model.onnx and <out>/tokenizer/ from an earlier export (no transformers needed)")
    args = p.parse_args(argv)
    if args.tiny and not args.random_init:
        p.error("--tiny needs --random-init (a real checkpoint has the real size)")
    if not args.random_init and not (args.base and args.brushnet):
        p.error("give --base and --brushnet, or --random-init")
    if args.height % 8 or args.width % 8:
        p.error("--height and --width must be multiples of 8")
    return args


# --------------------------------------------------------------------------------------------------------------


def preflight(args) -> dict:
    """Everything optional the requested export needs, checked before the long export starts: transformers for the
    text encoder and tokenizer, onnxruntime's converter for --fp16, and a runtime for the comparison with PyTorch."""
    plan = {"runner": None}
    out = Path(args.out).resolve()
    has = lambda module: importlib.util.find_spec(module) is not None  # noqa: E731
    if args.no_text_encoder:
        if not (out / "text_encoder" / "model.onnx").is_file():
            sys.exit(f"--no-text-encoder reuses an earlier export, but {out} lacks text_encoder/model.onnx")
        if not (out / "tokenizer" / "tokenizer.json").is_file():
            log(f"--no-text-encoder: {out} has no tokenizer/tokenizer.json; brushtalk cannot load the folder until one is added")
    elif not has("transformers"):
        sys.exit(
            "transformers is not installed: it is needed to export the CLIP text encoder and write the tokenizer. "
            "Install requirements.txt, or pass --no-text-encoder to reuse <out>/text_encoder and <out>/tokenizer from an earlier export."
        )
    if args.fp16:
        log("--fp16: onnxruntime's float16 converter" if has("onnxruntime") else "--fp16: onnxruntime is not installed, so fp16_convert.py (onnx only) converts the graphs")
    if args.skip_check:
        banner("--skip-check: the exported graphs will NOT be compared with PyTorch. Only onnx.checker will run.")
        return plan
    runner, why = find_runtime()
    if runner is None:
        sys.exit(f"cannot compare the graphs with PyTorch: {why}. Fix that, or pass --skip-check to export without the comparison (not recommended). Nothing was exported.")
    if not has("onnxruntime"):
        banner(f"Python's onnxruntime is not installed: the comparison with PyTorch will run on {runner.name}")
    log(f"the exported graphs will be compared with PyTorch on {runner.name}")
    plan["runner"] = runner
    return plan


def main(argv: list[str] | None = None) -> int:
    run_export(parse_args(argv))
    return 0


def run_export(args) -> dict:
    """The whole export; returns the models and widths it used (parity_harness.py builds its references from them)."""
    started = time.time()
    plan = preflight(args)
    diffusers = import_brushnet_diffusers(args.brushnet_repo)
    import onnx
    import torch

    log(f"torch {torch.__version__}, onnx {onnx.__version__}, opset {args.opset}, {'random ' + ('tiny' if args.tiny else 'full-size') if args.random_init else 'checkpoint'} weights")
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)

    unet, vae, brushnet, text_encoder, scheduler = load_models(args, diffusers, torch)
    widths = model_widths(unet, vae, brushnet, text_encoder)
    log(f"widths from the configs: text {widths['text_length']}x{widths['text_dim']}, latent {widths['latent_channels']}, brushnet_cond {widths['cond_channels']}")
    if args.no_text_encoder:
        reused = reused_text_encoder_width(onnx, out / "text_encoder" / "model.onnx")
        if reused is not None and reused != widths["text_dim"]:
            sys.exit(f"{out / 'text_encoder/model.onnx'} gives {reused}-wide hidden states but the UNet's cross_attention_dim is {widths['text_dim']}: export the text encoder again")
        log(f"text_encoder: reusing {out / 'text_encoder/model.onnx'} ({reused or 'dynamic'}-wide) and {out / 'tokenizer'}; they are not compared with PyTorch")
    # brushtalk.json is settled before the long export, so a base model brushtalk cannot schedule fails now.
    info = brushtalk_info(args, scheduler, vae.config, unet.config, widths)
    log(f"brushtalk.json: scheduler {json.dumps(info['scheduler'])}")
    models = [("unet", unet), ("brushnet", brushnet), ("vae", vae), ("text_encoder", text_encoder)]
    log("parameters: " + ", ".join(f"{k} {sum(p.numel() for p in m.parameters()) / 1e6:.1f} M" for k, m in models if m is not None))
    d, m, u = widths["residuals"]
    log(f"BrushNet residuals: {d} down + {m} mid + {u} up = {d + m + u}")

    wrappers = make_wrappers(torch, unet, vae, brushnet, text_encoder)
    inputs = example_inputs(torch, widths, args.batch, args.height, args.width)

    # The fused wrapper must equal the reference's two calls before anything is exported.
    with torch.no_grad():
        fused = wrappers["unet"](*inputs["unet"])
        ref = reference_unet(torch, unet, brushnet, *inputs["unet"])
    diff = float((fused - ref).abs().max())
    log(f"fused wrapper vs brushnet()+unet(): max |diff| {diff:.3g}, noise_pred {list(fused.shape)}")
    if diff > 1e-4:
        sys.exit("the fused wrapper does not reproduce the reference's two calls")

    for name, module in wrappers.items():
        path = export_graph(torch, onnx, name, module, inputs[name], out, args.opset)
        onnx.checker.check_model(str(path))  # by path: works for models with external data
    if args.fp16:
        for name in wrappers:
            convert_fp16(onnx, out / name / "model.onnx")
    check = None if args.skip_check else check_graphs(torch, plan["runner"], wrappers, out, args, widths, unet, brushnet)

    if text_encoder is not None:
        write_tokenizer(args, out)
    write_brushtalk_json(out, info)
    entry, records = manifest_entry(onnx, args, out)
    for rel, (want_in, want_out) in GRAPHS.items():
        got = next((g for g in entry["graphs"] if g["path"] == rel), None)
        if got is None or got["inputs"] != want_in or got["outputs"] != want_out:
            sys.exit(f"{rel}: inputs/outputs {got} differ from the contract {want_in} -> {want_out}")
    write_lock(args, out, records)
    if args.write_manifest:
        update_manifest(args.write_manifest, entry)
    log(f"done in {time.time() - started:.0f} s: {out} ({folder_bytes(out) / 1e9:.2f} GB). Copy it to $WEIGHTS_DIR/{args.id}/ and run: npx brushtalk weights verify {args.id}")
    report_check(check, args)
    print(format_json(entry, indent=2))
    return {"out": out, "unet": unet, "vae": vae, "brushnet": brushnet, "widths": widths, "info": info, "check": check}


def report_check(check, args) -> None:
    """The comparison's outcome, last, where it is read: compared, partly compared, or not compared at all."""
    if check is None:
        banner("NOT COMPARED with PyTorch (--skip-check): only onnx.checker validated these graphs.")
        return
    for line in check["lines"]:
        log(f"check: {line}")
    if check["not_run"]:
        banner(f"PARTLY COMPARED: {len(check['not_run'])} runs could not be made on {check['runtime']}:")
        for line in check["not_run"]:
            log(f"  not compared: {line}")
        if args.fp16:
            log("  (fp16 graphs target CUDA; onnxruntime's CPU provider may lack fp16 kernels: compare them on the GPU)")
    else:
        log(f"COMPARED with PyTorch on {check['runtime']}: {check['compared']} runs, all within tolerance")
    if args.no_text_encoder:
        log("text_encoder: reused from an earlier export, not compared in this run")


if __name__ == "__main__":
    sys.exit(main())
