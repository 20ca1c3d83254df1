"""brushtalk.json, the tokenizer folder, the manifest entry and the lock file: what brushtalk reads from an export."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

from export_common import BRUSHTALK_FORMAT, GRAPHS, SCALING_FACTOR_SD15, folder_bytes, graph_names, log


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
    if not positive_int(info.get("latentChannels")):
        bad(f"latentChannels must be a positive integer, the VAE has {info.get('latentChannels')}")
    if not positive_int(info.get("textDim")):
        bad(f"textDim must be a positive integer, the UNet's cross_attention_dim is {info.get('textDim')}")
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


def brushtalk_info(args, scheduler: dict, vae_config, unet_config, widths: dict) -> dict:
    """brushtalk.json: the contract fields folder.ts reads (camelCase), then informational ones it ignores."""
    info = {
        "format": BRUSHTALK_FORMAT,
        "sampleSize": int(getattr(unet_config, "sample_size", 64)),
        "latentChannels": int(widths["latent_channels"]),
        "textDim": int(widths["text_dim"]),
        "scalingFactor": float(getattr(vae_config, "scaling_factor", SCALING_FACTOR_SD15)),
        "scheduler": schedule_contract(scheduler),
        "checkpoint": args.checkpoint_name or (Path(args.brushnet).name if args.brushnet else ("random-init-tiny" if args.tiny else "random-init")),
        "baseModel": args.base_name or (Path(args.base).name if args.base else ("random-init-tiny" if args.tiny else "random-init")),
        "baseScheduler": {k: v for k, v in scheduler.items() if not k.startswith("_") or k == "_class_name"},
        "dtype": "fp16" if args.fp16 else "fp32",
        "opset": args.opset,
        "vaeEncoderOutput": "latent_mean (unscaled; multiply by scalingFactor)",
        "maskPolarity": "brushnet_cond's last channel is 1 on kept pixels, 0 in the hole",
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

