# Shared environment of deai's scripts: where caches, tools and libtorch live.
# Sourced, not executed.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DEAI_CACHE="${DEAI_CACHE:-/var/cache/deai}"
export COMETBFT_VERSION="${COMETBFT_VERSION:-v0.38.26}"
export GOBIN="${GOBIN:-$DEAI_CACHE/bin}"
export PATH="$GOBIN:$HOME/.cargo/bin:$PATH"
export LIBTORCH="${LIBTORCH:-$DEAI_CACHE/venv/lib/python3.11/site-packages/torch}"
export LD_LIBRARY_PATH="$LIBTORCH/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# scikit-learn's digits file in the venv worker/setup-libtorch.sh makes: the examples' dataset.
export DEAI_DIGITS_CSV="${DEAI_DIGITS_CSV:-$DEAI_CACHE/venv/lib/python3.11/site-packages/sklearn/datasets/data/digits.csv.gz}"
mkdir -p "$DEAI_CACHE" "$GOBIN" 2>/dev/null || true

# Prints the path of the worker's example spec NAME (worker/cli/examples/NAME.json) with its
# dataset path hint at $DEAI_DIGITS_CSV: the example itself where that is the path it names
# (the default cache's), else a copy written to $DEAI_CACHE/specs/NAME.json.
example_spec() {
  python3 - "$REPO_ROOT/worker/cli/examples/$1.json" "$DEAI_DIGITS_CSV" "$DEAI_CACHE/specs" <<'PY'
import json, os, sys
src, digits, out_dir = sys.argv[1:]
spec = json.load(open(src))
if spec["dataset"].get("path") == digits:
    print(src)
    sys.exit()
spec["dataset"]["path"] = digits
os.makedirs(out_dir, exist_ok=True)
out = os.path.join(out_dir, os.path.basename(src))
tmp = f"{out}.{os.getpid()}"
with open(tmp, "w") as f:
    json.dump(spec, f, indent=2)
os.replace(tmp, out)
print(out)
PY
}

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
