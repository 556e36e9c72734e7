#!/usr/bin/env bash
# Installs libtorch 2.13.0 (from the PyPI torch wheel, without its multi-GB CUDA
# dependencies) and scikit-learn 1.9.1 (for the bundled digits dataset) into a venv at a
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

# Only scikit-learn's bundled digits file is read (sklearn is never imported), so the wheel
# goes in without its dependencies, and the file's bytes are pinned: the golden training
# hash in worker/cli/tests/cli.rs depends on them.
DIGITS="$SITE/sklearn/datasets/data/digits.csv.gz"
DIGITS_SHA256=09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22
if [ ! -f "$DIGITS" ] || [ ! -f "$SITE/scikit_learn-1.9.1.dist-info/METADATA" ]; then
    "$VENV/bin/pip" install --quiet --no-deps scikit-learn==1.9.1 >&2
fi

for f in "$LIBTORCH/lib/libtorch_cpu.so" "$DIGITS"; do
    if [ ! -f "$f" ]; then
        echo "setup-libtorch: expected $f after install, not found" >&2
        exit 1
    fi
done

if [ "$(sha256sum "$DIGITS" | cut -d' ' -f1)" != "$DIGITS_SHA256" ]; then
    echo "setup-libtorch: $DIGITS does not have the pinned sha256 $DIGITS_SHA256" >&2
    exit 1
fi

echo "$LIBTORCH"
