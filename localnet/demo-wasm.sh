#!/usr/bin/env bash
# CosmWasm on deai from the CLI, on any localnet (the chain alone is enough):
#   localnet/up.sh
#   localnet/demo-wasm.sh [--home DIR]
# 1. Builds wasm-contracts/artifacts/*.wasm with wasm-contracts/build.sh if they are missing,
#    stores both contracts (`deaid tx wasm store`) and checks each code's checksum against the
#    file's sha256.
# 2. The agent marketplace (arbiter demo1): demo14 registers an agent with a bond, demo15 hires
#    it with the price in escrow, demo14 delivers, demo15 accepts (the escrow pays demo14) and
#    rates it 5 stars; every balance involved is printed before and after, step by step with
#    each tx's fee, reconciled to the unit, and the agent's reputation read by smart query.
# 3. The model marketplace (fee collector demo1): demo6 lists an inference model it owns (up.sh
#    --with-inference-server's digits model; otherwise it registers a zk-mode none one) with
#    contributors demo17/demo4/demo6 at 5000/3000/2000 bps; demo16 buys a perpetual licence; the
#    cw721 receipt is shown owned by demo16 (owner_of, tokens), the royalty split is reconciled
#    to the unit with the balances, and the model's ranking is printed.
# Signing keys, none of them a daemon's key (up.sh's daemons sign with demo2, 3, 5, 7, 8..13,
# 18, 19): demo4 deploys and administers both contracts, demo14 is the agent, demo15 the
# client, demo6 the seller, demo16 the buyer; demo1 and demo17 only receive. Each run stores
# new codes and instantiates new contracts.
# Exits non-zero, saying which step failed, on any failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"

DIR="$REPO_ROOT/.localnet"
while [ $# -gt 0 ]; do
  case "$1" in
    --home) DIR="$2"; shift 2 ;;
    -h|--help) sed -n 2,21p "$0"; exit 0 ;;
    *) echo "error: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -f "$DIR/localnet.json" ] || { echo "error: no localnet at $DIR (run localnet/up.sh)" >&2; exit 1; }
