#!/usr/bin/env python3
"""Export BrushNet (TencentARC/BrushNet, SD1.5 dual-branch inpainting) to the ONNX folder brushtalk loads.

Output folder (<out>, to be copied to $WEIGHTS_DIR/<id>/):

    tokenizer/tokenizer.json, tokenizer/tokenizer_config.json (+ the other files CLIPTokenizerFast saves)
    text_encoder/model.onnx   input_ids int64[B,77] -> last_hidden_state float32[B,77,768]
    vae_encoder/model.onnx    sample float32[B,3,H,W] in [-1,1] -> latent_mean float32[B,4,H/8,W/8]
                              (the mean of the latent distribution, NOT multiplied by scaling_factor)
    unet/model.onnx           the fused BrushNet branch + UNet:
                              sample[2B,4,h,w], timestep float32[1], encoder_hidden_states[2B,77,768],
                              brushnet_cond[2B,5,h,w], conditioning_scale float32[1] -> noise_pred[2B,4,h,w]
                              (+ unet/model.onnx_data when the graph is over protobuf's 2 GB limit)
    vae_decoder/model.onnx    latent_sample float32[B,4,h,w] (already divided by scaling_factor)
                              -> sample float32[B,3,H,W] in about [-1,1]
    brushtalk.json            what src/engines/brushnet/folder.ts reads: format "brushtalk-brushnet/1", sampleSize,
                              latentChannels, scalingFactor, scheduler {numTrainTimesteps, betaStart, betaEnd,
                              betaSchedule, spacing, stepsOffset, predictionType}; plus checkpoint, baseModel and
                              the base model's raw scheduler_config (informational, ignored by the loader)
    .brushtalk-lock.json      sha256 + size of every file, so `npx brushtalk weights verify` can check the copy

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
import hashlib
import inspect
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

# Where this export's code comes from, written to the manifest entry's `source` (see weights/README.md).
DEFAULT_SOURCE_REPO = "TencentARC/BrushNet"
DEFAULT_SOURCE_REVISION = "0f9d9e54ca85c40a11a8f0504b4b5b2e7e8fd14d"
SCALING_FACTOR_SD15 = 0.18215
# protobuf cannot serialise a message over 2 GiB; stay well under it before switching to external data.
EXTERNAL_DATA_THRESHOLD = 1_800_000_000
EXTERNAL_DATA_NAME = "model.onnx_data"

FUSED_INPUTS = ["sample", "timestep", "encoder_hidden_states", "brushnet_cond", "conditioning_scale"]
FUSED_OUTPUTS = ["noise_pred"]
GRAPHS = {
    "text_encoder/model.onnx": (["input_ids"], ["last_hidden_state"]),
    "vae_encoder/model.onnx": (["sample"], ["latent_mean"]),
    "unet/model.onnx": (FUSED_INPUTS, FUSED_OUTPUTS),
    "vae_decoder/model.onnx": (["latent_sample"], ["sample"]),
}

# SD1.5's published configurations (runwayml / stable-diffusion-v1-5 model_index), for --random-init.
SD15_UNET = dict(
    sample_size=64,
    in_channels=4,
    out_channels=4,
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    block_out_channels=(320, 640, 1280, 1280),
    layers_per_block=2,
    cross_attention_dim=768,
    attention_head_dim=8,
    norm_num_groups=32,
)
TINY_UNET = dict(
    SD15_UNET,
    down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
    block_out_channels=(32, 64),
    layers_per_block=1,
    attention_head_dim=4,
)
SD15_VAE = dict(
    in_channels=3,
    out_channels=3,
    down_block_types=("DownEncoderBlock2D",) * 4,
    up_block_types=("UpDecoderBlock2D",) * 4,
    block_out_channels=(128, 256, 512, 512),
    layers_per_block=2,
    latent_channels=4,
    norm_num_groups=32,
    sample_size=512,
)
# Four blocks keep the 8x spatial factor of the real VAE.
TINY_VAE = dict(SD15_VAE, block_out_channels=(32, 32, 32, 32), layers_per_block=1)
SD15_TEXT = dict(
    vocab_size=49408,
    hidden_size=768,
    intermediate_size=3072,
    num_hidden_layers=12,
    num_attention_heads=12,
    max_position_embeddings=77,
    hidden_act="quick_gelu",
    projection_dim=768,
)
# The full vocabulary stays (real token ids must index it); the width is 32, projected to 768 by the wrapper.
TINY_TEXT = dict(SD15_TEXT, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, projection_dim=32)
# SD1.5's scheduler/scheduler_config.json as shipped (PNDM), used when --base is absent or has no scheduler folder.
# It has no timestep_spacing key: see schedule_contract for what that means.
SD15_SCHEDULER = {
    "_class_name": "PNDMScheduler",
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "num_train_timesteps": 1000,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "prediction_type": "epsilon",
    "trained_betas": None,
    "clip_sample": False,
}
# brushtalk.json's format tag (src/engines/brushnet/folder.ts refuses a file without exactly this value).
BRUSHTALK_FORMAT = "brushtalk-brushnet/1"


def log(msg: str) -> None:
    print(f"[export_brushnet] {msg}", file=sys.stderr, flush=True)


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
    p.add_argument("--tiny", action="store_true", help="with --random-init: a tiny configuration with the same graph inputs/outputs (benchmarks, CI)")
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
    p.add_argument("--skip-check", action="store_true", help="do not run the exported graphs with onnxruntime")
    args = p.parse_args(argv)
    if args.tiny and not args.random_init:
        p.error("--tiny needs --random-init (a real checkpoint has the real size)")
    if not args.random_init and not (args.base and args.brushnet):
        p.error("give --base and --brushnet, or --random-init")
    if args.height % 8 or args.width % 8:
        p.error("--height and --width must be multiples of 8")
    return args


# --------------------------------------------------------------------------------------------------------------
# Loading the reference code and the models


def import_brushnet_diffusers(repo: str):
    """Put the BrushNet clone's diffusers fork first on sys.path and import it (never a pip-installed diffusers)."""
    root = Path(repo).resolve()
    src = root / "src" if (root / "src" / "diffusers").is_dir() else root
    if not (src / "diffusers").is_dir():
        sys.exit(f"--brushnet-repo {repo}: no diffusers/ package in it or in its src/ (is it a TencentARC/BrushNet clone?)")
    sys.path.insert(0, str(src))
    for name in [m for m in sys.modules if m == "diffusers" or m.startswith("diffusers.")]:
        del sys.modules[name]
    import diffusers  # noqa: E402

    where = Path(diffusers.__file__).resolve()
    if src not in where.parents:
        sys.exit(f"imported diffusers from {where}, not from {src}: uninstall the other diffusers or fix --brushnet-repo")
    for name in ("BrushNetModel", "UNet2DConditionModel", "AutoencoderKL"):
        if not hasattr(diffusers, name):
            sys.exit(f"{where} has no {name}: --brushnet-repo must be a TencentARC/BrushNet clone")
    log(f"BrushNet's diffusers fork {getattr(diffusers, '__version__', '?')} from {where.parent}")
    return diffusers


