#!/usr/bin/env bash
# Builds deai's contracts to wasm32 with Debian's rustc-web toolchain (the recipe measured in
# ../shared/DESIGN.md, "Building contracts to wasm32"), copies them to artifacts/<name>.wasm
# and prints their sizes and sha256.
#
#   ./setup-toolchain.sh   # once: rustc-web cargo-web rust-web-src lld-22
#   ./build.sh             # both contracts
#   ./build.sh agent-marketplace
#
# The target dir is $DEAI_CACHE/wasm-target (default /var/cache/deai/wasm-target): it is
# never shared with rustup's toolchain, and CI can cache it.
set -euo pipefail
cd "$(dirname "$0")"

CONTRACTS=("$@")
if [ ${#CONTRACTS[@]} -eq 0 ]; then CONTRACTS=(agent-marketplace model-marketplace reflect); fi

for tool in /usr/bin/rustc /usr/bin/cargo wasm-ld-22; do
    command -v "$tool" >/dev/null || { echo "missing $tool: run ./setup-toolchain.sh" >&2; exit 1; }
done

CACHE="${DEAI_CACHE:-/var/cache/deai}"
export CARGO_TARGET_DIR="$CACHE/wasm-target"
mkdir -p "$CARGO_TARGET_DIR" artifacts

export RUSTC=/usr/bin/rustc
export RUSTDOC=/usr/bin/rustdoc
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-22
# target-cpu=mvp: cosmwasm-vm rejects bulk memory and other post-MVP features.
# --allow-undefined: rustc 1.96 no longer passes it on wasm; the host imports need it.
# --remap-path-prefix: panic locations name registry sources; remapping CARGO_HOME keeps the
# bytes (and the sha256) the same for any user or CARGO_HOME.
CARGO_HOME_DIR="${CARGO_HOME:-$HOME/.cargo}"
export RUSTFLAGS="-C target-cpu=mvp -C link-arg=--allow-undefined --remap-path-prefix=$CARGO_HOME_DIR=/cargo"

pkgs=()
for c in "${CONTRACTS[@]}"; do pkgs+=(-p "$c"); done

start=$(date +%s)
/usr/bin/cargo build --locked --release --lib --target wasm32-unknown-unknown \
    -Zbuild-std=std,panic_abort "${pkgs[@]}"
echo "wasm build: $(( $(date +%s) - start )) s"

for c in "${CONTRACTS[@]}"; do
    src="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/${c//-/_}.wasm"
    cp "$src" "artifacts/$c.wasm"
    printf '%-28s %8d bytes  sha256 %s\n' "artifacts/$c.wasm" "$(stat -c %s "artifacts/$c.wasm")" \
        "$(sha256sum "artifacts/$c.wasm" | cut -d' ' -f1)"
done
