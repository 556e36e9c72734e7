#!/usr/bin/env bash
# The inference market's zk path, on a localnet started with an inference server:
#   localnet/up.sh --with-inference-server
#   localnet/demo-inference.sh [--home DIR] [--input FILE]
# demo1 asks the registered digits model (zk mode) to classify a digit; the server proves
# its answer, the chain verifies the Groth16 proof and pays it; the script prints the
# verified output, the blocks from request to result, and how the fee was split.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"

DIR="$REPO_ROOT/.localnet"
INPUT="$REPO_ROOT/worker/cli/examples/digit-0.json"
while [ $# -gt 0 ]; do
  case "$1" in
    --home) DIR="$2"; shift 2 ;;
    --input) INPUT="$2"; shift 2 ;;
    -h|--help) sed -n 2,7p "$0"; exit 0 ;;
    *) echo "error: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -f "$DIR/inference/model_id" ] || { echo "error: no inference model at $DIR (run localnet/up.sh --with-inference-server)" >&2; exit 1; }
BIN_DIR="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release"
DEAID_BIN="${DEAID_BIN:-$BIN_DIR/deaid}"
WORKER_BIN="${WORKER_BIN:-$BIN_DIR/deai-worker}"
NODE="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nodes"][0]["rpc"])' "$DIR/localnet.json")"
MODEL="$(cat "$DIR/inference/model_id")"

echo "demo1 asks model $MODEL about $(basename "$INPUT") (zk mode)..."
answer="$("$WORKER_BIN" --quiet --output json request --node "$NODE" --key demo1 --keyring-backend test \
  --home "$DIR/keys" --model "$MODEL" --input "$INPUT" --mode zk)"
request="$(echo "$answer" | python3 -c 'import json,sys; print(json.load(sys.stdin)["request_id"])')"
record="$("$DEAID_BIN" query inference request "$request" --node "$NODE" -o json)"
params="$("$DEAID_BIN" query inference params --node "$NODE" -o json)"
python3 - "$answer" "$record" "$params" <<'PY'
import json, sys
a, r, p = (json.loads(x) for x in sys.argv[1:4])
r, p = r["request"], p["params"]
dec = lambda s: (lambda i, f: int(i) * 10**18 + int((f + "0" * 18)[:18]))(*(s.split(".") + [""])[:2])
fee = int(a["fee"]["amount"]) if isinstance(a.get("fee"), dict) else int(r["fee"]["amount"])
take, royalty = fee * dec(p["take_rate"]) // 10**18, fee * dec(p["royalty_rate"]) // 10**18
print(f"request {a['request_id']}: {a['state']} by {a['server']}")
print(f"  output {a['output']} -> class {a['class']}, proof verified on chain and here: {a['verified']}")
print(f"  blocks from request to result: {int(r['completed_height']) - int(r['created_height'])}")
print(f"  fee {fee}udeai: server {fee - take - royalty}, model owner royalty {royalty}, community pool {take}")
PY
