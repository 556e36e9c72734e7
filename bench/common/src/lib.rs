//! What deai's benchmark binaries (`bench/compute`, `bench/inference`) share: medians and
//! percentiles of timings ([`stats`]) and the markdown tables they print ([`table`]).

pub mod stats;
pub mod table;
