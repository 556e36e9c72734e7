#!/usr/bin/env bash
# Starts a deai localnet on 127.0.0.1: N validators, each a deaid + a CometBFT node, and
# optionally the compute market's worker daemons (deai-worker provider start).
#   localnet/up.sh [--validators N] [--home DIR] [--base-port P] [--chain-id ID] [--timeout-commit 500ms]
#                  [--with-providers K] [--with-verifier] [--with-inference-server] [--with-training]
#                  [--with-data] [--full-nodes K] [--app-state-patch JSON]
#                  [--with-attest] [--attest-dishonest K[,K…]] [--db-backend sled|fjall]
# --full-nodes K adds K nodes that follow the chain without a genesis validator (one can
# become a validator with `deaid tx staking create-validator`); --app-state-patch merges a
# JSON object into genesis.json's app_state (e.g. '{"staking":{"params":{"unbonding_time":"20s"}}}').
# --with-attest enables ABCI 2.0 vote extensions from height 1 (genesis
# consensus_params.abci.vote_extensions_enable_height, set only when the localnet is created)
# and starts one consensus-attestation sidecar per validator (`deai-worker attest serve` on
# 127.0.0.1:base+71+i, its work dir, store, pid and log in DIR/attest-node<i>, local datasets
# allowed from the worker's data dir and DIR); validator i's app.toml `[attest] sidecar` points
# at it; a new localnet's task proposals are voted for 60 blocks (task params in genesis, the
# rest at their defaults). --attest-dishonest 3 (or 2,3) starts those validators' sidecars
# with --dishonest (they attest a consistent wrong hash; for tests). localnet.json's
# nodes[i].attest says where each sidecar is.
# --db-backend picks each new node's state store (app.toml db_backend; fjall by default).
# Running it again on an existing DIR restarts that localnet from its saved state (give the
# --with-* flags again to restart the workers; they resume from their state dirs).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"

N=1
DIR="$REPO_ROOT/.localnet"
BASE_PORT=26600
CHAIN_ID=deai-local
TIMEOUT_COMMIT=500ms
DB_BACKEND=fjall
# demo1..demo7 for the compute and inference demos, demo8..demo12 for the training demo,
# demo13..demo19 for the data market's demo.
DEMO_ACCOUNTS=19
PROVIDERS=0
VERIFIER=0
INFERENCE=0
TRAINING=0
DATA=0
FULL=0
PATCH='{}'
ATTEST=0
DISHONEST=""
while [ $# -gt 0 ]; do
  case "$1" in
    --validators) N="$2"; shift 2 ;;
    --home) DIR="$2"; shift 2 ;;
    --base-port) BASE_PORT="$2"; shift 2 ;;
    --chain-id) CHAIN_ID="$2"; shift 2 ;;
    --timeout-commit) TIMEOUT_COMMIT="$2"; shift 2 ;;
    --with-providers) PROVIDERS="$2"; shift 2 ;;
    --with-verifier) VERIFIER=1; shift ;;
    --with-inference-server) INFERENCE=1; shift ;;
    --with-training) TRAINING=1; shift ;;
    --with-data) DATA=1; shift ;;
    --full-nodes) FULL="$2"; shift 2 ;;
    --app-state-patch) PATCH="$2"; shift 2 ;;
    --with-attest) ATTEST=1; shift ;;
    --attest-dishonest) DISHONEST="$2"; shift 2 ;;
    --db-backend) DB_BACKEND="$2"; shift 2 ;;
    -h|--help) sed -n 2,23p "$0"; exit 0 ;;
    *) echo "error: unknown option $1" >&2; exit 2 ;;
  esac
done
case "$N" in 1|2|3|4|5|6|7) ;; *) echo "error: --validators must be 1 to 7" >&2; exit 2 ;; esac
case "$FULL" in 0|1|2|3) ;; *) echo "error: --full-nodes must be 0 to 3" >&2; exit 2 ;; esac
# Nodes use ports base..base+69; the workers' ports start at base+70.
[ $((N + FULL)) -le 7 ] || { echo "error: at most 7 nodes (validators + full nodes)" >&2; exit 2; }
TOTAL=$((N + FULL))
case "$PROVIDERS" in 0|1|2|3) ;; *) echo "error: --with-providers must be 0 to 3" >&2; exit 2 ;; esac
case ",$DISHONEST," in *[!0-9,]*) echo "error: --attest-dishonest takes validator indices, e.g. 3 or 2,3" >&2; exit 2 ;; esac
if [ -n "$DISHONEST" ] && [ "$ATTEST" = 0 ]; then echo "error: --attest-dishonest needs --with-attest" >&2; exit 2; fi
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

