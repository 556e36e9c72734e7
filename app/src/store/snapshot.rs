//! A read of the latest state pinned at one version: what a query at "latest" reads, so that
//! a commit landing mid-query (between two pages' reads, or between a scan and a get) cannot
//! mix heights H and H+1.
//!
//! Reads go to the fast latest table while no commit has happened since the snapshot was
//! taken (a seqlock on `Storage::commit` proves it), and to the history table at the pinned
//! version once one has.

use deai_framework::state::KvPair;
use deai_framework::{sdk, StateRead, TxError};
use jmt::Version;

use super::history::VersionView;
use super::storage::Storage;

pub struct Snapshot<'a> {
    storage: &'a Storage,
    version: Version,
}

impl<'a> Snapshot<'a> {
    pub(super) fn new(storage: &'a Storage, version: Version) -> Self {
        Self { storage, version }
    }

    pub fn version(&self) -> Version {
        self.version
    }

    /// `read` on the latest table if the store is still at the pinned version before and
    /// after it; otherwise `past` at the pinned version, which must still be kept.
    fn read<T>(
        &self,
        latest: impl FnOnce(&dyn StateRead) -> Result<T, TxError>,
        past: impl FnOnce(&dyn StateRead) -> Result<T, TxError>,
    ) -> Result<T, TxError> {
        if let Some((seq, v)) = self.storage.stable_at() {
            if v == self.version {
                let out = latest(&self.storage.latest());
                if self.storage.still(seq) {
                    return out;
                }
            }
        }
        let out = past(&VersionView::new(self.storage.kv(), self.version))?;
        // Pruning may have removed the version while it was read.
        let earliest = self
            .storage
            .earliest_version()
            .map_err(|e| sdk::internal(format!("reading the earliest version: {e:#}")))?;
        if self.version < earliest {
            return Err(sdk::invalid_request(format!(
                "height {} was pruned while the query read it; retry at a newer height",
                self.version
            )));
        }
        Ok(out)
    }
}

impl StateRead for Snapshot<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        self.read(|s| s.get(key), |s| s.get(key))
    }

    fn scan(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<KvPair>, TxError> {
        self.read(
            |s| s.scan(start, end, reverse, limit),
            |s| s.scan(start, end, reverse, limit),
        )
    }
}
