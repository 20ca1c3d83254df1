"""Loading BrushNet's models from the fork, checking the pair, and reading the widths the graphs are built with."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from export_common import log

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
    cross_attention_dim=32,
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
# The full vocabulary stays (real token ids must index it); the width is 32, the tiny UNet's cross_attention_dim.
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
# What brushtalk's pipeline feeds the text encoder (src/engines/brushnet/pipeline.ts TEXT_LENGTH).
TEXT_LENGTH = 77


def import_brushnet_diffusers(repo: str):
    """Put the BrushNet clone's diffusers fork first on sys.path and import it (never a pip-installed diffusers)."""
    root = Path(repo).resolve()
    src = root / "src" if (root / "src" / "diffusers").is_dir() else root
    if not (src / "diffusers").is_dir():
        sys.exit(f"--brushnet-repo {repo}: no diffusers/ package in it or in its src/ (is it a TencentARC/BrushNet clone?)")
    sys.path.insert(0, str(src))
    for name in [m for m in sys.modules if m == "diffusers" or m.startswith("diffusers.")]:
        del sys.modules[name]
    try:
        import diffusers  # noqa: E402
    except ImportError as e:
        sys.exit(
            f"BrushNet's diffusers fork needs the Python package {e.name!r}, which is not installed: pip install -r "
            "requirements.txt (Debian 12 packages neither huggingface_hub nor safetensors; see README.md)"
        )

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
    import transformers  # only here: --no-text-encoder exports run without transformers

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
    text_encoder = None if args.no_text_encoder else load_text_encoder(args, torch)
    for m in (unet, vae, brushnet, text_encoder):
        if m is not None:
            m.eval().requires_grad_(False).to(torch.float32)
    classic_attention(unet, diffusers)
    classic_attention(vae, diffusers)
    classic_attention(brushnet, diffusers)  # the SD1.5 branch has no attention; harmless if it ever does
    return unet, vae, brushnet, text_encoder, scheduler


def model_widths(unet, vae, brushnet, text_encoder) -> dict:
    """The widths the graphs are traced and checked with, read from the models' configs (nothing assumes SD1.5's
    768 / 4 / 5), after checking that the four models agree with each other and with the graph contract.

    BrushNetModel.forward concatenates [sample, brushnet_cond] into conv_in_condition (in_channels +
    conditioning_channels, 4 + 5 for SD1.5). The fork's UNet2DConditionModel.forward adds one down residual after
    conv_in, then pops len(resnets) + (downsamplers is not None) per down block and len(resnets) + (upsamplers is not
    None) per up block, and silently ignores any residual left over, so a mismatched pair would export without error.
    """
    uc, vc, bc = unet.config, vae.config, brushnet.config
    text_dim = uc.cross_attention_dim
    if not isinstance(text_dim, int):
        sys.exit(f"the UNet's cross_attention_dim is {text_dim!r}: one width for every block is needed (encoder_hidden_states is one tensor)")
    latent = vc.latent_channels
    if uc.in_channels != latent:
        hint = " (an inpainting UNet: BrushNet needs the base text-to-image UNet)" if uc.in_channels == latent * 2 + 1 else ""
        sys.exit(f"--base UNet takes {uc.in_channels} input channels but the VAE has {latent} latent channels{hint}")
    if uc.out_channels != latent:
        sys.exit(f"--base UNet predicts {uc.out_channels} channels but the VAE has {latent} latent channels")
    cond = getattr(bc, "conditioning_channels", 5)
    if bc.in_channels != latent or cond != latent + 1:
        sys.exit(f"BrushNet takes in_channels {bc.in_channels} + conditioning_channels {cond}; brushnet_cond must be the masked-image latent ({latent}) + 1 mask channel")
    if getattr(bc, "cross_attention_dim", text_dim) != text_dim:
        sys.exit(f"BrushNet was built for text width {bc.cross_attention_dim}, the UNet for {text_dim}: the checkpoint does not fit this base model")
    down = 1 + sum(len(b.resnets) + (b.downsamplers is not None) for b in unet.down_blocks)
    up = sum(len(b.resnets) + (b.upsamplers is not None) for b in unet.up_blocks)
    if (len(brushnet.brushnet_down_blocks), len(brushnet.brushnet_up_blocks)) != (down, up):
        sys.exit(
            f"BrushNet emits {len(brushnet.brushnet_down_blocks)} down + {len(brushnet.brushnet_up_blocks)} up residuals "
            f"but the UNet takes {down} + {up}: the checkpoint was not trained for this base architecture"
        )
    if text_encoder is not None:
        tc = text_encoder.config
        if tc.hidden_size != text_dim:
            sys.exit(f"the text encoder's hidden size is {tc.hidden_size} but the UNet's cross_attention_dim is {text_dim}: --base mixes models of different families")
        if tc.max_position_embeddings != TEXT_LENGTH:
            sys.exit(f"the text encoder takes {tc.max_position_embeddings} positions; brushtalk's pipeline feeds {TEXT_LENGTH} tokens")
    vocab = text_encoder.config.vocab_size if text_encoder is not None else 49408
    return {"text_dim": text_dim, "text_length": TEXT_LENGTH, "latent_channels": latent, "cond_channels": cond, "residuals": (down, 1, up), "vocab_size": vocab}


def reused_text_encoder_width(onnx, path: Path) -> int | None:
    """The fixed width of an exported text encoder's last_hidden_state (None when that axis is dynamic)."""
    model = onnx.load(str(path), load_external_data=False)
    out = next((o for o in model.graph.output if o.name == "last_hidden_state"), None)
    if out is None:
        sys.exit(f"{path} has no last_hidden_state output: it is not a text encoder exported for brushtalk")
    dims = out.type.tensor_type.shape.dim
    return dims[2].dim_value if len(dims) == 3 and dims[2].HasField("dim_value") else None


def read_scheduler_config(base: str):
    f = Path(base) / "scheduler" / "scheduler_config.json"
    return json.loads(f.read_text()) if f.is_file() else None

