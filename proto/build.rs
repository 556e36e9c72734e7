//! Compiles `deai/<module>/v1/*.proto` with the pure-Rust `protox` parser (no system `protoc`)
//! and generates prost types and tonic clients and servers with `tonic-build`.
//!
//! Imports of Cosmos and Google protos (`cosmos/base/v1beta1/coin.proto`,
//! `cosmos/base/query/v1beta1/pagination.proto`, `google/api/annotations.proto`) resolve
//! from deai-api's `api/descriptors/cosmos.bin`, the Cosmos SDK v0.50 descriptor set it
//! already serves, so they are vendored once and the two sets can never disagree.
//!
//! Outputs in OUT_DIR: the generated Rust (`deai.<module>.v1.rs`) and
//! `deai_descriptor_set.bin`, a FileDescriptorSet of deai's files and all their imports
//! with custom options (google.api.http) kept.

use std::path::PathBuf;

use protox::file::{ChainFileResolver, DescriptorSetFileResolver, IncludeFileResolver};

/// Every deai proto file; a new module adds its four files here.
const FILES: &[&str] = &[
    "deai/compute/v1/genesis.proto",
    "deai/compute/v1/tx.proto",
    "deai/compute/v1/query.proto",
    "deai/compute/v1/events.proto",
    "deai/inference/v1/genesis.proto",
    "deai/inference/v1/tx.proto",
    "deai/inference/v1/query.proto",
    "deai/inference/v1/events.proto",
    "deai/training/v1/genesis.proto",
    "deai/training/v1/tx.proto",
    "deai/training/v1/query.proto",
    "deai/training/v1/events.proto",
    "deai/data/v1/genesis.proto",
    "deai/data/v1/tx.proto",
    "deai/data/v1/query.proto",
    "deai/data/v1/events.proto",
    "deai/mint/v1/genesis.proto",
    "deai/mint/v1/tx.proto",
    "deai/mint/v1/query.proto",
    "deai/mint/v1/events.proto",
    "deai/attest/v1/genesis.proto",
    "deai/attest/v1/tx.proto",
    "deai/attest/v1/query.proto",
    "deai/attest/v1/events.proto",
    "deai/task/v1/genesis.proto",
    "deai/task/v1/tx.proto",
    "deai/task/v1/query.proto",
    "deai/task/v1/events.proto",
];

/// Proto packages of the Cosmos types deai's protos use, mapped to cosmos-sdk-proto's, so
/// that a `Coin` or `PageRequest` is the same Rust type everywhere in the workspace.
const EXTERN: &[(&str, &str)] = &[
    (
        ".cosmos.base.v1beta1",
        "::cosmos_sdk_proto::cosmos::base::v1beta1",
    ),
    (
        ".cosmos.base.query.v1beta1",
        "::cosmos_sdk_proto::cosmos::base::query::v1beta1",
    ),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let cosmos_bin = root.join("../api/descriptors/cosmos.bin");
    println!("cargo:rerun-if-changed={}", cosmos_bin.display());
    println!("cargo:rerun-if-changed={}", root.join("deai").display());
    for f in FILES {
        println!("cargo:rerun-if-changed={}", root.join(f).display());
    }

    let mut resolver = ChainFileResolver::new();
    resolver.add(IncludeFileResolver::new(root.clone()));
    resolver.add(DescriptorSetFileResolver::decode(
        std::fs::read(&cosmos_bin)?.as_slice(),
    )?);
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_source_info(true);
    compiler.open_files(FILES)?;

    // The set the crate exposes: self-contained, options kept (encode, not prost_types).
    compiler.include_imports(true);
    std::fs::write(
        out.join("deai_descriptor_set.bin"),
        compiler.encode_file_descriptor_set(),
    )?;

    // prost-build needs the imported messages too (to decide derives); the Cosmos ones map
    // to cosmos-sdk-proto (EXTERN) and only deai's generated files are included below.
    let fds = compiler.file_descriptor_set();

    let mut config = prost_build::Config::new();
    config.enable_type_names();
    // Cosmos type URLs: `/deai.compute.v1.MsgCreateOrder`.
    config.type_name_domain(["."], "");
    let mut builder = tonic_build::configure()
        .build_server(true)
        .build_client(true)
        .out_dir(&out);
    for (proto, rust) in EXTERN {
        builder = builder.extern_path(*proto, *rust);
    }
    // Every message reflects through the crate's descriptor pool (typed events, JSON).
    for file in fds.file.iter().filter(|f| f.package().starts_with("deai.")) {
        let package = file.package();
        for msg in &file.message_type {
            let full = format!("{package}.{}", msg.name());
            builder = builder.message_attribute(
                format!(".{full}"),
                format!(
                    "#[derive(::prost_reflect::ReflectMessage)]\n\
                     #[prost_reflect(descriptor_pool = \"crate::DESCRIPTOR_POOL\", message_name = \"{full}\")]"
                ),
            );
        }
    }
    builder.compile_fds_with_config(config, fds)?;
    Ok(())
}
