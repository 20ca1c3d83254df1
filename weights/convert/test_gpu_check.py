"""gpu_check.py's pieces that need no GPU: the tables and their verdict, and the hub stand-ins. The whole script on
tiny models runs when torch and a BrushNet clone are there (BRUSHNET_REPO=<clone>); skipped otherwise."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import subprocess
import sys
import unittest
from pathlib import Path

import gpu_check

HERE = Path(__file__).resolve().parent


def tables(results: dict) -> tuple[bool, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ok = gpu_check.print_tables({"device": "test", "size": 512, "tiny": False, "seconds": 1.0, **results})
    return ok, out.getvalue()


SPEED = {"dtype": "fp16", "ms_step": 20.0, "vae_encode_ms": 10.0, "vae_decode_ms": 30.0, "images_min_25": 60_000 / 540, "images_min_50": 60_000 / 1040, "peak_gib": 7.25}


def test_speed_row_prints_ms_per_step_and_images_per_minute():
    ok, text = tables({"speed": [SPEED], "parity": []})
    assert ok
    assert "| dtype | ms/step | VAE encode ms | VAE decode ms | images/min, 25 steps | images/min, 50 steps | peak GiB |" in text
    assert "| fp16 | 20.0 | 10.0 | 30.0 | 111.1 | 57.7 | 7.2 |" in text


def test_a_missed_parity_target_or_an_error_fails_the_run_and_a_skip_does_not():
    met = {"dtype": "fp32", "provider": "CUDAExecutionProvider", "max_abs": 2e-6, "rel_l2": 1e-6, "target": "max_abs <= 0.0001", "met": True}
    assert tables({"speed": [SPEED], "parity": [met, {"dtype": "fp16", "skipped": "time bound"}]})[0]
    missed = dict(met, dtype="fp16", max_abs=0.01, rel_l2=0.005, target="rel_l2 <= 0.002", met=False)
    ok, text = tables({"speed": [], "parity": [met, missed]})
    assert not ok and "| fp16 | CUDAExecutionProvider | 0.01 | 0.005 | rel_l2 <= 0.002 | NO |" in text and "TARGETS MISSED" in text
    assert not tables({"speed": [], "parity": [{"dtype": "fp32", "error": "boom"}]})[0]
    assert not tables({"speed": [dict(SPEED, note="latents not finite")], "parity": []})[0]


def test_hub_stand_ins_only_for_missing_packages_and_they_refuse_to_download():
    saved = {k: v for k, v in sys.modules.items() if k.split(".")[0] in ("huggingface_hub", "safetensors")}
    try:
        missing = [name for name in ("huggingface_hub", "safetensors") if importlib.util.find_spec(name) is None]
        assert gpu_check.stub_hub() == missing
        assert all(importlib.util.find_spec(name) is not None for name in missing)
        if "huggingface_hub" in missing:
            import huggingface_hub

            assert huggingface_hub.validate_hf_hub_args(len) is len
            try:
                huggingface_hub.hf_hub_download("x")
            except RuntimeError as e:
                assert "--stub-hub" in str(e)
            else:
                raise AssertionError("the stand-in downloaded")
    finally:
        for key in [k for k in sys.modules if k.split(".")[0] in ("huggingface_hub", "safetensors")]:
            del sys.modules[key]
        sys.modules.update(saved)


def test_whole_script_on_tiny_models_on_cpu():
    repo = os.environ.get("BRUSHNET_REPO")
    if not repo or importlib.util.find_spec("torch") is None:
        raise unittest.SkipTest("needs torch and BRUSHNET_REPO=<TencentARC/BrushNet clone>")
    run = subprocess.run([sys.executable, str(HERE / "gpu_check.py"), "--brushnet-repo", repo, "--device", "cpu", "--tiny", "--size", "64",
                          "--steps", "2", "--stub-hub", "--dtypes", "fp32"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    row = next(line for line in run.stdout.splitlines() if line.startswith("| fp32 | ") and "VAE" not in line)
    cells = [c.strip() for c in row.split("|")[2:7]]
    assert all(float(c) > 0 for c in cells), row