def classic_attention(model, diffusers) -> None:
    """The explicit matmul-softmax-matmul processor: exports to plain ONNX ops on every opset (no SDPA)."""
    from diffusers.models.attention_processor import AttnProcessor

    if getattr(model, "attn_processors", None):
        model.set_attn_processor(AttnProcessor())


def load_text_encoder(args, torch):
    import transformers

    eager = {"attn_implementation": "eager"}
    if args.random_init:
        config = transformers.CLIPTextConfig(**(TINY_TEXT if args.tiny else SD15_TEXT))
        try:
            model = transformers.CLIPTextModel._from_config(config, **eager)
        except TypeError:  # transformers without attn_implementation: eager is the only kind there
            model = transformers.CLIPTextModel(config)
    else:
        try:
            model = transformers.CLIPTextModel.from_pretrained(args.base, subfolder="text_encoder", **eager)
        except TypeError:
            model = transformers.CLIPTextModel.from_pretrained(args.base, subfolder="text_encoder")
    # Older versions read config._attn_implementation at call time; make sure nothing picks SDPA.
    if hasattr(model.config, "_attn_implementation"):
        try:
            model.config._attn_implementation = "eager"
        except Exception:  # noqa: BLE001 - read-only in some versions; from_pretrained already set it
            pass
    return model


