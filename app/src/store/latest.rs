//! The latest committed state, read from the `L` table, and what a block's execution read
//! of it: the version of each key's row, which that block's commit needs (see
//! `Storage::prepare_after`), so that the commit does not read those rows a second time.

use std::collections::BTreeMap;
use std::sync::Mutex;

use anyhow::anyhow;
use deai_framework::state::KvPair;
use deai_framework::{StateRead, TxError};

use super::error::{FaultLog, StorageError};
use super::kv::KvStore;
use super::layout::{table, LATEST};

/// Each key a view read, and the version its latest row was written at (None: no row).
pub type ReadVersions = BTreeMap<Vec<u8>, Option<u64>>;

/// The latest state. A read that fails, or finds a row it cannot decode, answers an internal
/// `TxError` to its caller and is also recorded here as a `StorageError`, which FinalizeBlock
/// checks after every step (modules may map or drop the `TxError`; they cannot lose the
/// record).
pub struct LatestView<'a> {
    kv: &'a dyn KvStore,
    faults: FaultLog,
    /// Kept only by a block's view (`Storage::latest_for_block`): the versions its gets saw.
    reads: Option<Mutex<ReadVersions>>,
}

impl<'a> LatestView<'a> {
    pub(super) fn new(kv: &'a dyn KvStore, record_reads: bool) -> Self {
        Self {
            kv,
            faults: FaultLog::default(),
            reads: record_reads.then(|| Mutex::new(ReadVersions::new())),
        }
    }

    /// The first storage fault read through this view since the last call, if any.
    pub fn take_fault(&self) -> Option<StorageError> {
        self.faults.take()
    }

    /// The versions this view's gets saw, taken out of it (empty unless it records them).
    pub fn take_read_versions(&self) -> ReadVersions {
        self.reads
            .as_ref()
            .map(|r| std::mem::take(&mut *r.lock().unwrap_or_else(|p| p.into_inner())))
            .unwrap_or_default()
    }

    fn note(&self, key: &[u8], version: Option<u64>) {
        if let Some(reads) = &self.reads {
            let mut reads = reads.lock().unwrap_or_else(|p| p.into_inner());
            if !reads.contains_key(key) {
                reads.insert(key.to_vec(), version);
            }
        }
    }
}

/// The version at the front of an `L` row.
pub(super) fn version_prefix(latest_value: &[u8]) -> anyhow::Result<u64> {
    let b: [u8; 8] = latest_value
        .get(..8)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| anyhow!("corrupt latest entry"))?;
    Ok(u64::from_be_bytes(b))
}

impl StateRead for LatestView<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        let raw = table(LATEST, key);
        match self.kv.get(&raw) {
            Err(e) => Err(self.faults.record(StorageError::at_key("read", &raw, e))),
            Ok(None) => {
                self.note(key, None);
                Ok(None)
            }
            Ok(Some(v)) => match version_prefix(&v) {
                Ok(u) => {
                    self.note(key, Some(u));
                    Ok(Some(v[8..].to_vec()))
                }
                Err(e) => Err(self.faults.record(StorageError::at_key("decode", &raw, e))),
            },
        }
    }

    fn scan(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<KvPair>, TxError> {
        let end = match end {
            Some(e) => table(LATEST, e),
            None => vec![LATEST + 1],
        };
        let lo = table(LATEST, start);
        let rows = match self.kv.range(&lo, Some(&end), reverse, limit) {
            Ok(rows) => rows,
            Err(e) => return Err(self.faults.record(StorageError::at_key("scan", &lo, e))),
        };
        rows.into_iter()
            .map(|(k, v)| match version_prefix(&v) {
                Ok(_) => Ok((k[1..].to_vec(), v[8..].to_vec())),
                Err(e) => Err(self.faults.record(StorageError::at_key("decode", &k, e))),
            })
            .collect()
    }
}
