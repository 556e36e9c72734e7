#!/usr/bin/env bash
# The training market, on a localnet started with its trainers and validators:
#   localnet/up.sh --with-training
#   localnet/demo-training.sh [--home DIR] [--rounds N]
# Waits until N rounds (default 2) of the demo digits task have closed and been aggregated,
# then prints each round's epoch (incentive, dividends and what each neuron was paid), its
# aggregate and lineage link, and the task's audits.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"

DIR="$REPO_ROOT/.localnet"
ROUNDS=2
while [ $# -gt 0 ]; do
  case "$1" in
    --home) DIR="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    -h|--help) sed -n 2,8p "$0"; exit 0 ;;
    *) echo "error: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -f "$DIR/training/task_id" ] || { echo "error: no training task at $DIR (run localnet/up.sh --with-training)" >&2; exit 1; }
DEAID_BIN="${DEAID_BIN:-${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release/deaid}"
NODE="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nodes"][0]["rpc"])' "$DIR/localnet.json")"
TASK="$(cat "$DIR/training/task_id")"
q() { "$DEAID_BIN" query training "$@" --node "$NODE" -o json; }

echo "waiting for $ROUNDS aggregated rounds of task $TASK (tempo 60 blocks)..."
deadline=$((SECONDS + 60 * ROUNDS + 120))
while :; do
  links="$(q lineage "$TASK" | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("rounds", [])))')"
  [ "$links" -ge "$ROUNDS" ] && break
  [ $SECONDS -lt $deadline ] || { echo "error: only $links rounds aggregated; see $DIR/trainer-*/worker.log" >&2; exit 1; }
  sleep 2
done
for r in $(seq 0 $((ROUNDS - 1))); do
  python3 - "$(q incentives "$TASK" "$r")" "$(q round "$TASK" "$r")" <<'PY'
import json, sys
e, rd = json.loads(sys.argv[1])["result"], json.loads(sys.argv[2])
r = rd["round"]
print(f"round {r['round']}: emission {r.get('emission', {}).get('amount', 0)}, aggregator {r.get('aggregator') or '(base carried forward)'}")
for n in e["neurons"]:
    print(f"  uid {n['uid']}  {n['owner']}  incentive {n.get('incentive', 0):>5}  dividends {n.get('dividends', 0):>5}  paid {n.get('emission', '0')}")
import base64
hx = lambda b: base64.b64decode(b or "").hex()[:16]
print(f"  updates revealed: {sum(1 for u in rd.get('updates', []) if u.get('revealed'))}, aggregate {hx(r.get('aggregateHash', r.get('aggregate_hash')))}..., lineage {hx(r.get('lineage'))}...")
PY
done
python3 - "$(q audits "$TASK")" <<'PY'
import json, sys
audits = json.loads(sys.argv[1]).get("audits", [])
print(f"audits: {len(audits)}")
for x in audits:
    uid = x.get("accusedUid", x.get("accused_uid", 0))
    print(f"  audit {x['id']}: {x.get('target')} of uid {uid} by {x['auditor']}: {x['state']}")
PY
