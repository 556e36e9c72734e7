#!/usr/bin/env bash
# Captures the seed corpus of the fuzzer's `rpc-answers` target: real answers of a real
# CometBFT v0.38 node running deaid (a 1-validator localnet on 127.0.0.1, base port 29700),
# to two bank sends. Rerun it after a CometBFT upgrade; the files are checked in.
#   fuzz/seeds/rpc/capture.sh [path/to/deaid]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
source "$root/scripts/env.sh"
export DEAID_BIN="${1:-${DEAID_BIN:-$CARGO_TARGET_DIR/debug/deaid}}"
home="$(mktemp -d /tmp/deai-rpc-seeds.XXXXXX)"
trap '"$root/localnet/down.sh" --home "$home" >/dev/null 2>&1 || true; rm -rf "$home"' EXIT
"$root/localnet/up.sh" --validators 1 --home "$home" --base-port 29700 >/dev/null
rpc=http://127.0.0.1:29701
k=(--keyring-backend test --home "$home/keys")
D() { "$DEAID_BIN" "$@"; }
until curl -fs "$rpc/status" | grep -q '"latest_block_height":"[2-9]'; do sleep 0.5; done

# The websocket subscription: opened before the txs so that it sees their events.
python3 "$here/ws_capture.py" 127.0.0.1 29701 "$here" &
ws=$!
sleep 1
bob="$(D keys show demo2 -a "${k[@]}")"
out="$(D tx bank send demo1 "$bob" 1234udeai "${k[@]}" --node "tcp://127.0.0.1:29701" \
  --gas 200000 --fees 10000udeai -y -o json)"
D tx bank send demo3 "$bob" 7udeai "${k[@]}" --node "tcp://127.0.0.1:29701" --gas 200000 \
  --fees 10000udeai -y -o json >/dev/null
hash="$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["txhash"])')"
wait "$ws"
height=""
for _ in $(seq 60); do
  height="$(curl -fs "$rpc/tx?hash=0x$hash" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["height"])' 2>/dev/null)" && break
  sleep 0.5
done
save() { curl -fs "$rpc/$2" | python3 -m json.tool --compact > "$here/$1.json"; }
save status status
save block "block?height=$height"
save block_results "block_results?height=$height"
save tx "tx?hash=0x$hash"
save tx_search "tx_search?query=%22tx.height=$height%22&per_page=10"
save abci_info abci_info
save abci_query "abci_query?path=%22/cosmos.bank.v1beta1.Query/Params%22&data=0x"
save broadcast_error "broadcast_tx_sync?tx=0x0a00"
save validators "validators?height=$height"
ls -l "$here"
