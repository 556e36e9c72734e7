#!/usr/bin/env bash
# Regenerates api/descriptors/cosmos.bin (served by gRPC reflection) from the Cosmos SDK,
# cosmos-proto, gogoproto, CometBFT and googleapis protos, fetched as Go modules.
set -euo pipefail
cd "$(dirname "$0")"
SDK=github.com/cosmos/cosmos-sdk@v0.50.13
COSMOS_PROTO=github.com/cosmos/cosmos-proto@v1.0.0-beta.5
GOGO=github.com/cosmos/gogoproto@v1.7.0
COMET=github.com/cometbft/cometbft@v0.38.26
GATEWAY=github.com/grpc-ecosystem/grpc-gateway@v1.16.0
dir() { go mod download -json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'; }
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${TMPDIR:-/tmp}/deai-descriptor-gen}" cargo run -q --release --manifest-path descriptor-gen/Cargo.toml -- descriptors/cosmos.bin \
  "$(dir $SDK)/proto" "$(dir $COSMOS_PROTO)/proto" "$(dir $GOGO)" "$(dir $COMET)/proto" \
  "$(dir $GATEWAY)/third_party/googleapis"
