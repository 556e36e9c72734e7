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

/// mimalloc, as deaid runs: every bench that links this crate measures on the node's
/// allocator. glibc's malloc slows small allocations on the fragmented heap a large loaded
/// state leaves (pos-bench measured end block 3× slower at 100,000 delegations on it, and
/// compute-bench's end_block on fjall at 10,000 leases was dominated by malloc and free).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