def load_models(args, diffusers, torch):
    torch.manual_seed(args.seed)
    if args.random_init:
        unet = diffusers.UNet2DConditionModel(**(TINY_UNET if args.tiny else SD15_UNET))
        vae = diffusers.AutoencoderKL(**(TINY_VAE if args.tiny else SD15_VAE))
        # Copy the (random) UNet into the branch the way BrushNet's training starts, then give the zero
        # convolutions random weights too, so the residuals are not all zero and the fusion is really exercised.
        brushnet = diffusers.BrushNetModel.from_unet(unet)
        zero_convs = list(brushnet.brushnet_down_blocks) + [brushnet.brushnet_mid_block] + list(brushnet.brushnet_up_blocks)
        with torch.no_grad():
            for conv in zero_convs:
                conv.weight.normal_(0.0, 0.05)
                conv.bias.normal_(0.0, 0.05)
        scheduler = dict(SD15_SCHEDULER)
        if args.base:
            scheduler = read_scheduler_config(args.base) or scheduler
    else:
        unet = diffusers.UNet2DConditionModel.from_pretrained(args.base, subfolder="unet")
        vae = diffusers.AutoencoderKL.from_pretrained(args.base, subfolder="vae")
        brushnet = diffusers.BrushNetModel.from_pretrained(args.brushnet)
        scheduler = read_scheduler_config(args.base) or dict(SD15_SCHEDULER)
    text_encoder = load_text_encoder(args, torch)
    for m in (unet, vae, brushnet, text_encoder):
        m.eval().requires_grad_(False).to(torch.float32)
    classic_attention(unet, diffusers)
    classic_attention(vae, diffusers)
    classic_attention(brushnet, diffusers)  # the SD1.5 branch has no attention; harmless if it ever does
    return unet, vae, brushnet, text_encoder, scheduler


def check_pairing(unet, brushnet) -> None:
    """The branch and the UNet must agree with the graph contract and with each other.

    BrushNetModel.forward concatenates [sample, brushnet_cond] into conv_in_condition (in_channels +
    conditioning_channels = 4 + 5). The fork's UNet2DConditionModel.forward adds one down residual after conv_in,
    then pops len(resnets) + (downsamplers is not None) per down block and len(resnets) + (upsamplers is not None)
    per up block, and silently ignores any residual left over, so a mismatched pair would export without error.
    """
    if unet.config.in_channels != 4:
        sys.exit(f"--base UNet takes {unet.config.in_channels} input channels: BrushNet needs a plain SD1.5 text-to-image UNet (4), not an inpainting one")
    cond = getattr(brushnet.config, "conditioning_channels", 5)
    if brushnet.config.in_channels != 4 or cond != 5:
        sys.exit(f"BrushNet takes in_channels {brushnet.config.in_channels} + conditioning_channels {cond}; the contract's brushnet_cond is 4 latent + 1 mask channels")
    down = 1 + sum(len(b.resnets) + (b.downsamplers is not None) for b in unet.down_blocks)
    up = sum(len(b.resnets) + (b.upsamplers is not None) for b in unet.up_blocks)
    if (len(brushnet.brushnet_down_blocks), len(brushnet.brushnet_up_blocks)) != (down, up):
        sys.exit(
            f"BrushNet emits {len(brushnet.brushnet_down_blocks)} down + {len(brushnet.brushnet_up_blocks)} up residuals "
            f"but the UNet takes {down} + {up}: the checkpoint was not trained for this base architecture"
        )


def read_scheduler_config(base: str):
    f = Path(base) / "scheduler" / "scheduler_config.json"
    return json.loads(f.read_text()) if f.is_file() else None


# --------------------------------------------------------------------------------------------------------------
# The wrappers that are exported


def make_wrappers(torch, unet, vae, brushnet, text_encoder, tiny: bool):
    nn = torch.nn

    class FusedBrushNetUNet(nn.Module):
        """BrushNet branch + UNet in one graph: the 28 residuals (SD1.5) never leave the device.

        The branch runs on cat([sample, brushnet_cond]) (BrushNetModel.forward concatenates internally) and its
        residuals, already multiplied by conditioning_scale, go to the UNet's down_block_add_samples /
        mid_block_add_sample / up_block_add_samples (BrushNet's fork of UNet2DConditionModel.forward pops them
        from lists, so fresh lists are passed).
        """

        def __init__(self, unet, brushnet):
            super().__init__()
            self.unet = unet
            self.brushnet = brushnet
            # BrushNet's branch always forwards the skip sizes to its upsamplers; make the UNet do the same
            # (it otherwise only does when the latent is not a multiple of 2**num_upsamplers, a trace-time
            # decision that would bake scale-factor resizes into the graph). Same numbers, and the graph then
            # accepts any latent size, e.g. 65x80 for a 520x640 image.
            self.unet.num_upsamplers = 62

        def forward(self, sample, timestep, encoder_hidden_states, brushnet_cond, conditioning_scale):
            down, mid, up = self.brushnet(
                sample,
                timestep,
                encoder_hidden_states=encoder_hidden_states,
                brushnet_cond=brushnet_cond,
                conditioning_scale=conditioning_scale,
                return_dict=False,
            )
            return self.unet(
                sample,
                timestep,
                encoder_hidden_states=encoder_hidden_states,
                down_block_add_samples=list(down),
                mid_block_add_sample=mid,
                up_block_add_samples=list(up),
                return_dict=False,
            )[0]

    class TextEncoder(nn.Module):
        def __init__(self, model, tiny):
            super().__init__()
            self.model = model
            # --tiny keeps the contract's 768-wide output with a fixed random projection of a narrow encoder.
            self.project = nn.Linear(model.config.hidden_size, 768, bias=False) if tiny else None

        def forward(self, input_ids):
            hidden = self.model(input_ids=input_ids, return_dict=False)[0]
            return self.project(hidden) if self.project is not None else hidden

    class VaeEncoder(nn.Module):
        def __init__(self, vae):
            super().__init__()
            self.vae = vae

        def forward(self, sample):
            # The distribution's mean, unscaled: the caller multiplies by scaling_factor (and may add noise).
            return self.vae.encode(sample).latent_dist.mean

    class VaeDecoder(nn.Module):
        def __init__(self, vae):
            super().__init__()
            self.vae = vae

        def forward(self, latent_sample):
            return self.vae.decode(latent_sample, return_dict=False)[0]

    return {
        "text_encoder": TextEncoder(text_encoder, tiny).eval(),
        "vae_encoder": VaeEncoder(vae).eval(),
        "unet": FusedBrushNetUNet(unet, brushnet).eval(),
        "vae_decoder": VaeDecoder(vae).eval(),
    }


