//! Storage faults: the disk or the stored bytes failed, not a tx.
//!
//! A `StorageError` is never a tx result. During FinalizeBlock and Commit it halts the node
//! (see `crate::node::halt_storage`): recording it as a failed tx would let one validator's
//! disk error become a state transition the others do not make. CheckTx and queries answer
//! it as an internal error (code 1), which only rejects that one request.

use std::fmt;
use std::sync::Mutex;

use deai_framework::{sdk, TxError};

/// A failed read, write or decode of stored bytes.
#[derive(Debug)]
pub struct StorageError {
    /// What the store was doing: "read", "scan", "decode", "write batch", "prepare", ...
    pub op: &'static str,
    /// What it was doing it to: a key (escaped), a version, a tx.
    pub what: String,
    pub source: anyhow::Error,
}

impl StorageError {
    pub fn new(
        op: &'static str,
        what: impl Into<String>,
        source: impl Into<anyhow::Error>,
    ) -> Self {
        Self {
            op,
            what: what.into(),
            source: source.into(),
        }
    }

    /// A fault on one stored key.
    pub fn at_key(op: &'static str, key: &[u8], source: impl Into<anyhow::Error>) -> Self {
        Self::new(op, format!("key {}", show_key(key)), source)
    }

    /// How a request that can simply be refused (CheckTx, a query) reports it.
    pub fn to_tx_error(&self) -> TxError {
        sdk::internal(self.to_string())
    }
}

/// A key as printable ASCII (`\xNN` for other bytes), bounded for logs.
pub fn show_key(key: &[u8]) -> String {
    const MAX: usize = 160;
    let shown = key.get(..MAX).unwrap_or(key).escape_ascii().to_string();
    if key.len() > MAX {
        format!("{shown}… ({} bytes)", key.len())
    } else {
        shown
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "storage fault: {} {}: {:#}",
            self.op, self.what, self.source
        )
    }
}

impl std::error::Error for StorageError {}

/// The first storage fault seen through a state view. Module code sees faults as ordinary
/// `TxError`s (the `StateRead` trait has no other error type) and may even discard them;
/// the view remembers the fault, so FinalizeBlock can tell a broken store from a bad tx.
#[derive(Debug, Default)]
pub struct FaultLog(Mutex<Option<StorageError>>);

impl FaultLog {
    /// Records `e` (the first fault wins) and returns what the caller's request answers.
    pub fn record(&self, e: StorageError) -> TxError {
        let answer = e.to_tx_error();
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(e);
        }
        answer
    }

    pub fn take(&self) -> Option<StorageError> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}
