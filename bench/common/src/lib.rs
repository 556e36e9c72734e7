//! What deai's benchmark binaries (`bench/compute`, `bench/inference`, `bench/training`)
//! share: a message or block hook run and repeated the way the app runs it ([`exec`]),
//! medians and percentiles of timings ([`stats`]), the markdown tables they print
//! ([`table`]), a seeded generator ([`rng`]) and, with the `node-store` feature, the node's
//! real storage loaded with a prepared state ([`node_store`]).

pub mod exec;
#[cfg(feature = "node-store")]
pub mod node_store;
pub mod rng;
pub mod stats;
pub mod table;