def reference_unet(torch, unet, brushnet, sample, timestep, ehs, cond, scale):
    """The two-call path of StableDiffusionBrushNetPipeline (brushnet() then unet()), for the parity check."""
    down, mid, up = brushnet(sample, timestep, encoder_hidden_states=ehs, brushnet_cond=cond, conditioning_scale=scale, return_dict=False)
    return unet(sample, timestep, encoder_hidden_states=ehs, down_block_add_samples=list(down), mid_block_add_sample=mid, up_block_add_samples=list(up), return_dict=False)[0]


def example_inputs(torch, batch: int, height: int, width: int, latent_channels: int = 4):
    g = torch.Generator().manual_seed(1234)
    h, w = height // 8, width // 8
    b2 = 2 * batch
    mask = (torch.rand(b2, 1, h, w, generator=g) > 0.3).float()  # 1 = kept, 0 = hole
    return {
        "text_encoder": (torch.randint(0, 49408, (batch, 77), generator=g, dtype=torch.int64),),
        "vae_encoder": (torch.rand(batch, 3, height, width, generator=g) * 2 - 1,),
        "unet": (
            torch.randn(b2, latent_channels, h, w, generator=g),
            torch.tensor([999.0], dtype=torch.float32),
            torch.randn(b2, 77, 768, generator=g),
            torch.cat([torch.randn(b2, 4, h, w, generator=g) * mask, mask], dim=1),
            torch.tensor([1.0], dtype=torch.float32),
        ),
        "vae_decoder": (torch.randn(batch, latent_channels, h, w, generator=g),),
    }


IO = {
    "text_encoder": (["input_ids"], ["last_hidden_state"], {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}}),
    "vae_encoder": (["sample"], ["latent_mean"], {"sample": {0: "batch", 2: "height", 3: "width"}, "latent_mean": {0: "batch", 2: "latent_height", 3: "latent_width"}}),
    "unet": (
        FUSED_INPUTS,
        FUSED_OUTPUTS,
        {
            "sample": {0: "batch2", 2: "latent_height", 3: "latent_width"},
            "encoder_hidden_states": {0: "batch2"},
            "brushnet_cond": {0: "batch2", 2: "latent_height", 3: "latent_width"},
            "noise_pred": {0: "batch2", 2: "latent_height", 3: "latent_width"},
        },
    ),
    "vae_decoder": (["latent_sample"], ["sample"], {"latent_sample": {0: "batch", 2: "latent_height", 3: "latent_width"}, "sample": {0: "batch", 2: "height", 3: "width"}}),
}


# --------------------------------------------------------------------------------------------------------------
# Export, external data, fp16


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


