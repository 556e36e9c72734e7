#!/usr/bin/env bash
# Idempotent install of the wasm32 contract toolchain (see ../shared/DESIGN.md,
# "Building contracts to wasm32"): Debian's rustc-web (rustc 1.96 with std sources for
# -Zbuild-std) and lld-22 (wasm-ld-22). rustup's toolchain stays first on PATH; build.sh
# calls /usr/bin/rustc and /usr/bin/cargo explicitly.
set -euo pipefail

PKGS=(rustc-web cargo-web rust-web-src lld-22)
missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "wasm toolchain: already installed (${PKGS[*]})"
else
    echo "wasm toolchain: installing ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

/usr/bin/rustc --version
/usr/bin/cargo --version
command -v wasm-ld-22 >/dev/null || { echo "wasm-ld-22 not found after install" >&2; exit 1; }
echo "wasm-ld-22: $(command -v wasm-ld-22)"