if [ -z "${DEAID_BIN:-}" ]; then
  echo "building deaid (release)..." >&2
  (cd "$REPO_ROOT" && cargo build --release -q -p deaid)
  DEAID_BIN="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release/deaid"
fi
ensure_cometbft
COMETBFT_BIN="$(command -v cometbft)"

# Ports of node i: P2P, RPC, ABCI, gRPC, REST.
port() { echo $((BASE_PORT + $1 * 10 + $2)); }
# The attestation sidecar of validator i (--with-attest).
sidecar_port() { echo $((BASE_PORT + 71 + $1)); }

port_free() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try: s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError: sys.exit(1)
PY
}

# Whether the pid file names a live process of binary $2 for this node: not merely a
# pid that answers `kill -0`. A process killed with -9 lingers as a zombie until it is
# reaped (seconds, in a container), and a recycled pid may belong to anything else.
running() {
  local pidfile="$1" bin="$2" pid state cmd
  [ -f "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  case "$pid" in '' | *[!0-9]*) return 1 ;; esac
  state="$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
  case "$state" in '' | Z | X | x) return 1 ;; esac
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  case "$cmd" in *"$(basename "$bin")"*"$(dirname "$pidfile")"*) return 0 ;; *) return 1 ;; esac
}

init_localnet() {
  echo "initializing $N validator(s) and $FULL full node(s) in $DIR" >&2
  for i in $(seq 0 $((TOTAL - 1))); do
    "$DEAID_BIN" init "node$i" --home "$DIR/node$i" --chain-id "$CHAIN_ID" \
      --p2p-laddr "tcp://127.0.0.1:$(port "$i" 0)" --rpc-laddr "tcp://127.0.0.1:$(port "$i" 1)" \
      --abci-addr "127.0.0.1:$(port "$i" 2)" --grpc-addr "127.0.0.1:$(port "$i" 3)" \
      --api-addr "127.0.0.1:$(port "$i" 4)" --timeout-commit "$TIMEOUT_COMMIT" \
      --db-backend "$DB_BACKEND" -o json >/dev/null
  done
  # Demo accounts from fresh mnemonics, in a test keyring shared by the localnet.
  local accounts="[]"
  for k in $(seq 1 "$DEMO_ACCOUNTS"); do
    local out
    out="$("$DEAID_BIN" keys add "demo$k" --keyring-backend test --home "$DIR/keys" -o json)"
    accounts="$(python3 -c 'import json,sys; a=json.loads(sys.argv[1]); k=json.loads(sys.argv[2]); a.append({"name":k["name"],"address":k["address"],"mnemonic":k["mnemonic"]}); print(json.dumps(a))' "$accounts" "$out")"
    "$DEAID_BIN" genesis add-account "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["address"])' "$out")" \
      1000000000000udeai --home "$DIR/node0" >/dev/null
  done
  echo "$accounts" > "$DIR/demo-accounts.json"
  python3 - "$DIR/node0/config/genesis.json" "$PATCH" "$ATTEST" <<'PY'
import json, sys
path, patch, attest = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3] == "1"
def merge(a, b):
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(a.get(k), dict):
            merge(a[k], v)
        else:
            a[k] = v
g = json.load(open(path))
if not isinstance(patch, dict):
    sys.exit("error: --app-state-patch must be a JSON object")
if attest:
    # A task proposal's vote lasts 60 blocks (the default is a day), longer than the attest
    # window; the other task params are the defaults. --app-state-patch overrides any of it.
    merge(g["app_state"], {"task": {"params": {
        "min_deposit": [{"denom": "udeai", "amount": "10000000"}], "max_deposit_period": "200",
        "voting_period": "60", "quorum": "0.334000000000000000",
        "threshold": "0.500000000000000000", "veto_threshold": "0.334000000000000000",
        "sample_rows": 64, "max_title_len": 140, "max_description_len": 10240,
        "max_eval_spec_bytes": 16384}}})
