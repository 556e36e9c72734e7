#!/usr/bin/env bash
# Committed TPS of a 1-validator deai localnet against CometBFT's built-in kvstore app,
# loaded the same way (S concurrent streams of broadcast_tx_sync) on the same machine.
#   bench/tps.sh [--txs N] [--senders S] [--timeout-commit 500ms]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
TXS=20000; SENDERS=32; TIMEOUT_COMMIT=500ms
while [ $# -gt 0 ]; do
  case "$1" in
    --txs) TXS="$2"; shift 2 ;;
    --senders) SENDERS="$2"; shift 2 ;;
    --timeout-commit) TIMEOUT_COMMIT="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
ensure_cometbft
cd "$REPO_ROOT"
cargo build --release -q -p deaid --bins
BIN="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release"
WORK="$(mktemp -d /tmp/deai-tps.XXXXXX)"
trap 'localnet/down.sh --home "$WORK/deai" >/dev/null 2>&1 || true; [ -f "$WORK/kv.pid" ] && kill "$(cat "$WORK/kv.pid")" 2>/dev/null; rm -rf "$WORK"' EXIT

DEAID_BIN="$BIN/deaid" localnet/up.sh --home "$WORK/deai" --base-port 29000 --timeout-commit "$TIMEOUT_COMMIT" >/dev/null
# Lift the mempool bound so neither app is measured against CometBFT's default cap.
DEAI=$("$BIN/deai-loadgen" deai --rpc http://127.0.0.1:29001 --localnet "$WORK/deai/localnet.json" --txs "$TXS" --senders "$SENDERS")
localnet/down.sh --home "$WORK/deai" >/dev/null

cometbft init --home "$WORK/kv" >/dev/null 2>&1
python3 - "$WORK/kv/config/config.toml" "$TIMEOUT_COMMIT" <<'PY'
import re, sys
p, tc = sys.argv[1], sys.argv[2]
s = open(p).read()
s = re.sub(r'(?m)^laddr = "tcp://[0-9.]+:26657"', 'laddr = "tcp://127.0.0.1:29101"', s)
s = re.sub(r'(?m)^laddr = "tcp://[0-9.]+:26656"', 'laddr = "tcp://127.0.0.1:29100"', s)
s = re.sub(r'(?m)^proxy_app = .*', 'proxy_app = "kvstore"', s)
s = re.sub(r'(?m)^timeout_commit = .*', f'timeout_commit = "{tc}"', s)
s = re.sub(r'(?m)^size = 5000', 'size = 20000', s)
s = re.sub(r'(?m)^prometheus = .*', 'prometheus = false', s)
open(p, "w").write(s)
PY
cometbft node --home "$WORK/kv" >"$WORK/kv.log" 2>&1 &
echo $! > "$WORK/kv.pid"
for _ in $(seq 1 100); do curl -s http://127.0.0.1:29101/status >/dev/null 2>&1 && break; sleep 0.2; done
sleep 2
KV=$("$BIN/deai-loadgen" kvstore --rpc http://127.0.0.1:29101 --txs "$TXS" --senders "$SENDERS")

python3 - "$DEAI" "$KV" "$TIMEOUT_COMMIT" "$SENDERS" <<'PY'
import json, sys
d, k = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"committed TPS, 1 validator on 127.0.0.1, timeout_commit {sys.argv[3]}, {sys.argv[4]} broadcast_tx_sync streams")
print(f"{'app':<22}{'sent':>8}{'committed':>11}{'blocks':>8}{'seconds':>9}{'TPS':>10}")
for name, r in (("deai (bank sends)", d), ("cometbft kvstore", k)):
    print(f"{name:<22}{r['sent']:>8}{r['committed']:>11}{r['blocks']:>8}{r['seconds']:>9.2f}{r['committed_tps']:>10.1f}")
print(f"ratio deai / kvstore: {d['committed_tps'] / k['committed_tps']:.2f}")
PY