BIN_DIR="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release"
DEAID_BIN="${DEAID_BIN:-$BIN_DIR/deaid}"
[ -x "$DEAID_BIN" ] || { echo "error: no deaid at $DEAID_BIN (run localnet/up.sh, or set DEAID_BIN)" >&2; exit 1; }
NODE="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nodes"][0]["rpc"])' "$DIR/localnet.json")"
DENOM="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["denom"])' "$DIR/localnet.json")"
KEYS=(--keyring-backend test --home "$DIR/keys")
ART="$REPO_ROOT/wasm-contracts/artifacts"
addr() { python3 -c 'import json,sys; print([a["address"] for a in json.load(open(sys.argv[1]))["accounts"] if a["name"]==sys.argv[2]][0])' "$DIR/localnet.json" "$1"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# The first event $1's attribute $2 of a tx's JSON on stdin, as written (wasm events' values are
# plain strings, not JSON).
attr() { python3 -c 'import json,sys; d=json.load(sys.stdin); print([a["value"] for e in d["events"] if e["type"]==sys.argv[1] for a in e["attributes"] if a["key"]==sys.argv[2]][0])' "$1" "$2"; }
# The fee a tx paid (the ante handler's `tx` event, "<n><denom>"), in $DENOM.
fee() { attr tx fee | python3 -c 'import sys; v=sys.stdin.read().strip(); d=sys.argv[1]; assert v.endswith(d), v; print(int(v[:-len(d)]))' "$DENOM"; }
tx() { "$DEAID_BIN" tx "$@" "${KEYS[@]}" --node "$NODE" --gas auto -y --wait -o json; }
q() { "$DEAID_BIN" query "$@" --node "$NODE" -o json; }
smart() { q wasm contract-state smart "$1" "$2" | json 'json.dumps(d["data"])'; }
bal() { q bank balances "$1" | python3 -c 'import json,sys; print(sum(int(c["amount"]) for c in json.load(sys.stdin)["balances"] if c["denom"]==sys.argv[1]))' "$DENOM"; }
fail() { echo "error: $*" >&2; exit 1; }
# Runs `tx …` for step $1, keeping its JSON in $TX; on failure, prints what deaid said (the
# simulation's or the chain's refusal, with its codespace and code) and exits.
run_tx() {
  local step="$1" err
  shift
  err="$(mktemp)"
  if ! TX="$(tx "$@" 2>"$err")"; then
    sed 's/^/  /' "$err" >&2
    rm -f "$err"
    fail "$step failed"
  fi
  rm -f "$err"
}

DEPLOYER=demo4; ARBITER=demo1; AGENT=demo14; CLIENT=demo15
SELLER=demo6; BUYER=demo16; FEE_COLLECTOR=demo1; CONTRIBUTORS=(demo17:5000 demo4:3000 demo6:2000)
for k in "$DEPLOYER" "$ARBITER" "$AGENT" "$CLIENT" "$SELLER" "$BUYER" demo17; do
  addr "$k" >/dev/null 2>&1 || fail "the localnet at $DIR has no account $k (it predates demo13..demo19; start a new one: localnet/down.sh --clean && localnet/up.sh)"
done
curl -sf --max-time 5 "$NODE/status" >/dev/null || fail "the node at $NODE does not answer (run localnet/up.sh)"

echo "== contracts"
if [ ! -f "$ART/agent-marketplace.wasm" ] || [ ! -f "$ART/model-marketplace.wasm" ]; then
  echo "building the contracts with wasm-contracts/build.sh..."
  bash "$REPO_ROOT/wasm-contracts/build.sh" agent-marketplace model-marketplace >&2 ||
    fail "wasm-contracts/build.sh failed (it needs wasm-contracts/setup-toolchain.sh once; scripts/setup.sh runs it)"
fi
declare -A CODE
for c in agent-marketplace model-marketplace; do
  f="$ART/$c.wasm"
  run_tx "storing $c" wasm store "$DEPLOYER" "$f"
  CODE[$c]="$(echo "$TX" | json 'd["code_id"]')"
  checksum="$(echo "$TX" | attr store_code code_checksum)"
  sha="$(sha256sum "$f" | cut -d' ' -f1)"
  [ "$checksum" = "$sha" ] || fail "code ${CODE[$c]}'s checksum $checksum is not $c.wasm's sha256 $sha"
  info="$(q wasm code-info "${CODE[$c]}")" || fail "query wasm code-info ${CODE[$c]} failed"
  [ "$(echo "$info" | json 'd["data_hash"].lower()')" = "$sha" ] || fail "code-info ${CODE[$c]}'s data_hash is not $c.wasm's sha256"
  echo "$DEPLOYER stored $c.wasm ($(stat -c %s "$f") bytes, sent gzipped): code ${CODE[$c]}, checksum $checksum (the file's sha256; code-info agrees), gas used $(echo "$TX" | json 'd["gas_used"]'), fee $(echo "$TX" | fee)$DENOM"
done

echo
echo "== the agent marketplace"
BOND=1000000; PRICE=250000
AGENT_INIT="$(python3 -c 'import json,sys; print(json.dumps({"arbiter": sys.argv[1], "denom": sys.argv[2], "min_bond": sys.argv[3],
  "dispute_window_blocks": 20, "max_delivery_blocks": 100, "slash_bps": 5000, "reputation_half_life_blocks": 1000}))' \
  "$(addr "$ARBITER")" "$DENOM" "$BOND")"
run_tx "instantiating the agent marketplace" wasm instantiate "$DEPLOYER" "${CODE[agent-marketplace]}" "$AGENT_INIT" \
  --label agent-marketplace --admin "$(addr "$DEPLOYER")"