merge(g["app_state"], patch)
json.dump(g, open(path, "w"), indent=2)
PY
  # The validators come from gentxs, as in simd: operator keys val0..val{N-1} in the shared
  # keyring, each funded in genesis and self-delegating 10 power (10^7 udeai) to its node's
  # consensus key; the coordinator (node0) collects them and every node gets its genesis.
  local vals="[]"
  for i in $(seq 0 $((N - 1))); do
    local out addr
    out="$("$DEAID_BIN" keys add "val$i" --keyring-backend test --home "$DIR/keys" -o json)"
    addr="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["address"])' "$out")"
    "$DEAID_BIN" genesis add-account "$addr" 1000000000udeai --home "$DIR/node0" >/dev/null
    vals="$(python3 -c 'import json,sys; a=json.loads(sys.argv[1]); k=json.loads(sys.argv[2]); a.append({"name":k["name"],"address":k["address"],"mnemonic":k["mnemonic"]}); print(json.dumps(a))' "$vals" "$out")"
  done
  echo "$vals" > "$DIR/validator-accounts.json"
  mkdir -p "$DIR/gentx"
  for i in $(seq 0 $((N - 1))); do
    [ "$i" = 0 ] || cp "$DIR/node0/config/genesis.json" "$DIR/node$i/config/genesis.json"
    "$DEAID_BIN" genesis gentx "val$i" 10000000udeai --moniker "node$i" --home "$DIR/node$i" \
      --keyring-dir "$DIR/keys" --keyring-backend test --output-document "$DIR/gentx/gentx-node$i.json" -o json >/dev/null
  done
  "$DEAID_BIN" genesis collect-gentxs --gentx-dir "$DIR/gentx" --home "$DIR/node0" -o json >/dev/null
  if [ "$ATTEST" = 1 ]; then
    # Vote extensions from height 1 (CometBFT 0.38's field), and each validator's deaid asks
    # its own sidecar (app.toml [attest] sidecar; kept across restarts).
    python3 - "$DIR/node0/config/genesis.json" <<'PY'
import json, sys
path = sys.argv[1]
g = json.load(open(path))
g.setdefault("consensus_params", {}).setdefault("abci", {})["vote_extensions_enable_height"] = "1"
json.dump(g, open(path, "w"), indent=2)
PY
    for i in $(seq 0 $((N - 1))); do
      python3 - "$DIR/node$i/config/app.toml" "127.0.0.1:$(sidecar_port "$i")" <<'PY'
import re, sys
path, addr = sys.argv[1], sys.argv[2]
text = open(path).read()
m = re.search(r"(?m)^\[attest\][^\n]*\n", text)
line = f'sidecar = "{addr}"\n'
if not m:
    text = text.rstrip("\n") + "\n\n[attest]\n" + line
else:
    end = re.search(r"(?m)^\[", text[m.end():])
    body = text[m.end():m.end() + end.start()] if end else text[m.end():]
    if re.search(r"(?m)^sidecar\s*=", body):
        body = re.sub(r"(?m)^sidecar\s*=.*\n?", line, body, count=1)
    else:
        body = line + body
    text = text[:m.end()] + body + (text[m.end() + end.start():] if end else "")
open(path, "w").write(text)
PY
    done
  fi
  for i in $(seq 1 $((TOTAL - 1))); do
    cp "$DIR/node0/config/genesis.json" "$DIR/node$i/config/genesis.json"
  done
  local peers=""
  for i in $(seq 0 $((TOTAL - 1))); do
    local id
    id="$("$COMETBFT_BIN" show-node-id --home "$DIR/node$i")"
    peers="${peers:+$peers,}$id@127.0.0.1:$(port "$i" 0)"
  done
  for i in $(seq 0 $((TOTAL - 1))); do
    sed -i "s|^persistent_peers = .*|persistent_peers = \"$peers\"|" "$DIR/node$i/config/config.toml"
  done
  python3 - "$DIR" "$N" "$CHAIN_ID" "$BASE_PORT" "$TOTAL" <<'PY'
import json, sys
d, n, chain, base, total = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
nodes = [{"name": f"node{i}", "home": f"{d}/node{i}",
          "rpc": f"http://127.0.0.1:{base + i*10 + 1}",
          "abci": f"127.0.0.1:{base + i*10 + 2}",
          "grpc": f"127.0.0.1:{base + i*10 + 3}",
          "rest": f"http://127.0.0.1:{base + i*10 + 4}",
          "p2p": f"127.0.0.1:{base + i*10}",
          "genesis_validator": i < n} for i in range(total)]