def collapse_cast_round_trips(onnx, model) -> int:
    """onnxruntime's converter wraps every blocked node in its own casts, so a chain of blocked nodes passes
    fp32 -> fp16 -> fp32 between each pair (losing exactly the precision the block list is for), and a value
    read by two blocked nodes gets two Cast nodes of the same name (an invalid graph). Rewire each
    Cast(to fp32) whose input comes from a converter-inserted Cast(to fp16) of an fp32 value to that fp32 value,
    then drop the casts nobody reads."""
    FLOAT, FLOAT16 = onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16

    def cast_to(n):
        return next((a.i for a in n.attribute if a.name == "to"), None) if n.op_type == "Cast" else None

    g = model.graph
    producer = {o: n for n in g.node for o in n.output}
    rename = {}
    for n in g.node:
        if cast_to(n) != FLOAT:
            continue
        p = producer.get(n.input[0])
        if p is not None and cast_to(p) == FLOAT16 and (p.name.endswith("_cast_to_fp16_node") or p.name.startswith("graph_input_cast")):
            rename[n.output[0]] = p.input[0]
    if not rename:
        return 0
    for n in g.node:
        for i, name in enumerate(n.input):
            while name in rename:
                name = rename[name]
            n.input[i] = name
    outputs = {o.name for o in g.output}
    changed = True
    while changed:  # drop casts (and now-unread converter casts) whose outputs nobody reads
        changed = False
        read = {i for n in g.node for i in n.input} | outputs
        keep = [n for n in g.node if n.op_type != "Cast" or any(o in read for o in n.output)]
        if len(keep) != len(g.node):
            changed = True
            del g.node[:]
            g.node.extend(keep)
    live = {o for n in g.node for o in n.output} | {i.name for i in g.input} | {i.name for i in g.initializer}
    vi = [v for v in g.value_info if v.name in live]
    del g.value_info[:]
    g.value_info.extend(vi)
    return len(rename)


def convert_fp16(onnx, path: Path) -> None:
    try:
        from onnxruntime.transformers.float16 import convert_float_to_float16
    except ImportError:
        sys.exit("--fp16 needs onnxruntime's float16 converter: pip install onnxruntime (see requirements.txt)")
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
    model16 = convert_float_to_float16(model, keep_io_types=True, disable_shape_infer=big, node_block_list=blocked)
    del model
    collapsed = collapse_cast_round_trips(onnx, model16)
    names = [n.name for n in model16.graph.node if n.name]
    if len(names) != len(set(names)):
        sys.exit(f"{path}: the fp16 graph has duplicate node names after conversion")
    save_onnx(onnx, model16, path)
    log(f"{path.parent.name}: fp16 ({len(blocked)} timestep-embedding nodes kept fp32, {collapsed} fp32->fp16->fp32 round trips removed) in {time.time() - t0:.0f} s -> {folder_bytes(path.parent) / 1e6:.1f} MB")


# --------------------------------------------------------------------------------------------------------------
# Checks with onnxruntime


def to_numpy(t):
    return t.detach().cpu().numpy()


def check_graphs(torch, wrappers, out: Path, args, unet, brushnet) -> list[str]:
    """Run every graph with onnxruntime (CPU) at the traced size and at another size; compare with PyTorch."""
    try:
        import onnxruntime as ort
    except ImportError:
        log("onnxruntime is not installed: graphs were checked with onnx.checker only")
        return ["onnxruntime not installed: only onnx.checker ran"]
    import numpy as np

    notes = []
    sizes = [(args.height, args.width), (args.height + 64, args.width - 8 if args.width > 64 else args.width + 8)]
    for h, w in sizes:
        inputs = example_inputs(torch, 1 if (h, w) != sizes[0] else args.batch, h, w)
        for name, module in wrappers.items():
            path = out / name / "model.onnx"
            so = ort.SessionOptions()
            so.log_severity_level = 3
            try:
                sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
            except Exception as e:  # noqa: BLE001
                msg = f"{name}: onnxruntime CPU could not load it ({str(e).splitlines()[0][:200]})"
                if args.fp16:
                    msg += " - fp16 graphs target CUDA; check them there"
                log(msg)
                notes.append(msg)
                continue
            feeds = {i.name: to_numpy(v) for i, v in zip(sess.get_inputs(), inputs[name])}
            got = sess.run(None, feeds)[0]
            with torch.no_grad():
                if name == "unet":
                    want = reference_unet(torch, unet, brushnet, *inputs[name])
                else:
                    want = module(*inputs[name])
            want = to_numpy(want)
            err = float(np.max(np.abs(got - want)))
            scale = float(np.max(np.abs(want))) or 1.0
            line = f"{name}: onnxruntime vs PyTorch at {h}x{w}: output {list(got.shape)}, max |diff| {err:.3g} (max |ref| {scale:.3g})"
            log(line)
            notes.append(line)
            tol = 5e-2 if args.fp16 else 1e-3
            if not np.isfinite(got).all() or err > tol * max(1.0, scale):
                sys.exit(f"{name}: the ONNX graph does not match PyTorch ({line})")
    # conditioning_scale must stay an input that changes the result (not folded into a constant).
    path = out / "unet" / "model.onnx"
    try:
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        base = example_inputs(torch, args.batch, args.height, args.width)["unet"]
        feeds = {i.name: to_numpy(v) for i, v in zip(sess.get_inputs(), base)}
        a = sess.run(None, feeds)[0]
        feeds["conditioning_scale"] = np.array([0.0], dtype=np.float32)
        b = sess.run(None, feeds)[0]
        with torch.no_grad():
            plain = unet(base[0], base[1], encoder_hidden_states=base[2], return_dict=False)[0]
        moved = float(np.max(np.abs(a - b)))
        plain_err = float(np.max(np.abs(b - to_numpy(plain))))
        line = f"unet: conditioning_scale 1 vs 0 moves noise_pred by {moved:.3g}; at 0 it equals the plain UNet within {plain_err:.3g}"
        log(line)
        notes.append(line)
        if moved == 0.0:
            sys.exit("unet: conditioning_scale has no effect: it was folded or the residuals are zero")
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001
        notes.append(f"unet: conditioning_scale check skipped ({str(e).splitlines()[0][:160]})")
    return notes


