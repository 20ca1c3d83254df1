"""Constants and the logger shared by export_brushnet.py and its modules (no third-party imports)."""

from __future__ import annotations

import sys
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
# brushtalk.json's format tag (src/engines/brushnet/folder.ts refuses a file without exactly this value).
BRUSHTALK_FORMAT = "brushtalk-brushnet/1"


def log(msg: str) -> None:
    print(f"[export_brushnet] {msg}", file=sys.stderr, flush=True)


def banner(msg: str) -> None:
    """A line nobody can miss in a long log: what was not done, or what was only partly done."""
    bar = "!" * 100
    log(bar)
    log(f"!! {msg}")
    log(bar)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def graph_names(onnx, path: Path) -> tuple[list[str], list[str]]:
    model = onnx.load(str(path), load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in inits], [o.name for o in model.graph.output]