json.dump({"chain_id": chain, "denom": "udeai", "validators": n, "nodes": nodes,
           "accounts": json.load(open(f"{d}/demo-accounts.json")),
           "validator_accounts": json.load(open(f"{d}/validator-accounts.json"))},
          open(f"{d}/localnet.json", "w"), indent=2)
PY
}

if [ -f "$DIR/localnet.json" ]; then
  N="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["validators"])' "$DIR/localnet.json")"
  TOTAL="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["nodes"]))' "$DIR/localnet.json")"
  BASE_PORT="$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["nodes"][0]["p2p"].split(":")[1]))' "$DIR/localnet.json")"
  echo "restarting the localnet in $DIR from its saved state" >&2
else
  for i in $(seq 0 $((TOTAL - 1))); do
    for k in 0 1 2 3 4; do
      port_free "$(port "$i" "$k")" || { echo "error: port $(port "$i" "$k") on 127.0.0.1 is in use (try --base-port)" >&2; exit 1; }
    done
  done
  if [ "$ATTEST" = 1 ]; then
    for i in $(seq 0 $((N - 1))); do
      port_free "$(sidecar_port "$i")" || { echo "error: port $(sidecar_port "$i") on 127.0.0.1 is in use (try --base-port)" >&2; exit 1; }
    done
  fi
  init_localnet
fi

# libtorch and the digits dataset (idempotent; a few minutes the first time), and the
# deai-worker binary ($WORKER_BIN, else $DEAI_WORKER_BIN, else a release build).
ensure_worker() {
  [ -z "${WORKER_READY:-}" ] || return 0
  bash "$REPO_ROOT/worker/setup-libtorch.sh" >/dev/null
  WORKER_BIN="${WORKER_BIN:-${DEAI_WORKER_BIN:-}}"
  if [ -z "$WORKER_BIN" ]; then
    echo "building deai-worker (release)..." >&2
    (cd "$REPO_ROOT" && cargo build --release -q -p deai-worker)
    WORKER_BIN="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release/deai-worker"
  fi
  WORKER_READY=1
}
# Starts `deai-worker --quiet <args…>` unless it runs, its pid and log in DIR/<name> (the
# args must name that directory, which is how down.sh and a restart recognise the process).
start_daemon() {
  local d="$DIR/$1"; shift
  mkdir -p "$d"
  if running "$d/worker.pid" "$WORKER_BIN"; then return 0; fi
  nohup "$WORKER_BIN" --quiet "$@" >>"$d/worker.log" 2>&1 &
  echo $! > "$d/worker.pid"
  echo "  worker $(basename "$d"): log $d/worker.log" >&2
}
# Starts `deai-worker --quiet <args…> --state-dir DIR/<name>` unless it runs (pid and log in
# that directory).
start_worker() {
  local name="$1"; shift
  start_daemon "$name" "$@" --state-dir "$DIR/$name"
}

# The consensus-attestation sidecars, before the nodes so that the first vote extensions
# reach them: validator i's on 127.0.0.1:base+71+i, in DIR/attest-node<i>. A running sidecar
# is left as it is (stop it first to change --attest-dishonest).
if [ "$ATTEST" = 1 ]; then
  ensure_worker
  data_dir="$(dirname "$DEAI_DIGITS_CSV")"
  for i in $(seq 0 $((N - 1))); do
    d="$DIR/attest-node$i"
    lie=()
    case ",$DISHONEST," in *",$i,"*) lie=(--dishonest) ;; esac
    start_daemon "attest-node$i" attest serve --listen "127.0.0.1:$(sidecar_port "$i")" \
      --work-dir "$d/work" --store "$d/store" --dataset-roots "$data_dir,$DIR" "${lie[@]}"
  done
  for i in $(seq 0 $((N - 1))); do
    for _ in $(seq 1 100); do
      curl -sf --max-time 2 "http://127.0.0.1:$(sidecar_port "$i")/healthz" >/dev/null && break
      sleep 0.2
    done
    curl -sf --max-time 2 "http://127.0.0.1:$(sidecar_port "$i")/healthz" >/dev/null ||
      { echo "error: the attestation sidecar of node$i is not up; see $DIR/attest-node$i/worker.log" >&2; tail -n 5 "$DIR/attest-node$i/worker.log" >&2; exit 1; }
  done
  python3 - "$DIR" "$N" "$BASE_PORT" <<'PY'
