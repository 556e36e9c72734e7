#!/usr/bin/env bash
# Stops exactly the processes localnet/up.sh started (by their pid files): workers, then nodes.
#   localnet/down.sh [--home DIR] [--clean]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
DIR="$REPO_ROOT/.localnet"
CLEAN=0
while [ $# -gt 0 ]; do
  case "$1" in
    --home) DIR="$2"; shift 2 ;;
    --clean) CLEAN=1; shift ;;
    -h|--help) sed -n 2,3p "$0"; exit 0 ;;
    *) echo "error: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -d "$DIR" ] || { echo "no localnet at $DIR" >&2; exit 0; }

stop() {
  local pidfile="$1" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  # Only a process of ours: alive and started with this node's home.
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$(dirname "$pidfile")"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}
# Workers first (they stop at a step boundary on SIGTERM), then the nodes.
for worker in "$DIR"/provider-* "$DIR"/inference-server-* "$DIR"/trainer-* "$DIR"/validator-* "$DIR"/data-* "$DIR"/attest-*; do
  [ -d "$worker" ] || continue
  stop "$worker/worker.pid"
done
for node in "$DIR"/node*; do
  [ -d "$node" ] || continue
  stop "$node/cometbft.pid"
  stop "$node/deaid.pid"
done
if [ "$CLEAN" = 1 ]; then
  rm -rf "$DIR"
  echo "localnet stopped and removed ($DIR)"
else
  echo "localnet stopped ($DIR); run localnet/up.sh --home $DIR to restart it"
fi
