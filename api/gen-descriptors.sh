#!/usr/bin/env bash
# Regenerates the FileDescriptorSets served by gRPC reflection and read by REST, from protos
# fetched as Go modules:
#   descriptors/cosmos.bin  the Cosmos SDK, cosmos-proto, gogoproto, CometBFT and googleapis
#                           protos of the Cosmos services (deai-proto compiles against it too);
#   descriptors/wasmd.bin   wasmd's cosmwasm.wasm.v1 protos (query, tx, types, authz, legacy
#                           proposals), compiled against the same SDK protos, imports included.
# wasmd v0.54.9: v0.53.4 (the only v0.53 release the module proxy serves) has no
# Query/CodeInfo, which deai answers; v0.54's protos are v0.53's plus Query/CodeInfo and
# Query/WasmLimitsConfig (and comment fixes).
set -euo pipefail
cd "$(dirname "$0")"
SDK=github.com/cosmos/cosmos-sdk@v0.50.13
COSMOS_PROTO=github.com/cosmos/cosmos-proto@v1.0.0-beta.5
GOGO=github.com/cosmos/gogoproto@v1.7.0
COMET=github.com/cometbft/cometbft@v0.38.26
GATEWAY=github.com/grpc-ecosystem/grpc-gateway@v1.16.0
WASMD=github.com/CosmWasm/wasmd@v0.54.9
dir() { go mod download -json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'; }
INCLUDES=("$(dir $SDK)/proto" "$(dir $COSMOS_PROTO)/proto" "$(dir $GOGO)" "$(dir $COMET)/proto"
  "$(dir $GATEWAY)/third_party/googleapis")
gen() {
  CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${TMPDIR:-/tmp}/deai-descriptor-gen}" cargo run -q --release \
    --manifest-path descriptor-gen/Cargo.toml -- "$@"
}
gen cosmos descriptors/cosmos.bin "${INCLUDES[@]}"
# wasmd's own dir first: its files, then the SDK's (amino, cosmos/msg, cosmos/query, ...).
gen wasmd descriptors/wasmd.bin "$(dir $WASMD)/proto" "${INCLUDES[@]}"
