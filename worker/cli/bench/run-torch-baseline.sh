#!/usr/bin/env bash
# Runs `deai-worker bench` side by side with PyTorch-Python on the same wheel.
# The full torch==2.13.0 install pulls several GB of CUDA packages, so it lives in its
# own venv (default ${DEAI_CACHE:-/var/cache/deai}/venv-torch-full), outside CI.
set -euo pipefail
CACHE="${DEAI_CACHE:-/var/cache/deai}"
VENV="${DEAI_TORCH_FULL_VENV:-$CACHE/venv-torch-full}"
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
    "$VENV/bin/pip" install --quiet torch==2.13.0
fi

LIBTORCH="$(bash "$ROOT/worker/setup-libtorch.sh")"
export LIBTORCH
cd "$ROOT"
cargo build --release -p deai-worker
exec "$ROOT/target/release/deai-worker" bench --python "$VENV/bin/python" "$@"