# --------------------------------------------------------------------------------------------------------------
# Tokenizer, brushtalk.json, manifest entry, lock file


def write_tokenizer(args, out: Path) -> bool:
    src = args.tokenizer or (str(Path(args.base) / "tokenizer") if args.base else None)
    if not src:
        log("no tokenizer written (--random-init without --base or --tokenizer): the folder is for graph tests only")
        return False
    import transformers

    tok = transformers.CLIPTokenizerFast.from_pretrained(src)  # converts vocab.json + merges.txt to tokenizer.json
    dest = out / "tokenizer"
    if dest.exists():
        shutil.rmtree(dest)
    tok.save_pretrained(str(dest))
    if not (dest / "tokenizer.json").is_file():
        sys.exit(f"{dest}: CLIPTokenizerFast did not write tokenizer.json (install the `tokenizers` package)")
    ids = tok("a photo of a cat", padding="max_length", max_length=77, truncation=True)["input_ids"]
    log(f"tokenizer: 'a photo of a cat' -> {ids[:8]}... (BOS {ids[0]}, pad {ids[-1]}) -> {dest}")
    return True


# diffusers' default timestep_spacing per scheduler class (DDIMScheduler, DPMSolverMultistepScheduler,
# UniPCMultistepScheduler), keyed by brushtalk's scheduler names (src/engines/brushnet/scheduler.ts).
DIFFUSERS_DEFAULT_SPACING = {"ddim": "leading", "dpmpp-2m": "linspace", "unipc": "linspace"}


def schedule_contract(config: dict) -> dict:
    """The base model's diffusers scheduler_config as src/engines/brushnet/scheduler.ts's ScheduleConfig.

    spacings: the reference (BrushNet's examples/brushnet/test_brushnet.py, BrushEdit's app) swaps the base model's
    scheduler for XScheduler.from_config(pipe.scheduler.config); from_config drops every key the file did not contain
    (`_use_default_values`), so a file without timestep_spacing (SD1.5's own, saved by an older diffusers) runs each
    class's default (UniPC and DPM-Solver++ "linspace", DDIM "leading"), and a file that names one runs that one in
    all of them. `spacing` is UniPC's (the reference's), for readers that know no `spacings`. setAlphaToOne is DDIM's
    set_alpha_to_one (its class default is true; SD's file sets false).
    """
    def refuse(why: str):
        sys.exit(f"base scheduler_config: {why}; brushtalk's schedulers cannot reproduce it")

    if config.get("trained_betas") is not None:
        refuse("it has trained_betas")
    beta_schedule = config.get("beta_schedule", "linear")
    if beta_schedule not in ("scaled_linear", "linear"):
        refuse(f"beta_schedule {beta_schedule!r} is neither 'scaled_linear' nor 'linear'")
    named = None if "timestep_spacing" in config.get("_use_default_values", []) else config.get("timestep_spacing")
    if named is not None and named not in ("linspace", "leading", "trailing"):
        refuse(f"timestep_spacing {named!r}")
    spacings = {k: named for k in DIFFUSERS_DEFAULT_SPACING} if named else dict(DIFFUSERS_DEFAULT_SPACING)
    prediction = config.get("prediction_type") or "epsilon"
    if prediction not in ("epsilon", "v_prediction"):
        refuse(f"prediction_type {prediction!r}")
    return {
        "numTrainTimesteps": int(config.get("num_train_timesteps", 1000)),
        "betaStart": float(config.get("beta_start", 0.0001)),
        "betaEnd": float(config.get("beta_end", 0.02)),
        "betaSchedule": beta_schedule,
        "spacing": spacings["unipc"],
        "spacings": spacings,
        "stepsOffset": int(config.get("steps_offset", 0)),
        "predictionType": prediction,
        "setAlphaToOne": bool(config.get("set_alpha_to_one", True)),
    }


