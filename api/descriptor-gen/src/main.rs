//! Compiles the Cosmos SDK protos of the services deai serves into one FileDescriptorSet.
//! Usage: deai-descriptor-gen <out.bin> <include dir>...

const FILES: &[&str] = &[
    "cosmos/auth/v1beta1/query.proto",
    "cosmos/bank/v1beta1/query.proto",
    "cosmos/bank/v1beta1/tx.proto",
    "cosmos/tx/v1beta1/service.proto",
    "cosmos/base/tendermint/v1beta1/query.proto",
    "cosmos/base/node/v1beta1/query.proto",
    "cosmos/crypto/secp256k1/keys.proto",
    "cosmos/crypto/ed25519/keys.proto",
    "cosmos/crypto/multisig/keys.proto",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((out, includes)) = args.split_first() else {
        eprintln!("usage: deai-descriptor-gen <out.bin> <include dir>...");
        std::process::exit(2);
    };
    // encode_file_descriptor_set keeps custom options (google.api.http, which REST routes
    // are read from); decoding into prost_types would drop them.
    let result = protox::Compiler::new(includes).and_then(|mut c| {
        c.include_imports(true);
        c.open_files(FILES)?;
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