import json, sys
d, n, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
path = f"{d}/localnet.json"
l = json.load(open(path))
for i in range(n):
    a = f"{d}/attest-node{i}"
    try:  # the mode the running sidecar was started with
        pid = open(f"{a}/worker.pid").read().strip()
        dishonest = "--dishonest" in open(f"/proc/{pid}/cmdline").read().split("\0")
    except OSError:
        dishonest = False
    l["nodes"][i]["attest"] = {
        "addr": f"127.0.0.1:{base + 71 + i}", "dir": a, "pid_file": f"{a}/worker.pid",
        "log": f"{a}/worker.log", "dishonest": dishonest}
json.dump(l, open(path, "w"), indent=2)
PY
fi

for i in $(seq 0 $((TOTAL - 1))); do
  h="$DIR/node$i"
  if ! running "$h/deaid.pid" "$DEAID_BIN"; then
    nohup "$DEAID_BIN" start --home "$h" >>"$h/deaid.log" 2>&1 &
    echo $! > "$h/deaid.pid"
  fi
done
# CometBFT connects to deaid's ABCI socket; give deaid a moment to listen.
for i in $(seq 0 $((TOTAL - 1))); do
  for _ in $(seq 1 50); do
    port_free "$(port "$i" 2)" || break
    sleep 0.1
  done
done
for i in $(seq 0 $((TOTAL - 1))); do
  h="$DIR/node$i"
  if ! running "$h/cometbft.pid" "$COMETBFT_BIN"; then
    nohup "$COMETBFT_BIN" node --home "$h" >>"$h/cometbft.log" 2>&1 &
    echo $! > "$h/cometbft.pid"
  fi
done

# Wait until every node has committed a block past where it started.
height() {
  curl -s --max-time 2 "http://127.0.0.1:$(port "$1" 1)/status" 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["sync_info"]["latest_block_height"])' 2>/dev/null || echo 0
}
deadline=$((SECONDS + 90))
for i in $(seq 0 $((TOTAL - 1))); do
  start_h=""
  while :; do
    h_now="$(height "$i")"
    if [ -z "$start_h" ]; then start_h="$h_now"; elif [ "$h_now" -gt "$start_h" ]; then break; fi
    if ! running "$DIR/node$i/deaid.pid" "$DEAID_BIN"; then
      echo "error: node$i's deaid exited; see $DIR/node$i/deaid.log" >&2
      tail -n 5 "$DIR/node$i/deaid.log" >&2 || true
      exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      echo "error: node$i committed no block within 90s; see $DIR/node$i/*.log" >&2
      tail -n 5 "$DIR/node$i/deaid.log" "$DIR/node$i/cometbft.log" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
done

# A compute provider daemon for demo key $1, its artifacts on port $2. Provider k (1..K)
# signs with demo account k+1 and offers region=eu; the verifier signs with demo5.
start_provider() {
  local key="$1" port="$2"; shift 2
  start_worker "provider-$key" provider start --node "http://127.0.0.1:$(port 0 1)" --key "$key" \
    --keyring-backend test --home "$DIR/keys" --artifact-addr "127.0.0.1:$port" "$@"
}
if [ "$PROVIDERS" -gt 0 ] || [ "$VERIFIER" = 1 ] || [ "$INFERENCE" = 1 ] || [ "$TRAINING" = 1 ] || [ "$DATA" = 1 ]; then
  ensure_worker
  for k in $(seq 1 "$PROVIDERS"); do
    start_provider "demo$((k + 1))" "$((BASE_PORT + 90 + k))" --price "$((40 + 10 * k))udeai" --attributes region=eu
  done
  if [ "$VERIFIER" = 1 ]; then
    start_provider demo5 "$((BASE_PORT + 99))" --price 100udeai --verifier
  fi
fi