def check_brushtalk_info(info: dict) -> None:
    """The fields src/engines/brushnet/folder.ts's zod schema requires, checked here so a bad file never ships."""
    def bad(why: str):
        sys.exit(f"brushtalk.json would not load in brushtalk: {why}")

    def positive_int(v):
        return isinstance(v, int) and not isinstance(v, bool) and v > 0

    def positive(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0

    if info.get("format") != BRUSHTALK_FORMAT:
        bad(f"format must be {BRUSHTALK_FORMAT!r}")
    if not positive_int(info.get("sampleSize")):
        bad("sampleSize must be a positive integer")
    if info.get("latentChannels") != 4:
        bad(f"latentChannels must be 4, the VAE has {info.get('latentChannels')}")
    if not positive(info.get("scalingFactor")):
        bad("scalingFactor must be a positive number")
    sch = info.get("scheduler") or {}
    if not positive_int(sch.get("numTrainTimesteps")):
        bad("scheduler.numTrainTimesteps must be a positive integer")
    if not (positive(sch.get("betaStart")) and positive(sch.get("betaEnd"))):
        bad("scheduler.betaStart/betaEnd must be positive numbers")
    if sch.get("betaSchedule") not in ("scaled_linear", "linear"):
        bad("scheduler.betaSchedule")
    if sch.get("spacing") not in ("linspace", "leading", "trailing"):
        bad("scheduler.spacing")
    spacings = sch.get("spacings", {})
    if not isinstance(spacings, dict) or any(k not in DIFFUSERS_DEFAULT_SPACING or v not in ("linspace", "leading", "trailing") for k, v in spacings.items()):
        bad("scheduler.spacings must map ddim / dpmpp-2m / unipc to linspace, leading or trailing")
    if not isinstance(sch.get("setAlphaToOne", False), bool):
        bad("scheduler.setAlphaToOne must be true or false")
    if not (isinstance(sch.get("stepsOffset"), int) and sch["stepsOffset"] >= 0):
        bad("scheduler.stepsOffset must be an integer >= 0")
    if sch.get("predictionType") not in ("epsilon", "v_prediction"):
        bad("scheduler.predictionType")


def brushtalk_info(args, scheduler: dict, vae_config, unet_config) -> dict:
    """brushtalk.json: the contract fields folder.ts reads (camelCase), then informational ones it ignores."""
    info = {
        "format": BRUSHTALK_FORMAT,
        "sampleSize": int(getattr(unet_config, "sample_size", 64)),
        "latentChannels": int(getattr(vae_config, "latent_channels", 4)),
        "scalingFactor": float(getattr(vae_config, "scaling_factor", SCALING_FACTOR_SD15)),
        "scheduler": schedule_contract(scheduler),
        "checkpoint": args.checkpoint_name or (Path(args.brushnet).name if args.brushnet else ("random-init-tiny" if args.tiny else "random-init")),
        "baseModel": args.base_name or (Path(args.base).name if args.base else ("random-init-tiny" if args.tiny else "random-init")),
        "baseScheduler": {k: v for k, v in scheduler.items() if not k.startswith("_") or k == "_class_name"},
        "dtype": "fp16" if args.fp16 else "fp32",
        "opset": args.opset,
        "vaeEncoderOutput": "latent_mean (unscaled; multiply by scalingFactor)",
        "maskPolarity": "brushnet_cond[:, 4] is 1 on kept pixels, 0 in the hole",
        "exportedWith": {"sourceRepo": args.source_repo, "sourceRevision": args.source_revision, "script": "weights/convert/export_brushnet.py"},
    }
    check_brushtalk_info(info)
    return info


def write_brushtalk_json(out: Path, info: dict) -> None:
    (out / "brushtalk.json").write_text(json.dumps(info, indent=2) + "\n")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def graph_names(onnx, path: Path) -> tuple[list[str], list[str]]:
    model = onnx.load(str(path), load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in inits], [o.name for o in model.graph.output]


def manifest_entry(onnx, args, out: Path) -> tuple[dict, dict]:
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != ".brushtalk-lock.json" and not p.name.startswith("."))
    records = {}
    entries = []
    for p in files:
        rel = p.relative_to(out).as_posix()
        digest, size = sha256_of(p), p.stat().st_size
        records[rel] = {"sha256": digest, "bytes": size}
        entries.append({"path": rel, "sha256": None if args.no_pin else digest, "bytes": None if args.no_pin else size})
    graphs = []
    for rel in GRAPHS:
        if (out / rel).is_file():
            inputs, outputs = graph_names(onnx, out / rel)
            graphs.append({"path": rel, "inputs": inputs, "outputs": outputs})
    total = folder_bytes(out)
    entry = {
        "id": args.id,
        "task": "inpainting",
        "family": "brushnet",
        "description": (
            f"BrushNet ({'random weights' if args.random_init else (args.checkpoint_name or Path(args.brushnet).name)}) + "
            f"SD1.5 ({'random weights' if args.random_init else (args.base_name or Path(args.base).name)}) as ONNX, "
            f"{'fp16 weights with fp32 I/O' if args.fp16 else 'fp32'}: fused branch+UNet, text encoder, VAE"
        ),
        "source": {"repo": args.source_repo, "revision": args.source_revision},
        "license": args.license
        or "BrushNet code and SD1.5 checkpoints: Apache-2.0 (Tencent); BrushEdit's brushnetX: Tencent's BrushEdit licence (Apache-2.0 terms, not for the EU); SD1.5 base weights: CreativeML OpenRAIL-M",
        "sizeHint": f"about {total / 1e9:.1f} GB" if total >= 1e9 else f"about {total / 1e6:.0f} MB",
        "producedBy": {
            "script": "weights/convert/export_brushnet.py",
            "instructions": "weights/convert/README.md",
        },
        "files": entries,
        "graphs": graphs,
    }
    return entry, records