AGENTS="$(echo "$TX" | json 'd["contract_address"]')"
echo "$DEPLOYER instantiated code ${CODE[agent-marketplace]} (admin $DEPLOYER, arbiter $ARBITER, min bond $BOND$DENOM): $AGENTS"

# Balances before; then each step as "label|signer|fee|deltas" (deltas: name=amount,…) for the
# table below, which checks that before + every step = after for each column.
A_AGENT="$(addr "$AGENT")"; A_CLIENT="$(addr "$CLIENT")"
before="$AGENT=$(bal "$A_AGENT"),$CLIENT=$(bal "$A_CLIENT"),contract=$(bal "$AGENTS")"
STEPS=()
step() { STEPS+=("$1|$2|$(echo "$TX" | fee)|$3"); }

run_tx "register_agent" wasm execute "$AGENT" "$AGENTS" \
  "{\"register_agent\":{\"name\":\"summarizer\",\"capabilities\":[\"summarize\",\"translate\"],\"endpoint\":\"https://agent.example/v1\",\"price\":\"$PRICE\"}}" \
  --amount "$BOND$DENOM"
step "register_agent, bond $BOND" "$AGENT" "$AGENT=-$BOND,contract=$BOND"
echo "$AGENT registered agent \"summarizer\" (summarize, translate; price $PRICE$DENOM) with a bond of $BOND$DENOM"
run_tx "hire" wasm execute "$CLIENT" "$AGENTS" \
  "{\"hire\":{\"agent\":\"$A_AGENT\",\"task\":\"summarize the deai design brief\",\"delivery_blocks\":50}}" --amount "$PRICE$DENOM"
JOB="$(echo "$TX" | attr wasm-agent_job job_id)"
step "hire, escrow $PRICE" "$CLIENT" "$CLIENT=-$PRICE,contract=$PRICE"
echo "$CLIENT hired it: job $JOB, $PRICE$DENOM in escrow, $(echo "$TX" | attr wasm-agent_job status)"
RESULT_HASH="$(printf 'a summary of the deai design brief' | sha256sum | cut -d' ' -f1)"
run_tx "deliver" wasm execute "$AGENT" "$AGENTS" \
  "{\"deliver\":{\"job_id\":$JOB,\"result_hash\":\"$RESULT_HASH\",\"result_uri\":\"ipfs://summary\"}}"
step "deliver" "$AGENT" ""
echo "$AGENT delivered job $JOB (result sha256 ${RESULT_HASH:0:16}...): $(echo "$TX" | attr wasm-agent_job status)"
run_tx "accept" wasm execute "$CLIENT" "$AGENTS" "{\"accept\":{\"job_id\":$JOB}}"
step "accept: escrow to the agent" "$CLIENT" "contract=-$PRICE,$AGENT=$PRICE"
echo "$CLIENT accepted job $JOB: $(echo "$TX" | attr wasm-agent_job status), the escrow paid to $AGENT"
run_tx "rate" wasm execute "$CLIENT" "$AGENTS" "{\"rate\":{\"job_id\":$JOB,\"stars\":5}}"
RATED_AT="$(echo "$TX" | json 'd["height"]')"
step "rate 5 stars" "$CLIENT" ""
echo "$CLIENT rated job $JOB 5 stars"
after="$AGENT=$(bal "$A_AGENT"),$CLIENT=$(bal "$A_CLIENT"),contract=$(bal "$AGENTS")"
python3 - "$before" "$after" "$AGENT,$CLIENT,contract" "$DENOM" "${STEPS[@]}" <<'PY' || fail "the agent flow's balances do not reconcile"
import sys
before, after = (dict((k, int(v)) for k, v in (x.split("=") for x in s.split(","))) for s in sys.argv[1:3])
cols, denom = sys.argv[3].split(","), sys.argv[4]
run = dict(before)
w = 16
print(f"where each {denom} went:")
print(f"  {'':<44}" + "".join(f"{c:>{w}}" for c in cols))
print(f"  {'before':<44}" + "".join(f"{before[c]:>{w}}" for c in cols))
for s in sys.argv[5:]:
    label, signer, fee, deltas = s.split("|")
    d = {c: 0 for c in cols}
    for x in filter(None, deltas.split(",")):
        k, v = x.split("=")
        d[k] += int(v)
    d[signer] -= int(fee)
    for c in cols:
        run[c] += d[c]
    print(f"  {label + ' (fee ' + fee + ')':<44}" + "".join(f"{d[c]:>+{w}}" if d[c] else f"{'':>{w}}" for c in cols))
