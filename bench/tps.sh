#!/usr/bin/env bash
# Committed TPS of a 1-validator deai localnet against CometBFT's built-in kvstore app,
# loaded the same way (S concurrent streams of broadcast_tx_sync) on the same machine.
#   bench/tps.sh [--txs N] [--senders S] [--timeout-commit 500ms] [--profile DIR]
#                [--index-events TOML]
# Both nodes run CometBFT with the same consensus and mempool settings (what `deaid init`
# writes); only the app differs. --profile DIR also records, during each load: a CPU
# profile of CometBFT (its pprof, PROFILE_SECS seconds, 15 by default, from 2 s into the
# load), deaid's own profile (perf, if installed) and each process's CPU share, into DIR
# (use --txs 60000 or more so that the load outlasts the profile). --index-events sets
# deaid's app.toml `index_events` (e.g. '[]' indexes every attribute, as before the default
# set), to measure what indexing costs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
TXS=20000; SENDERS=32; TIMEOUT_COMMIT=500ms; PROFILE=""; INDEX_EVENTS=""; PROFILE_SECS="${PROFILE_SECS:-15}"
while [ $# -gt 0 ]; do
  case "$1" in
    --txs) TXS="$2"; shift 2 ;;
    --senders) SENDERS="$2"; shift 2 ;;
    --timeout-commit) TIMEOUT_COMMIT="$2"; shift 2 ;;
    --profile) PROFILE="$2"; shift 2 ;;
    --index-events) INDEX_EVENTS="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
ensure_cometbft
cd "$REPO_ROOT"
# TPS_BIN=DIR runs the deaid and deai-loadgen in DIR instead of building (A/B comparisons).
if [ -n "${TPS_BIN:-}" ]; then
  BIN="$TPS_BIN"
else
  cargo build --release -q -p deaid --bins
  BIN="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release"
