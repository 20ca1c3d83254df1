#!/bin/sh
# The device check for a lent GPU machine (Python + PyTorch CUDA, no Node, no network), bounded to 8 minutes:
#   sh weights/convert/gpu_check.sh --brushnet-repo <TencentARC/BrushNet clone> [--stub-hub]
# See gpu_check.py and README.md ("A GPU check without Node").
exec timeout 480 "${PYTHON:-python3}" "$(dirname "$0")/gpu_check.py" --budget-s 420 "$@"