# The inference market's demo model: the digits MLP trained by deai-worker, set up for
# Groth16, registered by demo6 (once; its id is kept in $DIR/inference/model_id), and served
# by an inference-server daemon signing with demo7.
if [ "$INFERENCE" = 1 ]; then
  inf="$DIR/inference"
  mkdir -p "$inf"
  if [ ! -f "$inf/model_id" ]; then
    echo "training and setting up the digits model for zk inference..." >&2
    "$WORKER_BIN" --quiet train --spec "$(example_spec digits-mlp)" --out "$inf/trained" >/dev/null
    "$WORKER_BIN" --quiet zk-setup --model "$inf/trained/weights.safetensors" --out "$inf/keys" >/dev/null
    info="$("$WORKER_BIN" --quiet --output json model-info --model "$inf/trained/weights.safetensors" --keys "$inf/keys")"
    field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1])[sys.argv[2]]; print(",".join(map(str,v)) if isinstance(v,list) else v)' "$info" "$1"; }
    registered="$("$DEAID_BIN" tx inference register-model demo6 --name digits-mlp \
      --architecture "$(field architecture)" --weights-sha256 "$(field weights_sha256)" \
      --quantized-weights-sha256 "$(field quantized_weights_sha256)" --keys "$inf/keys" \
      --zk-mode public --price 100000udeai --keyring-backend test --home "$DIR/keys" \
      --node "tcp://127.0.0.1:$(port 0 1)" --gas auto -y --wait -o json)"
    model_id="$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print([json.loads(a["value"]) for e in d["events"] if e["type"]=="deai.inference.v1.EventModelRegistered" for a in e["attributes"] if a["key"]=="model_id"][0])' "$registered")"
    mkdir -p "$inf/models/$model_id/keys"
    cp "$inf/trained/weights.safetensors" "$inf/models/$model_id/model.safetensors"
    find "$inf/keys" -maxdepth 1 -type f -exec cp {} "$inf/models/$model_id/keys/" \;
    echo "$model_id" > "$inf/model_id"
  fi
  start_worker inference-server-demo7 inference-server start --node "http://127.0.0.1:$(port 0 1)" \
    --key demo7 --keyring-backend test --home "$DIR/keys" --model-dir "$inf/models"
  echo "  inference model $(cat "$inf/model_id"): digits-mlp, zk public, registered by demo6, served by demo7" >&2
fi

# The training market's demo: a digits task created by demo1 (once; its id is kept in
# $DIR/training/task_id), trained by demo8..demo10 and validated by demo11 and demo12, each a
# daemon serving its artifacts on its own port.
if [ "$TRAINING" = 1 ]; then
  tr="$DIR/training"
  mkdir -p "$tr"
  cli() { "$DEAID_BIN" "$@" --keyring-backend test --home "$DIR/keys" --node "tcp://127.0.0.1:$(port 0 1)" --gas auto -y --wait -o json; }
  spec="$(example_spec digits-mlp)"
  data="$DEAI_DIGITS_CSV"
  if [ ! -f "$tr/task_id" ]; then
    sha="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dataset"]["sha256"])' "$spec")"
    created="$(cli tx training create-task demo1 --spec "$spec" --dataset-sha256 "$sha" \
      --dataset-uri "file://$data" --tempo 60 --reveal-window 8 --aggregate-window 12 \
      --max-neurons 16 --shard-count 3 --pool 10000000udeai --emission-per-tempo 1000000udeai \
      --min-trainer-stake 1000000udeai --min-validator-stake 1000000udeai)"
    task_id="$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print([json.loads(a["value"]) for e in d["events"] if e["type"]=="deai.training.v1.EventTaskCreated" for a in e["attributes"] if a["key"]=="task_id"][0])' "$created")"
    for k in 8 9 10; do cli tx training register "demo$k" --task "$task_id" --role trainer --stake 2000000udeai >/dev/null; done
    for k in 11 12; do cli tx training register "demo$k" --task "$task_id" --role validator --stake 2000000udeai >/dev/null; done
    echo "$task_id" > "$tr/task_id"
  fi
  task_id="$(cat "$tr/task_id")"
  for k in 8 9 10; do
    p="$((BASE_PORT + 70 + k))"
    start_worker "trainer-demo$k" trainer start --node "http://127.0.0.1:$(port 0 1)" --key "demo$k" \
      --keyring-backend test --home "$DIR/keys" --task "$task_id" --artifacts-addr "127.0.0.1:$p" \
      --public-url "http://127.0.0.1:$p"
  done
  for k in 11 12; do
    p="$((BASE_PORT + 70 + k))"
    start_worker "validator-demo$k" validator start --node "http://127.0.0.1:$(port 0 1)" --key "demo$k" \
      --keyring-backend test --home "$DIR/keys" --task "$task_id" --eval-data "$data" \
      --artifacts-addr "127.0.0.1:$p" --public-url "http://127.0.0.1:$p"
  done
  echo "  training task $task_id: digits-mlp, tempo 60, trained by demo8..demo10, validated by demo11, demo12" >&2