print(f"  {'after':<44}" + "".join(f"{after[c]:>{w}}" for c in cols))
bad = [c for c in cols if run[c] != after[c]]
assert not bad, f"expected {run}, read {after}"
print("  reconciled to the unit: before + every step = after, for each column")
PY
rep="$(smart "$AGENTS" "{\"reputation\":{\"agent\":\"$A_AGENT\"}}")" || fail "the reputation query failed"
totals="$(smart "$AGENTS" '{"totals":{}}')" || fail "the totals query failed"
python3 - "$rep" "$totals" "$(bal "$AGENTS")" "$AGENT" "$RATED_AT" <<'PY' || fail "the agent's reputation or the contract's totals are not as expected"
import json, sys
r, t, held, name, rated_at = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
# One 5-star rating at height rated_at, decayed to the query's height (half-life H = 1000):
# decay(v, d) = floor(floor(v / 2^(d // H)) * (2H - d % H) / 2H); milli = floor(1000 S / (W + SCALE)).
H, SCALE, d = 1000, 10**6, r["height"] - rated_at
decay = lambda v: (v >> (d // H)) * (2 * H - d % H) // (2 * H)
S, W = decay(5 * SCALE), decay(SCALE)
print(f"{name}'s reputation (smart query reputation): {r['milli_stars']} milli-stars from {r['ratings']} rating(s) at height {r['height']}")
print(f"  one 5-star rating at height {rated_at}, decayed {d} block(s) (half-life {H}): S {S}, W {W}, 1000 S / (W + {SCALE}) = {1000 * S // (W + SCALE)}, as computed here")
print(f"contract totals: bonded {t['bonded']}, escrowed {t['escrowed']}; it holds {held} = bonded + escrowed")
assert r["ratings"] == 1 and (int(r["decayed_score_sum"]), int(r["decayed_weight"])) == (S, W), r
assert r["milli_stars"] == 1000 * S // (W + SCALE), r
assert int(t["bonded"]) + int(t["escrowed"]) == held, (t, held)
PY

echo
echo "== the model marketplace"
A_SELLER="$(addr "$SELLER")"
MODEL="$(q inference models --owner "$A_SELLER" | python3 -c 'import json,sys
ms = [m for m in json.load(sys.stdin).get("models", []) if m.get("enabled")]
print(ms[0]["id"] if ms else "")')" || fail "query inference models failed"
if [ -z "$MODEL" ]; then
  run_tx "register-model" inference register-model "$SELLER" --name digits-tiny --architecture 4,3 \
    --weights-sha256 "$(printf weights | sha256sum | cut -d' ' -f1)" \
    --quantized-weights-sha256 "$(printf quantized | sha256sum | cut -d' ' -f1)" \
    --zk-mode none --input-min 0 --input-max 15 --input-frac-bits 0 --price "100$DENOM"
  MODEL="$(echo "$TX" | python3 -c 'import json,sys; d=json.load(sys.stdin); print([json.loads(a["value"]) for e in d["events"] if e["type"]=="deai.inference.v1.EventModelRegistered" for a in e["attributes"] if a["key"]=="model_id"][0])')"
  echo "$SELLER owned no inference model: registered model $MODEL (digits-tiny, zk mode none) with deaid tx inference register-model"
else
  echo "$SELLER owns inference model $MODEL ($(q inference model "$MODEL" | json 'd["model"]["name"]'))"
fi
A_FEE="$(addr "$FEE_COLLECTOR")"
MODEL_INIT="$(python3 -c 'import json,sys; print(json.dumps({"denom": sys.argv[1], "name": "deai licences", "symbol": "DEAILIC",
  "fee_bps": 250, "fee_collector": sys.argv[2], "min_eval_score_bps": 0,
  "ranking_weights": {"eval_bps": 5000, "usage_bps": 2500, "rating_bps": 2500}, "usage_half": 10}))' "$DENOM" "$A_FEE")"
