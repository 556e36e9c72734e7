#!/usr/bin/env bash
# The compute market from the CLI, on a localnet started with provider workers:
#   localnet/up.sh --with-providers 2 --with-verifier
#   localnet/demo-compute.sh [--home DIR] [--spec FILE] [--out DIR] [--redundancy K]
# Orders a training job (the digits MLP by default) as demo1 with redundancy 2, waits while
# the chain leases it and the workers train, report and agree, fetches the trained weights
# (checked against the chain), and prints where every token of the escrow went, with the
# blocks and the wall time from create-order to the accepted result.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"

DIR="$REPO_ROOT/.localnet"
SPEC="$(example_spec digits-mlp)"
OUT=""
K=2
while [ $# -gt 0 ]; do
  case "$1" in
    --home) DIR="$2"; shift 2 ;;
    --spec) SPEC="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --redundancy) K="$2"; shift 2 ;;
    -h|--help) sed -n 2,9p "$0"; exit 0 ;;
    *) echo "error: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -f "$DIR/localnet.json" ] || { echo "error: no localnet at $DIR (run localnet/up.sh --with-providers 2 --with-verifier)" >&2; exit 1; }
OUT="${OUT:-$DIR/demo-compute-result}"
BIN_DIR="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release"
DEAID_BIN="${DEAID_BIN:-$BIN_DIR/deaid}"
WORKER_BIN="${WORKER_BIN:-$BIN_DIR/deai-worker}"
NODE="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nodes"][0]["rpc"])' "$DIR/localnet.json")"
KEYS=(--keyring-backend test --home "$DIR/keys")
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
query() { "$DEAID_BIN" query compute "$@" --node "$NODE" -o json; }
height() { curl -s "$NODE/status" | json 'd["result"]["sync_info"]["latest_block_height"]'; }

echo "ordering $(basename "$SPEC") with redundancy $K as demo1..."
t0="$(date +%s.%N)"
h0="$(height)"
created="$("$DEAID_BIN" tx compute create-order demo1 --spec "$SPEC" --attributes region=eu \
  --cpu-millis 1000 --max-price-per-block 100udeai --deposit 500000udeai --redundancy "$K" \
  --verification redundant --bid-window 10 --max-blocks 5000 \
  "${KEYS[@]}" --node "$NODE" --gas auto -y --wait -o json)"
ORDER="$(echo "$created" | json '[json.loads(a["value"]) for e in d["events"] if e["type"]=="deai.compute.v1.EventOrderCreated" for a in e["attributes"] if a["key"]=="order_id"][0]')"
echo "order $ORDER created at height $(echo "$created" | json 'd["height"]')"

state=""
last=""
deadline=$((SECONDS + 900))
while :; do
  state="$(query order "$ORDER" | json 'd["order"]["state"]')"
  [ "$state" != "$last" ] && echo "  height $(height): $state" && last="$state"
  case "$state" in ORDER_STATE_COMPLETED|ORDER_STATE_CLOSED) break ;; esac
  [ $SECONDS -lt $deadline ] || { echo "error: order $ORDER still $state after 900 s; see $DIR/provider-*/worker.log" >&2; exit 1; }
  sleep 0.5
done
t1="$(date +%s.%N)"
h1="$(height)"
[ "$state" = ORDER_STATE_COMPLETED ] || { echo "error: order $ORDER ended $state" >&2; exit 1; }

"$WORKER_BIN" --output json fetch-result --node "$NODE" --order "$ORDER" --out "$OUT" >"$OUT.json"
json '"trained weights: %s (sha256 %s..., from %s, test accuracy %.4f), checked against the chain" % (d["weights"], d["weights_file_sha256"][:16], d["provider"], d["test_accuracy"])' <"$OUT.json"

escrow="$(query escrow "$ORDER")"
leases="$(query leases --order "$ORDER")"
python3 - "$escrow" "$leases" "$created" <<'PY'
import json, sys
e = json.loads(sys.argv[1])["account"]
leases = json.loads(sys.argv[2])["leases"]
created = json.loads(sys.argv[3])
amt = lambda c: int(c["amount"]) if c else 0
deposit = [json.loads(a["value"]) for ev in created["events"] if ev["type"] == "deai.compute.v1.EventOrderCreated"
           for a in ev["attributes"] if a["key"] == "deposit"][0]
paid = sum(amt(l["withdrawn"]) for l in leases)
print("where the escrow went (udeai):")
print(f"  deposited            {int(deposit['amount'])}")
for l in leases:
    print(f"  lease {l['id']:>3} ({l['state'].removeprefix('LEASE_STATE_').lower()}) to {l['provider']}: {amt(l['withdrawn'])} at {l['price']['amount']}/block")
print(f"  take to the pool     {amt(e['transferred']) - paid}")
print(f"  refunded             {int(deposit['amount']) - amt(e['transferred'])}")
assert amt(e["balance"]) == 0 and sum([amt(e["transferred"]) - paid, paid, int(deposit["amount"]) - amt(e["transferred"])]) == int(deposit["amount"])
PY
python3 -c 'import sys; print(f"create-order to accepted result: {int(sys.argv[3]) - int(sys.argv[2])} blocks, {float(sys.argv[1]):.1f} s")' \
  "$(python3 -c "print($t1 - $t0)")" "$h0" "$h1"
