//! What deai's benchmark binaries (`bench/compute`, `bench/inference`, `bench/training`)
//! share: a message or block hook run and repeated the way the app runs it ([`exec`]),
//! medians and percentiles of timings ([`stats`]), the markdown tables they print
//! ([`table`]) and a seeded generator ([`rng`]).

pub mod exec;
pub mod rng;
pub mod stats;
pub mod table;
