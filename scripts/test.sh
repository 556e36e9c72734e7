#!/usr/bin/env bash
# Sets up and runs every test: unit and property tests of all crates, the worker's tests on
# real libtorch, and the end-to-end tests, which start real CometBFT localnets on 127.0.0.1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"
"$REPO_ROOT/scripts/setup.sh"
# The e2e tests run the deaid binary of the same profile.
cargo build --workspace --bins
cargo test --workspace --no-fail-fast "$@"
