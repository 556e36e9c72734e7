# Shared environment of deai's scripts: where caches, tools and libtorch live.
# Sourced, not executed.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DEAI_CACHE="${DEAI_CACHE:-/var/cache/deai}"
export COMETBFT_VERSION="${COMETBFT_VERSION:-v0.38.26}"
export GOBIN="${GOBIN:-$DEAI_CACHE/bin}"
export PATH="$GOBIN:$HOME/.cargo/bin:$PATH"
export LIBTORCH="${LIBTORCH:-$DEAI_CACHE/venv/lib/python3.11/site-packages/torch}"
export LD_LIBRARY_PATH="$LIBTORCH/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
mkdir -p "$DEAI_CACHE" "$GOBIN" 2>/dev/null || true

# Installs the pinned CometBFT with `go install` unless that exact version is present.
ensure_cometbft() {
  if command -v cometbft >/dev/null 2>&1 && cometbft version 2>/dev/null | grep -q "${COMETBFT_VERSION#v}"; then
    return 0
  fi
  command -v go >/dev/null 2>&1 || { echo "error: Go is needed to install CometBFT (apt-get install golang)" >&2; return 1; }
  echo "installing cometbft $COMETBFT_VERSION into $GOBIN" >&2
  go install "github.com/cometbft/cometbft/cmd/cometbft@$COMETBFT_VERSION"
}

# Installs CometBFT's abci-cli (its example apps as out-of-process ABCI servers) of the
# pinned version into a directory of that version; sets ABCI_CLI to its path.
ensure_abci_cli() {
  local dir="$DEAI_CACHE/bin/abci-cli-$COMETBFT_VERSION"
  ABCI_CLI="$dir/abci-cli"
  [ -x "$ABCI_CLI" ] && return 0
  command -v go >/dev/null 2>&1 || { echo "error: Go is needed to install abci-cli (apt-get install golang)" >&2; return 1; }
  echo "installing abci-cli $COMETBFT_VERSION into $dir" >&2
  GOBIN="$dir" go install "github.com/cometbft/cometbft/abci/cmd/abci-cli@$COMETBFT_VERSION"
}