fi
WORK="$(mktemp -d /tmp/deai-tps.XXXXXX)"
cleanup() {
  localnet/down.sh --home "$WORK/deai" >/dev/null 2>&1 || true
  for f in "$WORK"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
[ -z "$PROFILE" ] || { mkdir -p "$PROFILE"; PROFILE="$(cd "$PROFILE" && pwd)"; }

# Sets key = value in a [section] of a TOML file (the key must be there already).
toml_set() {
  python3 - "$@" <<'PY'
import re, sys
path, section, key, value = sys.argv[1:5]
s = open(path).read()
m = re.search(r"(?m)^\[" + re.escape(section) + r"\]\s*$", s) if section else None
start = m.end() if m else 0
nxt = re.search(r"(?m)^\[", s[start:]) if section else re.search(r"(?m)^\[", s)
end = start + nxt.start() if nxt else len(s)
body, n = re.subn(r"(?m)^" + re.escape(key) + r"\s*=.*$", f"{key} = {value}", s[start:end], count=1)
if n == 0:
    body = f"{key} = {value}\n" + body
open(path, "w").write(s[:start] + body + s[end:])
PY
}

# CPU seconds (user + system) a process has used so far.
cpu_secs() {
  python3 -c 'import os,sys; f=open(f"/proc/{sys.argv[1]}/stat").read().rsplit(")",1)[1].split(); print((int(f[11])+int(f[12]))/os.sysconf("SC_CLK_TCK"))' "$1"
}

# profile_start NAME PPROF_PORT COMETBFT_PID [APP_PID]: in the background, waits 2 s, then
# records PROFILE_SECS seconds of CometBFT's pprof, the app's perf profile and both CPU shares.
profile_start() {
  [ -n "$PROFILE" ] || return 0
  local name="$1" port="$2" cpid="$3" apid="${4:-}"
  (
    sleep 2
    c0=$(cpu_secs "$cpid"); a0=0; [ -z "$apid" ] || a0=$(cpu_secs "$apid")
    if [ -n "$apid" ] && command -v perf >/dev/null; then
      perf record -q -F 499 -g -p "$apid" -o "$PROFILE/$name-app.perf" -- sleep "$PROFILE_SECS" >/dev/null 2>&1 &
    fi
    curl -s --max-time $((PROFILE_SECS + 30)) -o "$PROFILE/$name-cometbft.pprof" \
      "http://127.0.0.1:$port/debug/pprof/profile?seconds=$PROFILE_SECS" || true
    wait
    c1=$(cpu_secs "$cpid"); a1=0; [ -z "$apid" ] || a1=$(cpu_secs "$apid")
    python3 -c 'import sys; s,c,a=map(float,sys.argv[2:]); print(f"{sys.argv[1]}: cometbft {100*c/s:.0f}% CPU, app {100*a/s:.0f}% CPU over {s:.0f} s of load")' \
      "$name" "$PROFILE_SECS" "$(python3 -c "print($c1-$c0)")" "$(python3 -c "print($a1-$a0)")" >>"$PROFILE/cpu.txt"
  ) &
  PROFILER=$!
}
profile_finish() {
  [ -n "$PROFILE" ] || return 0
  local name="$1"
  wait "$PROFILER" || true
  go tool pprof -top -nodecount=40 "$(command -v cometbft)" "$PROFILE/$name-cometbft.pprof" >"$PROFILE/$name-cometbft-top.txt" 2>&1 || true
  go tool pprof -top -cum -nodecount=60 "$(command -v cometbft)" "$PROFILE/$name-cometbft.pprof" >"$PROFILE/$name-cometbft-cum.txt" 2>&1 || true
  if [ -f "$PROFILE/$name-app.perf" ]; then
    perf report -q -i "$PROFILE/$name-app.perf" --no-children --sort dso,symbol --stdio 2>/dev/null | grep -v '^$' | grep '%' | head -60 >"$PROFILE/$name-app-top.txt" || true
    perf report -q -i "$PROFILE/$name-app.perf" --children --sort symbol --stdio -g none 2>/dev/null | grep '%' | head -60 >"$PROFILE/$name-app-cum.txt" || true
  fi
}

DEAID_BIN="$BIN/deaid" localnet/up.sh --home "$WORK/deai" --base-port 29000 --timeout-commit "$TIMEOUT_COMMIT" >/dev/null
if [ -n "$PROFILE" ] || [ -n "$INDEX_EVENTS" ]; then
  localnet/down.sh --home "$WORK/deai" >/dev/null
  [ -z "$PROFILE" ] || toml_set "$WORK/deai/node0/config/config.toml" rpc pprof_laddr '"127.0.0.1:29008"'
  [ -z "$INDEX_EVENTS" ] || toml_set "$WORK/deai/node0/config/app.toml" "" index_events "$INDEX_EVENTS"
  DEAID_BIN="$BIN/deaid" localnet/up.sh --home "$WORK/deai" >/dev/null
fi
if [ -n "$PROFILE" ]; then
  profile_start deai 29008 "$(cat "$WORK/deai/node0/cometbft.pid")" "$(cat "$WORK/deai/node0/deaid.pid")"
fi
DEAI=$("$BIN/deai-loadgen" deai --rpc http://127.0.0.1:29001 --localnet "$WORK/deai/localnet.json" --txs "$TXS" --senders "$SENDERS")
profile_finish deai
localnet/down.sh --home "$WORK/deai" >/dev/null

# kvstore gets the config.toml `deaid init` wrote for deai's node, with only the app, the
# ports and the home-dependent paths changed, so that both run the same CometBFT settings.
# run_kvstore NAME PORT_BASE PROXY_APP: starts CometBFT on PROXY_APP ("kvstore" = in-process),
# loads it and prints the load generator's JSON.
run_kvstore() {
  local name="$1" base="$2" proxy="$3" h="$WORK/$1"
  cometbft init --home "$h" >/dev/null 2>&1
  cp "$WORK/deai/node0/config/config.toml" "$h/config/config.toml"
  toml_set "$h/config/config.toml" "" proxy_app "\"$proxy\""
  toml_set "$h/config/config.toml" p2p laddr "\"tcp://127.0.0.1:$base\""
  toml_set "$h/config/config.toml" p2p persistent_peers '""'
  toml_set "$h/config/config.toml" rpc laddr "\"tcp://127.0.0.1:$((base + 1))\""
  [ -z "$PROFILE" ] || toml_set "$h/config/config.toml" rpc pprof_laddr "\"127.0.0.1:$((base + 8))\""
  cometbft node --home "$h" >"$h.log" 2>&1 &
  echo $! >"$h.pid"
  for _ in $(seq 1 100); do curl -s "http://127.0.0.1:$((base + 1))/status" >/dev/null 2>&1 && break; sleep 0.2; done
  sleep 2
  profile_start "$name" $((base + 8)) "$(cat "$h.pid")" "$(cat "$h-app.pid" 2>/dev/null || true)"
  "$BIN/deai-loadgen" kvstore --rpc "http://127.0.0.1:$((base + 1))" --txs "$TXS" --senders "$SENDERS"
  profile_finish "$name"
  kill "$(cat "$h.pid")" 2>/dev/null || true
  wait "$(cat "$h.pid")" 2>/dev/null || true
}
KV=$(run_kvstore kvstore 29100 kvstore)
# The same kvstore, out of process over the ABCI socket as deaid is (CometBFT's abci-cli):
# what the socket protocol alone costs an app, whatever the app does.
ensure_abci_cli
"$ABCI_CLI" kvstore --address tcp://127.0.0.1:29112 --log_level error >"$WORK/kvsocket-app.log" 2>&1 &
echo $! >"$WORK/kvsocket-app.pid"
for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/29112) 2>/dev/null && break; sleep 0.1; done
KVS=$(run_kvstore kvsocket 29110 tcp://127.0.0.1:29112)
kill "$(cat "$WORK/kvsocket-app.pid")" 2>/dev/null || true

python3 - "$DEAI" "$KV" "$KVS" "$TIMEOUT_COMMIT" "$SENDERS" <<'PY'
import json, sys
d, k, ks = (json.loads(a) for a in sys.argv[1:4])
print(f"committed TPS, 1 validator on 127.0.0.1, timeout_commit {sys.argv[4]}, {sys.argv[5]} broadcast_tx_sync streams")
print(f"{'app':<22}{'sent':>8}{'committed':>11}{'blocks':>8}{'seconds':>9}{'TPS':>10}")
for name, r in (("deai (bank sends)", d), ("kvstore in-process", k), ("kvstore ABCI socket", ks)):
    print(f"{name:<22}{r['sent']:>8}{r['committed']:>11}{r['blocks']:>8}{r['seconds']:>9.2f}{r['committed_tps']:>10.1f}")
print(f"ratio deai / kvstore: {d['committed_tps'] / k['committed_tps']:.2f}")
print(f"ratio kvstore over the ABCI socket / in-process: {ks['committed_tps'] / k['committed_tps']:.2f}")
print(f"ratio deai / kvstore over the ABCI socket: {d['committed_tps'] / ks['committed_tps']:.2f}")
PY
[ -z "$PROFILE" ] || { echo "profiles in $PROFILE:"; cat "$PROFILE/cpu.txt"; }
