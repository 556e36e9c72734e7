//! Named crash points for the crash tests, compiled in only with the cargo feature
//! `failpoints` (CI's test build enables it; release builds do not have it).
//!
//! With the feature, `DEAI_FAILPOINT=<name>` makes the `<n>`th pass through the point named
//! `<name>` (`DEAI_FAILPOINT_HIT=<n>`, default 1) abort the process on the spot: no
//! destructor runs and nothing buffered in user space is written, as with `kill -9`.
//!
//! The points, in the order a block takes them:
//! - `init-chain`: InitChain has run every module's genesis, before it answers;
//! - `after-finalize-block`: FinalizeBlock has computed the app hash, before it answers;
//! - `commit-mid-batch`: Commit has put half of the block's writes into the store batch,
//!   none of it applied;
//! - `commit-before-flush`: the batch is applied to the store, not yet flushed to disk.

/// Every point, for tests and the docs.
pub const POINTS: [&str; 4] = [
    "init-chain",
    "after-finalize-block",
    "commit-mid-batch",
    "commit-before-flush",
];

/// Aborts the process if `name` is the armed point and this is its armed pass.
#[cfg(feature = "failpoints")]
pub fn hit(name: &str) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;

    static ARMED: OnceLock<Option<(String, u64)>> = OnceLock::new();
    static PASSES: AtomicU64 = AtomicU64::new(0);
    let armed = ARMED.get_or_init(|| {
        let point = std::env::var("DEAI_FAILPOINT").ok()?;
        let nth = std::env::var("DEAI_FAILPOINT_HIT")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        Some((point, nth))
    });
    if let Some((point, nth)) = armed {
        if point == name && PASSES.fetch_add(1, Ordering::SeqCst) + 1 == *nth {
            eprintln!("deaid: failpoint {name} (pass {nth}): aborting");
            std::process::abort();
        }
    }
}

/// Without the feature the points cost nothing.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn hit(_name: &str) {}
