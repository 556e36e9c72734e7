//! The mempool's view of state: the writes of checked txs on top of the last commit, shared
//! cheaply with simulations.

use std::sync::Arc;

use deai_framework::state::WriteSet;
use deai_framework::{Delta, StateRead};

/// Recent writes folded into the shared base past this many entries: a snapshot copies at
/// most this many, and a fold copies the base only while a simulation still holds it.
const FOLD_AT: usize = 1024;

#[derive(Default)]
pub(super) struct CheckState {
    /// Older writes, immutable while shared: simulations hold an `Arc` of it.
    base: Arc<WriteSet>,
    /// Recent writes, newer than `base`'s.
    top: WriteSet,
}

/// A frozen copy of the check state, taken under the lock in O(`FOLD_AT`) and read
/// without it.
pub(super) struct CheckSnapshot {
    base: Arc<WriteSet>,
    top: WriteSet,
}

impl CheckState {
    /// Runs `f` on the check state over `parent` (the last commit).
    pub(super) fn read<T>(&self, parent: &dyn StateRead, f: impl FnOnce(&dyn StateRead) -> T) -> T {
        let base = Delta::over(parent, &self.base);
        f(&Delta::over(&base, &self.top))
    }

    /// Keeps a checked tx's writes (never a failed one's: those are simply not applied).
    pub(super) fn apply(&mut self, writes: WriteSet) {
        self.top.extend(writes);
        if self.top.len() >= FOLD_AT {
            let top = std::mem::take(&mut self.top);
            Arc::make_mut(&mut self.base).extend(top);
        }
    }

    /// Forgets everything after a commit (CometBFT rechecks the mempool's txs).
    pub(super) fn clear(&mut self) {
        self.base = Arc::default();
        self.top.clear();
    }

    pub(super) fn snapshot(&self) -> CheckSnapshot {
        CheckSnapshot {
            base: self.base.clone(),
            top: self.top.clone(),
        }
    }
}

impl CheckSnapshot {
    /// Runs `f` on the snapshot over `parent`.
    pub(super) fn read<T>(&self, parent: &dyn StateRead, f: impl FnOnce(&dyn StateRead) -> T) -> T {
        let base = Delta::over(parent, &self.base);
        f(&Delta::over(&base, &self.top))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deai_framework::state::MemStore;

    fn w(k: u32, v: u8) -> WriteSet {
        [(k.to_be_bytes().to_vec(), Some(vec![v]))].into()
    }

    // Simulate used to deep-clone the whole write set under the CheckTx lock; a snapshot
    // now shares the folded base and copies at most FOLD_AT recent writes, and later
    // CheckTx writes do not show through it.
    #[test]
    fn a_snapshot_shares_the_base_and_stays_consistent() {
        let mut s = CheckState::default();
        for i in 0..5000u32 {
            s.apply(w(i, 1));
        }
        let snap = s.snapshot();
        assert!(Arc::ptr_eq(&snap.base, &s.base));
        assert!(snap.top.len() < FOLD_AT && snap.base.len() + snap.top.len() == 5000);
        for i in 0..5000u32 {
            s.apply(w(i, 2));
        }
        let parent = MemStore::new();
        let seen = |st: &dyn StateRead| {
            st.scan(&[], None, false, 10_000)
                .unwrap()
                .iter()
                .map(|(_, v)| v[0])
                .collect::<Vec<_>>()
        };
        assert_eq!(snap.read(&parent, seen), vec![1; 5000]);
        assert_eq!(s.read(&parent, seen), vec![2; 5000]);
        s.clear();
        assert!(s.read(&parent, seen).is_empty());
    }
}