run_tx "instantiating the model marketplace" wasm instantiate "$DEPLOYER" "${CODE[model-marketplace]}" "$MODEL_INIT" \
  --label model-marketplace --admin "$(addr "$DEPLOYER")"
MARKET="$(echo "$TX" | json 'd["contract_address"]')"
echo "$DEPLOYER instantiated code ${CODE[model-marketplace]} (fee 250 bps to $FEE_COLLECTOR, min eval score 0): $MARKET"

PERPETUAL=1000001; PER_USE=10000
CONTRIB_JSON="$(for c in "${CONTRIBUTORS[@]}"; do echo "$(addr "${c%%:*}"):${c#*:}"; done |
  python3 -c 'import json,sys; print(json.dumps([{"address": l.split(":")[0], "share_bps": int(l.split(":")[1])} for l in sys.stdin.read().split()]))')"
python3 -c 'import json,sys; assert sum(c["share_bps"] for c in json.loads(sys.argv[1])) == 10000' "$CONTRIB_JSON" || fail "the contributors' shares do not sum to 10000 bps"
run_tx "create_listing" wasm execute "$SELLER" "$MARKET" \
  "{\"create_listing\":{\"model_id\":$MODEL,\"title\":\"Digits\",\"uri\":\"ipfs://model-card\",\"per_use_price\":\"$PER_USE\",\"perpetual_price\":\"$PERPETUAL\",\"contributors\":$CONTRIB_JSON,\"training_task\":null}}"
LISTING="$(echo "$TX" | python3 -c 'import json,sys; d=json.load(sys.stdin); print([x["value"] for e in d["events"] if e["type"]=="wasm" and any(a["key"]=="action" and a["value"]=="create_listing" for a in e["attributes"]) for x in e["attributes"] if x["key"]=="listing_id"][0])')"
echo "$SELLER listed model $MODEL (checked by the contract through DeaiQuery): listing $LISTING, perpetual $PERPETUAL$DENOM, per use $PER_USE$DENOM, contributors ${CONTRIBUTORS[*]} (bps)"
quote="$(smart "$MARKET" "{\"quote_split\":{\"listing_id\":$LISTING,\"kind\":\"perpetual\"}}")" || fail "the quote_split query failed"

A_BUYER="$(addr "$BUYER")"
NAMES=("$BUYER" "$SELLER" demo17 demo4 "$FEE_COLLECTOR")
declare -A SEEN
uniq_names=()
for n in "${NAMES[@]}"; do [ -n "${SEEN[$n]:-}" ] || { uniq_names+=("$n"); SEEN[$n]=1; }; done
balances() { local s=""; for n in "${uniq_names[@]}"; do s="$s$n=$(addr "$n")=$(bal "$(addr "$n")"),"; done; echo "${s}contract=$MARKET=$(bal "$MARKET")"; }
before="$(balances)"
run_tx "buy" wasm execute "$BUYER" "$MARKET" "{\"buy\":{\"listing_id\":$LISTING,\"kind\":\"perpetual\",\"uses\":null}}" \
  --amount "$PERPETUAL$DENOM"
