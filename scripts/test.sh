#!/usr/bin/env bash
# Sets up and runs every test: unit and property tests of all crates, the worker's tests on
# real libtorch, and the end-to-end tests, which start real CometBFT localnets on 127.0.0.1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"
# Each phase's start, in seconds since this script began (CI's log shows where time goes).
phase() { echo "== test.sh +${SECONDS}s: $*"; }
phase setup
"$REPO_ROOT/scripts/setup.sh"
# cargo-deny (advisories from the vendored RustSec snapshot, licences, sources, bans) and
# npm audit (docs/supply-chain.md).
phase supply chain
"$REPO_ROOT/supply-chain/check.sh"
# The contracts (their own workspace and toolchain): native cw-multi-test tests, the wasm32
# build (prints each .wasm's sha256), and both flows run as wasm through cosmwasm-vm.
phase contracts
(cd "$REPO_ROOT/wasm-contracts" && CARGO_TARGET_DIR="$DEAI_CACHE/contracts-target" cargo test --locked)
"$REPO_ROOT/wasm-contracts/build.sh"
"$REPO_ROOT/wasm-contracts/vm-check.sh"
# The e2e tests run the deaid binary of the same profile, with its crash points compiled in
# (app/src/failpoint.rs: inert unless DEAI_FAILPOINT names one).
FEATURES=(--features deaid/failpoints)
phase workspace build
cargo build --workspace --bins "${FEATURES[@]}"
# A smoke run of the fuzzer: 20k inputs of each target, 0 panics (docs/fuzzing.md).
phase fuzz smoke run
cargo run -q -p deai-fuzz "${FEATURES[@]}" -- --target all --iters "${FUZZ_ITERS:-20000}" --seed "${FUZZ_SEED:-1}" \
  --out "${DEAI_CACHE}/fuzz-out"
phase cargo test
cargo test --workspace --no-fail-fast "${FEATURES[@]}" "$@"
phase done