def write_lock(args, out: Path, records: dict) -> None:
    """The record `weights verify` checks against (trust on first use: the export is the first use)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    lock = {
        "version": 1,
        "id": args.id,
        "repo": args.source_repo,
        "revision": args.source_revision,
        "commit": None,
        "files": {k: {"sha256": v["sha256"], "bytes": v["bytes"], "pulledAt": now} for k, v in records.items()},
        "verifiedAt": None,
    }
    (out / ".brushtalk-lock.json").write_text(json.dumps(lock, indent=2) + "\n")


def format_json(value, indent: int = 0, width: int = 120) -> str:
    """JSON laid out like weights/manifest.json: objects and arrays of plain values on one line when they fit."""
    pad = "  " * indent
    plain = lambda v: not isinstance(v, (dict, list))  # noqa: E731
    if isinstance(value, dict):
        if not value:
            return "{}"
        if all(plain(v) for v in value.values()):
            one = "{ " + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in value.items()) + " }"
            if len(pad) + len(one) <= width - 2:
                return one
        inner = ",\n".join(f"{pad}  {json.dumps(k)}: {format_json(v, indent + 1, width)}" for k, v in value.items())
        return "{\n" + inner + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if all(plain(v) for v in value):
            return "[" + ", ".join(json.dumps(v) for v in value) + "]"
        inner = ",\n".join(f"{pad}  {format_json(v, indent + 1, width)}" for v in value)
        return "[\n" + inner + "\n" + pad + "]"
    return json.dumps(value)


def update_manifest(path: str, entry: dict) -> None:
    data = json.loads(Path(path).read_text())
    models = data.setdefault("models", [])
    for i, m in enumerate(models):
        if m.get("id") == entry["id"]:
            models[i] = entry
            break
    else:
        models.append(entry)
    Path(path).write_text(format_json(data) + "\n")
    log(f"manifest: wrote entry {entry['id']} to {path}")


# --------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.time()
    diffusers = import_brushnet_diffusers(args.brushnet_repo)
    import onnx
    import torch

    log(f"torch {torch.__version__}, onnx {onnx.__version__}, opset {args.opset}, {'random ' + ('tiny' if args.tiny else 'full-size') if args.random_init else 'checkpoint'} weights")
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)

    unet, vae, brushnet, text_encoder, scheduler = load_models(args, diffusers, torch)
    # brushtalk.json is settled before the long export, so a base model brushtalk cannot schedule fails now.
    info = brushtalk_info(args, scheduler, vae.config, unet.config)
    log(f"brushtalk.json: scheduler {json.dumps(info['scheduler'])}")
    params = {n: sum(p.numel() for p in m.parameters()) for n, m in [("unet", unet), ("brushnet", brushnet), ("vae", vae), ("text_encoder", text_encoder)]}
    log("parameters: " + ", ".join(f"{k} {v / 1e6:.1f} M" for k, v in params.items()))
    check_pairing(unet, brushnet)
    n_res = len(brushnet.brushnet_down_blocks) + 1 + len(brushnet.brushnet_up_blocks)
    log(f"BrushNet residuals: {len(brushnet.brushnet_down_blocks)} down + 1 mid + {len(brushnet.brushnet_up_blocks)} up = {n_res}")

    wrappers = make_wrappers(torch, unet, vae, brushnet, text_encoder, args.tiny)
    inputs = example_inputs(torch, args.batch, args.height, args.width, latent_channels=unet.config.in_channels)

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
    notes = [] if args.skip_check else check_graphs(torch, wrappers, out, args, unet, brushnet)

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
    for n in notes:
        log(f"check: {n}")
    print(format_json(entry, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
