#!/usr/bin/env bash
# Installs everything deai needs that is not in the repo, idempotently:
# Debian packages, CometBFT (go install), libtorch + scikit-learn (PyPI wheel, in a venv).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing Debian packages: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

apt_install curl ca-certificates build-essential pkg-config
command -v go >/dev/null 2>&1 || apt_install golang
command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv
ensure_cometbft
# Real Cosmos clients for the e2e tests: grpcurl (Go module) and cosmjs (npm, pinned lock).
GRPCURL_VERSION="${GRPCURL_VERSION:-v1.9.3}"
# (`go install` builds report "dev build", so the binary's presence is the check.)
if [ ! -x "$GOBIN/grpcurl" ]; then
  echo "installing grpcurl $GRPCURL_VERSION into $GOBIN" >&2
  go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION"
fi
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
if [ ! -d "$REPO_ROOT/tests/cosmjs/node_modules/@cosmjs/stargate" ] ||
   [ "$REPO_ROOT/tests/cosmjs/package-lock.json" -nt "$REPO_ROOT/tests/cosmjs/node_modules/.package-lock.json" ]; then
  echo "installing cosmjs (npm ci in tests/cosmjs)" >&2
  # Exactly the lockfile (integrity-checked), and no package's install script runs.
  (cd "$REPO_ROOT/tests/cosmjs" && npm ci --no-audit --no-fund --ignore-scripts >&2)
fi
"$REPO_ROOT/worker/setup-libtorch.sh" >/dev/null
# cosmwasm-vm's build (wasmer, zstd) may need cmake.
command -v cmake >/dev/null 2>&1 || apt_install cmake
# The worker's cross-CPU test trains under QEMU's Haswell model (worker/cli/tests/cli.rs).
command -v qemu-x86_64 >/dev/null 2>&1 || apt_install qemu-user
# The wasm32 contract toolchain (Debian's rustc-web and lld-22; DESIGN.md).
"$REPO_ROOT/wasm-contracts/setup-toolchain.sh" >&2
echo "setup done: cometbft $(cometbft version), LIBTORCH=$LIBTORCH" >&2
