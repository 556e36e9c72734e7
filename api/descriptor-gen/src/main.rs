//! Compiles the protos of the services deai serves into a FileDescriptorSet, imports
//! included: `cosmos` (the Cosmos SDK's) or `wasmd` (wasmd's `cosmwasm.wasm.v1`).
//! Usage: deai-descriptor-gen <cosmos|wasmd> <out.bin> <include dir>...

const COSMOS_FILES: &[&str] = &[
    "cosmos/auth/v1beta1/query.proto",
    "cosmos/auth/v1beta1/tx.proto",
    "cosmos/bank/v1beta1/query.proto",
    "cosmos/bank/v1beta1/tx.proto",
    "cosmos/tx/v1beta1/service.proto",
    "cosmos/base/tendermint/v1beta1/query.proto",
    "cosmos/base/node/v1beta1/query.proto",
    "cosmos/crypto/secp256k1/keys.proto",
    "cosmos/crypto/ed25519/keys.proto",
    "cosmos/crypto/multisig/keys.proto",
    "cosmos/staking/v1beta1/query.proto",
    "cosmos/staking/v1beta1/tx.proto",
    "cosmos/slashing/v1beta1/query.proto",
    "cosmos/slashing/v1beta1/tx.proto",
    "cosmos/distribution/v1beta1/query.proto",
    "cosmos/distribution/v1beta1/tx.proto",
    "cosmos/mint/v1beta1/query.proto",
    "cosmos/mint/v1beta1/tx.proto",
    "cosmos/gov/v1/query.proto",
    "cosmos/gov/v1/tx.proto",
    "cosmos/gov/v1beta1/query.proto",
    "cosmos/gov/v1beta1/tx.proto",
];

/// wasmd's query service, its tx messages (GetTx renders them inside `Any`s), its
/// authorizations and legacy proposals (the other `Any` payloads wasmd registers).
const WASMD_FILES: &[&str] = &[
    "cosmwasm/wasm/v1/types.proto",
    "cosmwasm/wasm/v1/query.proto",
    "cosmwasm/wasm/v1/tx.proto",
    "cosmwasm/wasm/v1/authz.proto",
    "cosmwasm/wasm/v1/proposal_legacy.proto",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = || -> ! {
        eprintln!("usage: deai-descriptor-gen <cosmos|wasmd> <out.bin> <include dir>...");
        std::process::exit(2);
    };
    let Some((set, rest)) = args.split_first() else {
        usage()
    };
    let files = match set.as_str() {
        "cosmos" => COSMOS_FILES,
        "wasmd" => WASMD_FILES,
        _ => usage(),
    };
    let Some((out, includes)) = rest.split_first() else {
        usage()
    };
    // encode_file_descriptor_set keeps custom options (google.api.http, which REST routes
    // are read from); decoding into prost_types would drop them.
    let result = protox::Compiler::new(includes).and_then(|mut c| {
        c.include_imports(true);
        c.open_files(files)?;
        Ok(c.encode_file_descriptor_set())
    });
    match result {
        Ok(bytes) => {
            if let Err(e) = std::fs::write(out, &bytes) {
                eprintln!("error: cannot write {out}: {e}");
                std::process::exit(1);
            }
            eprintln!("wrote {out}: {} bytes", bytes.len());
        }
        Err(e) => {
            eprintln!("error: {e:?}");
            std::process::exit(1);
        }
    }
}
