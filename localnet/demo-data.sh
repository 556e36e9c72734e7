#!/usr/bin/env bash
# The data market, on a localnet started with its provider daemon:
#   localnet/up.sh --with-data
#   localnet/demo-data.sh [--home DIR] [--epoch-length BLOCKS]
# 1. demo13's worker publishes the digits CSV encrypted (its provider daemon, started by up.sh,
#    serves the ciphertext to grantees only and delivers their keys); demo14 buys two
#    datatokens from the CLI naming demo16 as the consume market (the fee split is printed),
#    sends one to demo15 with `deaid tx bank send`; both fetch with `deai-worker data fetch`
#    (redeem, wrapped key, signed download, decrypt) and the plaintext's sha256 is checked; an
#    unsigned download is refused (HTTP 401).
# 2. demo17 creates a fresh digits data pool (a 100-row base and a 600-row validation file on
#    up.sh's artifact server; --epoch-length blocks, default 80) naming demo18 and demo19 as
#    its validators, whose `data pool-validator start` daemons this script starts (and stops
#    the previous run's: each run has its own pool, since a content hash is paid once, ever;
#    down.sh stops the current ones). demo14 and demo15 contribute real rows, demo16 the same
#    kind of rows with wrong labels; the script waits for both validators' scores and the
#    epoch's settlement and prints each contribution's scores, reward or slash.
# Exits non-zero, with the log to read, if any step fails or a bounded wait runs out.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"

DIR="$REPO_ROOT/.localnet"
EPOCH=80
while [ $# -gt 0 ]; do
  case "$1" in
    --home) DIR="$2"; shift 2 ;;
    --epoch-length) EPOCH="$2"; shift 2 ;;
    -h|--help) sed -n 2,19p "$0"; exit 0 ;;
    *) echo "error: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -f "$DIR/data-market.json" ] || { echo "error: no data market workers at $DIR (run localnet/up.sh --with-data)" >&2; exit 1; }