fi

# The data market's demo workers: a data provider daemon signing with demo13 (it serves the
# datasets demo13 publishes with `deai-worker data publish` to grantees only, on port
# base+85, and delivers their keys), and a plain artifact server for data pools' files
# (base, validation and contributions, PUT by sha256) on port base+86. The pools themselves
# and their validator daemons (demo18, demo19) are created by localnet/demo-data.sh, a fresh
# pool each run, so that its contributions are scored and settled within one known epoch.
# $DIR/data-market.json says where all of it is.
if [ "$DATA" = 1 ]; then
  if ! python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["accounts"]; sys.exit(0 if any(x["name"]=="demo19" for x in a) else 1)' "$DIR/localnet.json"; then
    echo "error: the localnet in $DIR predates the data market's demo accounts (demo13..demo19); start a new one (localnet/down.sh --home $DIR --clean)" >&2
    exit 1
  fi
  dp="$((BASE_PORT + 85))"
  da="$((BASE_PORT + 86))"
  start_worker data-provider-demo13 data provider start --node "http://127.0.0.1:$(port 0 1)" --key demo13 \
    --keyring-backend test --home "$DIR/keys" --store "$DIR/data-provider-demo13/store" \
    --listen "127.0.0.1:$dp" --public-url "http://127.0.0.1:$dp" --poll-secs 1
  files="$DIR/data-artifacts"
  mkdir -p "$files"
  if ! running "$files/worker.pid" "$WORKER_BIN"; then
    nohup "$WORKER_BIN" --quiet serve-artifacts --dir "$files/store" --port "$da" >>"$files/worker.log" 2>&1 &
    echo $! > "$files/worker.pid"
    echo "  worker data-artifacts: log $files/worker.log" >&2
  fi
  for _ in $(seq 1 100); do
    curl -sf --max-time 2 "http://127.0.0.1:$da/health" >/dev/null && break
    sleep 0.2
  done
  curl -sf --max-time 2 "http://127.0.0.1:$da/health" >/dev/null ||
    { echo "error: the pool files' artifact server is not up; see $files/worker.log" >&2; tail -n 5 "$files/worker.log" >&2; exit 1; }
  python3 - "$DIR" "$dp" "$da" <<'PY'
import json, sys
d, dp, da = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
json.dump({"provider": {"key": "demo13", "url": f"http://127.0.0.1:{dp}",
                        "state_dir": f"{d}/data-provider-demo13", "store": f"{d}/data-provider-demo13/store"},
           "pool_files": {"url": f"http://127.0.0.1:{da}", "store": f"{d}/data-artifacts/store"},
           "buyer": "demo14", "friend": "demo15", "consume_market": "demo16",
           "pool_owner": "demo17", "pool_validators": ["demo18", "demo19"]},
          open(f"{d}/data-market.json", "w"), indent=2)
PY
  echo "  data market: provider demo13 serving on http://127.0.0.1:$dp, pool files on http://127.0.0.1:$da (localnet/demo-data.sh)" >&2
fi

python3 - "$DIR/localnet.json" <<'PY'
import json, sys
l = json.load(open(sys.argv[1]))
print(f"deai localnet {l['chain_id']} is up: {l['validators']} validator(s)")
for n in l["nodes"]:
    print(f"  {n['name']}: rpc {n['rpc']}  grpc {n.get('grpc', '-')}  rest {n.get('rest', '-')}  home {n['home']}")
    if "attest" in n:
        a = n["attest"]
        print(f"    attestation sidecar {a['addr']}{' (dishonest)' if a['dishonest'] else ''}: log {a['log']}")
print("demo accounts (deaid --keyring-backend test --home %s/keys):" % sys.argv[1].rsplit('/', 1)[0])
for a in l["accounts"]:
    print(f"  {a['name']}: {a['address']}")
print(f"details: {sys.argv[1]}")
PY
