#!/usr/bin/env bash
# Runs artifacts/*.wasm (from ./build.sh) through cosmwasm-vm 2.3.5 and prints the gas of each
# call. The first run builds the vm and wasmer: about 5 min on 2 cores, into
# $DEAI_CACHE/vm-check-target (default /var/cache/deai/vm-check-target, about 1 GB).
set -euo pipefail
cd "$(dirname "$0")"
[ -f artifacts/agent-marketplace.wasm ] && [ -f artifacts/model-marketplace.wasm ] || {
    echo "no artifacts: run ./build.sh first" >&2
    exit 1
}
export CARGO_TARGET_DIR="${DEAI_CACHE:-/var/cache/deai}/vm-check-target"
cd vm-check
cargo run --locked -q -- "$(cd ../artifacts && pwd)"