case "$EPOCH" in '' | *[!0-9]*) echo "error: --epoch-length must be a number of blocks" >&2; exit 2 ;; esac
[ "$EPOCH" -ge 30 ] || { echo "error: --epoch-length must be at least 30 blocks (the contributions and scores must land in it)" >&2; exit 2; }
BIN_DIR="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release"
DEAID_BIN="${DEAID_BIN:-$BIN_DIR/deaid}"
WORKER_BIN="${WORKER_BIN:-$BIN_DIR/deai-worker}"
NODE="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nodes"][0]["rpc"])' "$DIR/localnet.json")"
KEYS=(--keyring-backend test --home "$DIR/keys")
cfg() { python3 -c $'import json,sys\nd=json.load(open(sys.argv[1]))\nfor k in sys.argv[2:]: d=d[k]\nprint(" ".join(d) if isinstance(d,list) else d)' "$DIR/data-market.json" "$@"; }
addr() { python3 -c 'import json,sys; print([a["address"] for a in json.load(open(sys.argv[1]))["accounts"] if a["name"]==sys.argv[2]][0])' "$DIR/localnet.json" "$1"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# The first typed event $1's attribute $2 of a tx's JSON on stdin.
event() { python3 -c 'import json,sys; d=json.load(sys.stdin); print([json.loads(a["value"]) for e in d["events"] if e["type"]==sys.argv[1] for a in e["attributes"] if a["key"]==sys.argv[2]][0])' "$1" "$2"; }
tx() { "$DEAID_BIN" tx "$@" "${KEYS[@]}" --node "$NODE" --gas auto -y --wait -o json; }
q() { "$DEAID_BIN" query "$@" --node "$NODE" -o json; }
worker() { "$WORKER_BIN" --quiet --output json "$@" --node "$NODE" "${KEYS[@]}"; }
height() { curl -s --max-time 5 "$NODE/status" | json 'd["result"]["sync_info"]["latest_block_height"]'; }
fail() { echo "error: $*" >&2; exit 1; }

PROVIDER_KEY="$(cfg provider key)"
PROVIDER_DIR="$(cfg provider state_dir)"
FILES_URL="$(cfg pool_files url)"
BUYER="$(cfg buyer)"; FRIEND="$(cfg friend)"; MARKET="$(cfg consume_market)"; OWNER="$(cfg pool_owner)"
read -r V1 V2 <<<"$(cfg pool_validators)"
DIGITS="$DEAI_DIGITS_CSV"
[ -f "$DIGITS" ] || fail "no digits dataset at $DIGITS (run worker/setup-libtorch.sh)"
PRICE=1000000
OUT="$DIR/demo-data"
mkdir -p "$OUT"
curl -sf --max-time 5 "$(cfg provider url)/health" >/dev/null || fail "the data provider daemon does not answer; see $PROVIDER_DIR/worker.log (run localnet/up.sh --with-data)"
curl -sf --max-time 5 "$FILES_URL/health" >/dev/null || fail "the pool files' artifact server does not answer; see $DIR/data-artifacts/worker.log (run localnet/up.sh --with-data)"

echo "== datasets and datatokens"
echo "$PROVIDER_KEY publishes $(basename "$DIGITS") encrypted, at ${PRICE}udeai a token..."
published="$(worker data publish --key "$PROVIDER_KEY" --file "$DIGITS" --store "$(cfg provider store)" \
  --state-dir "$PROVIDER_DIR" --public-url "$(cfg provider url)" --encrypt --price "${PRICE}udeai" \
  --name digits --description "8x8 handwritten digits, 64 features (0..16) and the label" \
  --license BSD-3-Clause --schema "csv.gz, no header, label last")" || fail "data publish failed"
ID="$(echo "$published" | json 'd["dataset_id"]')"
PLAIN_SHA="$(echo "$published" | json 'd["content_sha256"]')"
HOST_URI="$(echo "$published" | json 'd["host_uri"]')"
[ "$PLAIN_SHA" = "$(sha256sum "$DIGITS" | cut -d' ' -f1)" ] || fail "the published content_sha256 is not the file's"
python3 - "$(q data dataset "$ID")" "$PLAIN_SHA" <<'PY'
import json, sys
d = json.loads(sys.argv[1])["dataset"]
def g(d, k):
    return d.get(k, d.get("".join(w if i == 0 else w.title() for i, w in enumerate(k.split("_")))))
price = g(d, "price")
print(f"dataset {d['id']}: denom {g(d, 'denom')}, access {g(d, 'access')}, price {price['amount']}{price['denom']}")
print(f"  content sha256 {sys.argv[2][:16]}... (the plaintext's); host {g(g(d, 'provider'), 'host_uri')} (the ciphertext)")
PY

echo "$BUYER buys 2 tokens from the CLI through consume market $MARKET (fee 0.02)..."
bought="$(tx data buy "$BUYER" "$ID" --count 2 --max-price "${PRICE}udeai" \
  --consume-market "$(addr "$MARKET")" --consume-market-fee 0.02)" || fail "buy failed"
python3 - "$bought" "$PROVIDER_KEY" "$MARKET" "$(q data params | json 'd["params"].get("publish_market") or d["params"].get("publishMarket") or ""')" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
owner, market, publish_market = sys.argv[2], sys.argv[3], sys.argv[4] or "the community pool"
ev = [e for e in d["events"] if e["type"] == "deai.data.v1.EventAccessBought"][0]
a = {x["key"]: json.loads(x["value"]) for x in ev["attributes"]}
amt = lambda k: int((a.get(k) or {}).get("amount", 0))
paid = amt("paid")
print(f"  paid {paid}udeai, split:")
for k, who, to in [("to_publisher", "publisher", owner), ("to_provider", "provider", owner),
                   ("to_publish_market", "publish market", publish_market),
                   ("to_consume_market", "consume market", market), ("to_community_pool", "take rate", "the community pool")]:
    print(f"    {who:<15} {amt(k):>8}  to {to}")
assert sum(amt(k) for k in ["to_publisher", "to_provider", "to_publish_market", "to_consume_market", "to_community_pool"]) == paid
PY
bal() { q bank balances "$(addr "$1")" | python3 -c 'import json,sys; print(sum(int(c["amount"]) for c in json.load(sys.stdin)["balances"] if c["denom"]==sys.argv[1]))' "data/$ID"; }
tx bank send "$BUYER" "$(addr "$FRIEND")" "1data/$ID" >/dev/null || fail "bank send failed"
echo "$BUYER sent one data/$ID to $FRIEND with deaid tx bank send: $BUYER holds $(bal "$BUYER"), $FRIEND $(bal "$FRIEND")"

for who in "$BUYER" "$FRIEND"; do
  rm -f "$OUT/digits-$who.csv.gz"
  fetched="$(worker data fetch --key "$who" --dataset "$ID" --out "$OUT/digits-$who.csv.gz" --key-timeout-secs 120 \
    2>"$OUT/fetch-$who.log")" || { tail -n 5 "$OUT/fetch-$who.log" >&2; fail "data fetch as $who failed; see $PROVIDER_DIR/worker.log"; }
  got="$(sha256sum "$OUT/digits-$who.csv.gz" | cut -d' ' -f1)"
  [ "$got" = "$PLAIN_SHA" ] || fail "$who's decrypted file has sha256 $got, not $PLAIN_SHA"
  echo "$who fetched it (redeemed grant $(echo "$fetched" | json 'd["grant_id"]'), key delivered by $PROVIDER_KEY's daemon): $(echo "$fetched" | json 'd["bytes"]') bytes, sha256 ${got:0:16}... matches"
done
status="$(curl -s --max-time 10 -o "$OUT/unsigned.bin" -w '%{http_code}' "$HOST_URI")"
[ "$status" = 401 ] || fail "an unsigned download got HTTP $status, not 401"
if head -c 8 "$OUT/unsigned.bin" | grep -q DEAIDATA; then fail "an unsigned download got ciphertext"; fi
echo "an unsigned GET of the blob: HTTP $status, no bytes of it"

echo
echo "== a data pool (proof of contribution)"
# The digits rows: base 0..99, validation 1197..1796; the contributions below.
python3 - "$DIGITS" "$OUT" <<'PY'
import gzip, sys
rows = gzip.open(sys.argv[1], "rt").read().splitlines()
assert len(rows) >= 1797, len(rows)
open(f"{sys.argv[2]}/pool-base.csv", "w").write("\n".join(rows[:100]) + "\n")
open(f"{sys.argv[2]}/pool-validation.csv", "w").write("\n".join(rows[1197:1797]) + "\n")
PY
# PUTs file $1 on the pool files' server; prints its sha256.
put() {
  local sha
  sha="$(sha256sum "$1" | cut -d' ' -f1)"
  curl -sSf --max-time 30 -X PUT --data-binary "@$1" "$FILES_URL/blobs/$sha" >/dev/null || fail "PUT $1 to $FILES_URL failed"
  echo "$sha"
}
BASE_SHA="$(put "$OUT/pool-base.csv")"
VAL_SHA="$(put "$OUT/pool-validation.csv")"
SCHEMA="$(python3 -c '
import json, sys
u, b, v = sys.argv[1:4]
print(json.dumps({"scorer": "accuracy-gain/v1",
  "model": {"type": "logistic", "inputs": 64, "classes": 10},
  "data": {"format": "csv", "header": False, "label_column": -1, "feature_scale": 0.0625},
  "base": {"sha256": b, "uri": f"{u}/blobs/{b}"}, "validation": {"sha256": v, "uri": f"{u}/blobs/{v}"},
  "training": {"optimizer": {"type": "sgd", "lr": 0.1}, "epochs": 10, "batch_size": 32},
  "full_scale_gain_points": 40.0}))' "$FILES_URL" "$BASE_SHA" "$VAL_SHA")"
REWARD=1000000; FUNDS=3000000; STAKE=200000; BOND=1000000; THRESHOLD=1000
created="$(tx data create-pool "$OWNER" --schema "$SCHEMA" --reward-per-epoch "${REWARD}udeai" \
  --epoch-length "$EPOCH" --min-contributor-stake "${STAKE}udeai" --score-threshold "$THRESHOLD" \
  --validators "$(addr "$V1"),$(addr "$V2")" --funds "${FUNDS}udeai")" || fail "create-pool failed"
POOL="$(echo "$created" | event deai.data.v1.EventPoolCreated pool_id)"
pool_field() { q data pool "$POOL" | python3 -c 'import json,sys; p=json.load(sys.stdin)["pool"]; k=sys.argv[1]; c="".join(w if i==0 else w.title() for i,w in enumerate(k.split("_"))); print(p.get(k, p.get(c, 0)))' "$1"; }
EPOCH_START="$(pool_field epoch_start)"
LAST=$((EPOCH_START + EPOCH - 1))
echo "$OWNER created pool $POOL (logistic digits model, 100-row base, 600-row validation): reward ${REWARD}udeai an epoch, funds ${FUNDS}udeai, epoch 0 = heights $EPOCH_START..$LAST, threshold $THRESHOLD/65535, validators $V1, $V2"

# The previous runs' validators (other pools, same keys) stop; this pool's start.
for pidfile in "$DIR"/data-pool-*-validator-*/worker.pid; do
  [ -f "$pidfile" ] || continue
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$(dirname "$pidfile")"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
done
VLOGS=()
for v in "$V1" "$V2"; do
  vd="$DIR/data-pool-$POOL-validator-$v"
  mkdir -p "$vd"
  nohup "$WORKER_BIN" --quiet data pool-validator start --node "$NODE" --key "$v" "${KEYS[@]}" --pool "$POOL" \
    --bond "${BOND}udeai" --cache "$vd/cache" --poll-secs 1 --state-dir "$vd" >>"$vd/worker.log" 2>&1 &
  echo $! > "$vd/worker.pid"
  VLOGS+=("$vd/worker.log")
done
echo "started pool-validator daemons $V1 and $V2 (bond ${BOND}udeai each; logs ${VLOGS[0]}, ${VLOGS[1]})"
logs() { for l in "${VLOGS[@]}"; do echo "--- $l" >&2; tail -n 8 "$l" >&2; done; }

# Contributions: unique content hashes per pool (a hash is paid once, ever), so each run
# leaves out its last (pool id mod 50) rows.
python3 - "$DIGITS" "$OUT" "$((POOL % 50))" <<'PY'
import gzip, sys
rows = gzip.open(sys.argv[1], "rt").read().splitlines()
out, r = sys.argv[2], int(sys.argv[3])
def mislabel(rs):
    return [f"{x.rsplit(',', 1)[0]},{(int(x.rsplit(',', 1)[1]) + 3) % 10}" for x in rs]
for name, rs in [("a", rows[100:500 - r]), ("b", rows[500:700 - r]), ("garbage", mislabel(rows[700:1100 - r]))]:
    open(f"{out}/contribution-{name}.csv", "w").write("\n".join(rs) + "\n")
PY
declare -A WHO ROWS
IDS=()
for pair in "$BUYER:a" "$FRIEND:b" "$MARKET:garbage"; do
  who="${pair%%:*}"; name="${pair#*:}"
  f="$OUT/contribution-$name.csv"
  sha="$(put "$f")"
  c="$(tx data contribute "$who" "$POOL" --content-sha256 "$sha" --uri "$FILES_URL/blobs/$sha" --stake "${STAKE}udeai")" ||
    fail "$who's contribution failed"
  cid="$(echo "$c" | event deai.data.v1.EventContributed contribution_id)"
  IDS+=("$cid"); WHO[$cid]="$who"; ROWS[$cid]="$(wc -l <"$f") rows"
  [ "$name" != garbage ] || ROWS[$cid]="${ROWS[$cid]}, labels shifted by 3"
  echo "$who contributed $(basename "$f") (${ROWS[$cid]}, stake ${STAKE}udeai): contribution $cid"
done
[ "$(height)" -lt "$LAST" ] || fail "the contributions landed after epoch 0's last height $LAST (try a longer --epoch-length)"

contributions() { q data contributions "$POOL"; }
nscores() { contributions | json 'len(d.get("scores", []))'; }
echo "waiting for both validators' scores (before height $LAST)..."
while :; do
  n="$(nscores)"
  [ "$n" -ge 6 ] && break
  h="$(height)"
  [ "$h" -lt "$LAST" ] || { logs; fail "only $n of 6 scores by the epoch's last height $LAST (try a longer --epoch-length)"; }
  sleep 1
done
echo "all 6 scores in at height $(height); waiting for the settlement at height $LAST..."
deadline=$((SECONDS + 3 * EPOCH + 60))
while :; do
  settled="$(contributions)"
  echo "$settled" | json 'all(c.get("settled") for c in d["contributions"])' | grep -q True && break
  [ $SECONDS -lt $deadline ] || { logs; fail "pool $POOL's epoch 0 did not settle by height $(height)"; }
  sleep 1
done

names="$(for cid in "${IDS[@]}"; do printf '%s=%s|%s;' "$cid" "${WHO[$cid]}" "${ROWS[$cid]}"; done)"
python3 - "$settled" "$(q data pool "$POOL")" "$names" "$THRESHOLD" "$STAKE" "$FUNDS" "$(addr "$V1")=$V1,$(addr "$V2")=$V2" <<'PY'
import json, sys
c, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
names = {int(k): v.split("|") for k, v in (x.split("=", 1) for x in sys.argv[3].split(";") if x)}
threshold, stake, funds = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
vname = dict(x.split("=") for x in sys.argv[7].split(","))
def g(d, k, default=None):
    return d.get(k, d.get("".join(w if i == 0 else w.title() for i, w in enumerate(k.split("_"))), default))
amt = lambda x: int((x or {}).get("amount", 0))
print(f"epoch 0 of pool {p['pool']['id']} settled:")
paid = slashed = 0
for x in sorted(c["contributions"], key=lambda x: int(x["id"])):
    cid = int(x["id"])
    who, rows = names.get(cid, ["?", "?"])
    scores = ", ".join(f"{vname.get(s['validator'], s['validator'])} {g(s, 'score_u16', 0)}" for s in c["scores"]
                       if int(g(s, "contribution_id")) == cid)
    cons, reward, slash = int(g(x, "consensus_score_u16", 0)), amt(x.get("reward")), amt(x.get("slashed"))
    paid += reward; slashed += slash
    verdict = f"paid {reward}udeai, stake back" if cons >= threshold else f"slashed {slash}udeai of its {stake}udeai stake"
    print(f"  contribution {cid} by {who} ({rows}): scores {scores}; consensus {cons} -> {verdict}")
bal = amt(p["pool"]["balance"])
# The data market's share of mint's emission is credited into open pools (weighted by their
# validators' bonds) as blocks go by; the e2e tests, which run without inflation, reconcile
# the balance exactly, and the data crate's tests the emission credited.
emission = bal - (funds - paid + slashed)
print(f"  pool balance {funds} - {paid} rewards + {slashed} slash + {emission} emission = {bal}udeai")
assert emission >= 0, "the pool's balance does not reconcile: it lost coins"
for v in p.get("validators", []):
    print(f"  validator {vname.get(g(v, 'validator', g(v, 'address', '?')), g(v, 'validator', '?'))}: bond {amt(g(v, 'bond', g(v, 'stake')))}udeai")
bad = [x for x in c["contributions"] if names.get(int(x["id"]), [""])[1].endswith("shifted by 3")]
good = [x for x in c["contributions"] if x not in bad]
assert bad and all(amt(x.get("slashed")) > 0 and amt(x.get("reward")) == 0 for x in bad), "the mislabelled rows were not slashed"
assert good and all(amt(x.get("reward")) > 0 for x in good), "an honest contribution was not paid"
PY
echo "pool validators $V1 and $V2 keep running for pool $POOL (localnet/down.sh stops them)"
