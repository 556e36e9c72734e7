//! deai's own protobuf API: the messages, queries, genesis and typed events of every deai
//! module, from `proto/deai/<module>/v1/{tx,query,genesis,events}.proto`, compiled at build
//! time (protox + tonic-build; see build.rs).
//!
//! - Every message implements [`prost::Message`], [`prost::Name`] with Cosmos type URLs
//!   (`/deai.compute.v1.MsgCreateOrder`) and [`prost_reflect::ReflectMessage`] (proto3 JSON,
//!   typed events).
//! - Every service has a tonic client and server (`compute::v1::query_client::QueryClient`,
//!   `compute::v1::msg_server::MsgServer`, ...).
//! - [`FILE_DESCRIPTOR_SET`] holds every deai file and its imports, with the
//!   `google.api.http` options that REST routes are read from.
//!
//! Cosmos types (`Coin`, `PageRequest`, `PageResponse`) are cosmos-sdk-proto's.

use std::sync::LazyLock;

use prost_reflect::DescriptorPool;

/// An encoded `google.protobuf.FileDescriptorSet` of deai's proto files and their imports.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/deai_descriptor_set.bin"));

/// The gRPC services deai's modules define (the Msg services are for tx encoding only).
pub const QUERY_SERVICES: &[&str] = &[
    "deai.compute.v1.Query",
    "deai.inference.v1.Query",
    "deai.training.v1.Query",
    "deai.data.v1.Query",
    "deai.mint.v1.Query",
    "deai.attest.v1.Query",
    "deai.task.v1.Query",
];

/// [`FILE_DESCRIPTOR_SET`] as a descriptor pool.
///
/// The set was compiled and cross-checked by protox when this crate was built, and a test
/// decodes it, so decoding cannot fail at run time.
#[allow(clippy::expect_used)]
pub static DESCRIPTOR_POOL: LazyLock<DescriptorPool> = LazyLock::new(|| {
    DescriptorPool::decode(FILE_DESCRIPTOR_SET)
        .expect("deai-proto's built-in descriptor set is valid (checked at build time)")
});

pub mod compute {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/deai.compute.v1.rs"));
    }
}

pub mod inference {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/deai.inference.v1.rs"));
    }
}

pub mod training {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/deai.training.v1.rs"));
    }
}

pub mod data {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/deai.data.v1.rs"));
    }
}

pub mod mint {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/deai.mint.v1.rs"));
    }
}

pub mod attest {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/deai.attest.v1.rs"));
    }
}

pub mod task {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/deai.task.v1.rs"));
    }
}

#[cfg(test)]
mod tests;
