#!/usr/bin/env bash
# Decentralized task proposing, on a localnet started with attestation sidecars:
#   localnet/up.sh --with-attest
#   localnet/demo-task.sh [--home DIR]
# demo3 proposes the digits MLP as a training task with a reward pool and the full deposit;
# every validator votes yes while each validator's sidecar trains the task's spec on a
# sample and attests the weights' hash in its vote extensions. At the end of the voting
# period the task is launched as a training task funded by its pool, the deposit returns,
# and demo4 registers in it as a trainer. Prints the attestations, the tally and where
# every token of demo3 went.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"

DIR="$REPO_ROOT/.localnet"
while [ $# -gt 0 ]; do
  case "$1" in
    --home) DIR="$2"; shift 2 ;;
    -h|--help) sed -n 2,10p "$0"; exit 0 ;;
    *) echo "error: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -f "$DIR/localnet.json" ] || { echo "error: no localnet at $DIR (run localnet/up.sh --with-attest)" >&2; exit 1; }
DEAID_BIN="${DEAID_BIN:-${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release/deaid}"
NODE="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nodes"][0]["rpc"])' "$DIR/localnet.json")"
VE="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["consensus_params"]["abci"]["vote_extensions_enable_height"])' "$DIR/node0/config/genesis.json")"
[ "$VE" != "0" ] || { echo "error: vote extensions are off in this localnet (start a new one with localnet/up.sh --with-attest)" >&2; exit 1; }
N="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["validators"])' "$DIR/localnet.json")"
tx() { "$DEAID_BIN" tx "$@" --keyring-backend test --home "$DIR/keys" --node "$NODE" --gas auto --gas-adjustment 1.5 -y --wait -o json; }
q() { "$DEAID_BIN" query "$@" --node "$NODE" -o json; }
addr() { "$DEAID_BIN" keys show "$1" -a --keyring-backend test --home "$DIR/keys"; }
bal() { q bank balances "$(addr "$1")" | python3 -c 'import json,sys; print(next((int(c["amount"]) for c in json.load(sys.stdin)["balances"] if c["denom"]=="udeai"), 0))'; }
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); [d:=d[k] for k in sys.argv[2:]]; print(d)' "$@"; }
fee() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(sum(int(a["value"].split("udeai")[0]) for e in d["events"] if e["type"]=="tx" for a in e["attributes"] if a["key"]=="fee" and a["value"].endswith("udeai")))' "$1"; }

spec="$(example_spec digits-mlp)"
eval_spec="$(example_spec digits-mlp-evaluate)"
data="$DEAI_DIGITS_CSV"
sha="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dataset"]["sha256"])' "$spec")"
deposit="$(q task params | python3 -c 'import json,sys; p=json.load(sys.stdin)["params"]; print("".join(c["amount"]+c["denom"] for c in p["min_deposit"]))')"
pool=5000000

before="$(bal demo3)"
proposed="$(tx task propose demo3 --title "digits MLP" --description "A 64-64-10 MLP on scikit-learn's digits" \
  --eval-spec "$eval_spec" --metric accuracy --target 0.9 --deposit "$deposit" \
  --spec "$spec" --dataset-sha256 "$sha" --dataset-uri "file://$data" \
  --tempo 60 --reveal-window 8 --aggregate-window 12 --max-neurons 16 --shard-count 3 \
  --pool "${pool}udeai" --emission-per-tempo 1000000udeai \
  --min-trainer-stake 1000000udeai --min-validator-stake 1000000udeai)"
id="$(field "$proposed" task_id)"
fees="$(fee "$proposed")"
task="$(q task task "$id")"
echo "task $id proposed by demo3: pool ${pool}udeai, deposit $deposit, voting until height $(field "$task" task voting_end), code check = attest job $(field "$task" task attest_job_id)"
for i in $(seq 0 $((N - 1))); do
  voted="$(tx task vote "val$i" "$id" yes)"
  echo "  val$i votes yes (height $(field "$voted" height))"
done

echo "waiting for the validators' attestation and the end of the voting period..."
deadline=$((SECONDS + 600))
while :; do
  task="$(q task task "$id")"
  state="$(field "$task" task state)"
  case "$state" in TASK_STATE_LAUNCHED|TASK_STATE_REJECTED|TASK_STATE_VETOED) break ;; esac
  [ $SECONDS -lt $deadline ] || { echo "error: task $id still $state; see $DIR/attest-*/worker.log" >&2; exit 1; }
  sleep 2
done
python3 - "$(q task attestations "$id")" "$task" <<'PY'
import base64, json, sys
a, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])["task"]
job = a.get("job", {})
hx = lambda b: base64.b64decode(b or "").hex()
print(f"attest job {job.get('id')}: {job.get('state')}, settled at height {job.get('settled_at')} with power {job.get('settled_power')} of {job.get('total_power')}, hash {hx(job.get('result_hash'))[:16]}...")
for x in a.get("attestations", []):
    print(f"  {x['validator']}: {hx(x['result_hash'])[:16]}... at height {x['height']} (power {x['power']}){' PENALIZED' if x.get('penalized') else ''}")
ft = t.get("final_tally", {})
print(f"tally: yes {ft.get('yes_count')}, no {ft.get('no_count')}, abstain {ft.get('abstain_count')}, veto {ft.get('no_with_veto_count')}")
print(f"task {t['id']}: {t['state']} ({t.get('reason')}), training task {t.get('training_task_id')}")
PY
[ "$state" = TASK_STATE_LAUNCHED ] || { echo "error: task $id ended $state" >&2; exit 1; }
training="$(field "$task" task training_task_id)"
reg="$(tx training register demo4 --task "$training" --role trainer --stake 1000000udeai)"
[ "$(field "$reg" code)" = 0 ] || { echo "error: demo4 could not register: $(field "$reg" raw_log)" >&2; exit 1; }
echo "demo4 registered as a trainer of training task $training"
after="$(bal demo3)"
echo "demo3: $before before, $after after = -$pool pool (now training task $training's) -$fees fees; deposit returned"
[ $((before - after)) -eq $((pool + fees)) ] || { echo "error: demo3's balance does not reconcile" >&2; exit 1; }
