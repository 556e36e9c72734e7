#!/usr/bin/env bash
# Optional, out of CI: re-measures the issue's anchors (snarkjs + circom2 Groth16,
# EZKL halo2/KZG) on the same models and inputs as deai-zk's bench, in the same run,
# and prints the ratios. Needs npm and PyPI; installs into $WORK only.
#   bash zk/bench/compare.sh            (WORK defaults to /tmp/deai-zk-compare)
#   SKIP_EZKL=1 bash zk/bench/compare.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${WORK:-/tmp/deai-zk-compare}"
HERE="$ROOT/zk/bench"
mkdir -p "$WORK"
: > "$WORK/theirs.txt"
cd "$ROOT"

echo "== deai-zk bench (same run)"
cargo bench -p deai-zk --bench zk_bench --no-run >/dev/null 2>&1
BENCH="$(cargo bench -p deai-zk --bench zk_bench --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import sys,json
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable") and "zk_bench" in m["target"]["name"]: print(m["executable"])' | tail -1)"
"$BENCH" --export "$WORK/export"
"$BENCH" --only 0 | tee "$WORK/ours.txt"
"$BENCH" --only 4 | grep '^| 784' | tee -a "$WORK/ours.txt"

echo "== snarkjs + circom2"
if [ ! -d "$WORK/node_modules/snarkjs" ]; then
  (cd "$WORK" && npm init -y >/dev/null && npm install --no-audit --no-fund snarkjs@0.7.6 circom2 circomlib >/dev/null)
fi
SNARKJS="$WORK/node_modules/.bin/snarkjs"
CIRCOM="$WORK/node_modules/.bin/circom2"
if [ ! -f "$WORK/pot.ptau" ]; then
  "$SNARKJS" powersoftau new bn128 13 "$WORK/pot0.ptau" >/dev/null
  "$SNARKJS" powersoftau contribute "$WORK/pot0.ptau" "$WORK/pot1.ptau" -e="deai-zk compare" >/dev/null
  "$SNARKJS" powersoftau prepare phase2 "$WORK/pot1.ptau" "$WORK/pot.ptau" >/dev/null
fi
for NAME in 64-32-10 784-56-10; do
  D="$WORK/circom-$NAME"; mkdir -p "$D"
  python3 "$HERE/gen_circom.py" "$WORK/export/$NAME.quant.json" "$WORK/export/$NAME.input.json" "$D/mlp.circom" "$D/input.json"
  # circom2 runs under WASI and sees only the working directory: copy circomlib there.
  rm -rf "$D/circomlib" && cp -r "$WORK/node_modules/circomlib" "$D/circomlib"
  (cd "$D" && "$CIRCOM" mlp.circom --r1cs --wasm -o . >"$D/circom.log")
  CONSTRAINTS="$("$SNARKJS" r1cs info "$D/mlp.r1cs" | sed -n 's/.*# of Constraints: *//p')"
  "$SNARKJS" groth16 setup "$D/mlp.r1cs" "$WORK/pot.ptau" "$D/mlp.zkey" >/dev/null
  "$SNARKJS" zkey export verificationkey "$D/mlp.zkey" "$D/vk.json" >/dev/null
  node "$D/mlp_js/generate_witness.js" "$D/mlp_js/mlp.wasm" "$D/input.json" "$D/w.wtns"
  T0=$(date +%s.%N); "$SNARKJS" groth16 prove "$D/mlp.zkey" "$D/w.wtns" "$D/proof.json" "$D/public.json"; T1=$(date +%s.%N)
  "$SNARKJS" groth16 verify "$D/vk.json" "$D/public.json" "$D/proof.json" >/dev/null; T2=$(date +%s.%N)
  echo "snarkjs $NAME constraints=$CONSTRAINTS prove_s=$(echo "$T1 - $T0" | bc) verify_s=$(echo "$T2 - $T1" | bc)" | tee -a "$WORK/theirs.txt"
  # Cross-check: snarkjs's public logits equal deai-zk's reference logits.
  python3 - "$D/public.json" "$WORK/export/$NAME.input.json" <<'PY'
import json, sys

P = 21888242871839275222246405745257275088548364400416034343698204186575808495617  # BN254 scalar field
pub = [int(v) for v in json.load(open(sys.argv[1]))]
want = json.load(open(sys.argv[2]))["logits"]
got = [v - P if v > P // 2 else v for v in pub[: len(want)]]
print("  logits match deai-zk reference:", got == want)
PY
done

if [ -z "${SKIP_EZKL:-}" ]; then
  echo "== EZKL"
  if [ ! -x "$WORK/venv/bin/python" ]; then
    python3 -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install -q ezkl==23.0.5 onnx numpy
  fi
  for NAME in 64-32-10 784-56-10; do
    "$WORK/venv/bin/python" "$HERE/ezkl_run.py" "$WORK/export/$NAME.float.json" "$WORK/export/$NAME.input.json" "$WORK/ezkl-$NAME" "$NAME" | tee -a "$WORK/theirs.txt"
  done
fi

echo "== ratios (prove time, same run)"
python3 - "$WORK/ours.txt" "$WORK/theirs.txt" <<'PY'
import re, sys
ours = {}
for l in open(sys.argv[1]):
    c = [x.strip() for x in l.split("|")]
    if len(c) > 8 and c[1] in ("64-32-10", "784-56-10") and c[2] == "public":
        ours[c[1]] = (float(c[8]), c[5])
for l in open(sys.argv[2]):
    m = dict(re.findall(r"(\w+)=([\d.]+)", l))
    tool, name = l.split()[0], l.split()[1]
    if name in ours and "prove_s" in m:
        o, oc = ours[name]
        t = float(m["prove_s"])
        extra = f", constraints deai-zk {oc} vs {m['constraints']}" if "constraints" in m else ""
        print(f"{name}: {tool} prove {t:.3f} s / deai-zk {o:.3f} s = {t / o:.1f}x{extra}")
PY
