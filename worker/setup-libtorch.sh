#!/usr/bin/env bash
# Installs libtorch 2.13.0 (from the PyPI torch wheel, without its multi-GB CUDA
# dependencies) and scikit-learn (for the bundled digits dataset) into a venv at a
# stable path, so that LIBTORCH never changes and torch-sys is not rebuilt.
# Idempotent: a second run only checks and prints. Prints the LIBTORCH path last.
set -euo pipefail

CACHE="${DEAI_CACHE:-/var/cache/deai}"
VENV="$CACHE/venv"
PY="${PYTHON:-python3}"
TORCH_PKGS=(torch==2.13.0 nvidia-cuda-runtime==13.0.96 nvidia-cuda-cupti==13.0.85)

mkdir -p "$CACHE"
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV" >&2
fi

# The venv's own site-packages, so the path is right whatever python3 minor version.
SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
LIBTORCH="$SITE/torch"

if [ ! -f "$LIBTORCH/lib/libtorch_cpu.so" ] || [ ! -f "$SITE/torch-2.13.0.dist-info/METADATA" ]; then
    # --no-deps: the wheel's CUDA deps are several GB; libtorch_cpu.so links only
    # against the two small runtime libraries named here.
    "$VENV/bin/pip" install --quiet --no-deps "${TORCH_PKGS[@]}" >&2
fi

DIGITS="$SITE/sklearn/datasets/data/digits.csv.gz"
if [ ! -f "$DIGITS" ]; then
    "$VENV/bin/pip" install --quiet scikit-learn >&2
fi

for f in "$LIBTORCH/lib/libtorch_cpu.so" "$DIGITS"; do
    if [ ! -f "$f" ]; then
        echo "setup-libtorch: expected $f after install, not found" >&2
        exit 1
    fi
done

echo "$LIBTORCH"