bought="$TX"
after="$(balances)"
TOKEN="$(echo "$bought" | attr wasm-licence token_id)"
echo "$BUYER bought a perpetual licence for $PERPETUAL$DENOM: receipt NFT $TOKEN"
owner="$(smart "$MARKET" "{\"owner_of\":{\"token_id\":\"$TOKEN\"}}")" || fail "the owner_of query failed"
tokens="$(smart "$MARKET" "{\"tokens\":{\"owner\":\"$A_BUYER\"}}")" || fail "the tokens query failed"
python3 - "$owner" "$tokens" "$TOKEN" "$A_BUYER" "$BUYER" <<'PY' || fail "the receipt NFT is not the buyer's"
import json, sys
o, t, token, buyer, name = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
print(f"  cw721 owner_of {token}: {o['owner']} ({name}), approvals {o['approvals']}")
print(f"  cw721 tokens of {name}: {t['tokens']}")
assert o["owner"] == buyer and token in t["tokens"], (o, t)
PY
python3 - "$quote" "$before" "$after" "$bought" "$PERPETUAL" "$BUYER" "$DENOM" "$FEE_COLLECTOR" "$SELLER" <<'PY' || fail "the royalty split does not reconcile"
import json, sys
quote = json.loads(sys.argv[1])
parse = lambda s: {k: (a, int(v)) for k, a, v in (x.split("=") for x in s.split(","))}
before, after, tx = parse(sys.argv[2]), parse(sys.argv[3]), json.loads(sys.argv[4])
price, buyer, denom = int(sys.argv[5]), sys.argv[6], sys.argv[7]
name = {a: k for k, (a, _) in before.items()}
fee_collector, seller = sys.argv[8], sys.argv[9]
fee = int([a["value"] for e in tx["events"] if e["type"] == "tx" for a in e["attributes"] if a["key"] == "fee"][0][:-len(denom)])
royalty = {a["key"]: a["value"] for e in tx["events"] if e["type"] == "wasm-royalty" for a in e["attributes"]}
print(f"  the split of {price}{denom} (quote_split before buying; the wasm-royalty event agrees):")
print(f"    marketplace fee (250 bps)       {int(quote['fee']):>9}  to {fee_collector}")
for s in quote["shares"]:
    print(f"    contributor share               {int(s['amount']):>9}  to {name.get(s['address'], s['address'])}")
print(f"    remainder to the seller         {int(quote['remainder']):>9}")
assert int(quote["fee"]) + sum(int(s["amount"]) for s in quote["shares"]) + int(quote["remainder"]) == price == int(quote["price"])
expected = {k: 0 for k in before}
notes = {k: [] for k in before}
for p in quote["payouts"]:
    assert royalty[p["address"]] == p["amount"], (royalty, p)
    expected[name[p["address"]]] += int(p["amount"])
expected[buyer] -= price + fee
notes[fee_collector].append(f"fee {int(quote['fee'])}")
for s in quote["shares"]:
    notes[name[s["address"]]].append(f"share {int(s['amount'])}")
notes[seller].append(f"remainder {int(quote['remainder'])}")
notes[buyer].append(f"paid {price} + tx fee {fee}")
notes["contract"].append("holds nothing")
print(f"  balances ({denom}):")
for k in before:
    d = after[k][1] - before[k][1]
    note = ", ".join(notes[k])
    print(f"    {k:<9} {before[k][1]:>15} -> {after[k][1]:>15}  {d:>+9}  {note}")
    assert d == expected[k], f"{k}: {d} != {expected[k]}"
print(f"  reconciled to the unit: the payouts sum to {price}, and each balance moved by its payout")
PY
ranking="$(smart "$MARKET" "{\"ranking\":{\"model_id\":$MODEL}}")" || fail "the ranking query failed"
python3 - "$ranking" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
w = r["weights"]
print(f"ranking of model {r['model_id']} (listing {r['listing_id']}): score {r['score_bps']} bps")
print(f"  eval {r['eval_bps']} (on-chain eval score via DeaiQuery) x {w['eval_bps']}, usage {r['usage_bps']} ({r['usage']} sold or used, half at {r['usage_half']}) x {w['usage_bps']}, ratings {r['rating_bps']} ({r['rating_count']} ratings) x {w['rating_bps']}")
print(f"  {r['formula']}")
PY
