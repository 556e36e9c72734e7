//! What the provider remembers across restarts, in `<state-dir>/state.json`: the bids it
//! placed, the leases it won and how far each job got, the audits it was assigned. Every
//! change is written to a temp file, fsynced and renamed over the old one (and the
//! directory fsynced), so a crash leaves either the old or the new state, never a torn one.
//!
//! The state only saves work and double submissions; the chain stays the authority. Before
//! submitting, the daemon also asks the chain whether its result or audit is already there.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use deai_worker_daemon::state::{StateFile, Versioned};
use serde::{Deserialize, Serialize};

pub const STATE_FILE: &str = "state.json";
const STATE_VERSION: u32 = 1;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BidRecord {
    pub bid_id: u64,
    pub price: String,
}

/// How far the job of a won lease got.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LeaseStage {
    /// Won; the job has not run (or was interrupted: it is re-run from scratch).
    Won,
    /// Trained and published; the result below is ready to submit.
    Trained,
    /// `MsgSubmitResult` committed (or the chain already had the result).
    Submitted,
    /// The lease ended; nothing more to do.
    Ended,
    /// The job cannot be run (bad spec, missing data, a failed run): not retried.
    Failed,
}

/// The fields of `MsgSubmitResult`, as computed from the job's result.json.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ResultClaim {
    /// Hex of the chain head (the last checkpoint's chain hash).
    pub result_hash: String,
    pub weights_sha256: String,
    pub checkpoint_hashes: Vec<String>,
    pub artifact_uri: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct LeaseRecord {
    pub order_id: u64,
    pub stage: LeaseStage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<ResultClaim>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AuditStage {
    Assigned,
    Submitted,
    /// No answer could be computed (no result delivered its start, or the verifier failed).
    Failed,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub order_id: u64,
    pub segment: u32,
    pub stage: AuditStage,
    /// Hex of the submitted checkpoint hash ("" for an empty answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ProviderState {
    pub version: u32,
    /// By order id.
    pub bids: BTreeMap<u64, BidRecord>,
    /// By lease id.
    pub leases: BTreeMap<u64, LeaseRecord>,
    /// By audit id.
    pub audits: BTreeMap<u64, AuditRecord>,
}

impl Default for ProviderState {
    fn default() -> Self {
        ProviderState {
            version: STATE_VERSION,
            bids: BTreeMap::new(),
            leases: BTreeMap::new(),
            audits: BTreeMap::new(),
        }
    }
}

impl ProviderState {
    /// Leases whose job has to (re)run or whose result has to be submitted.
    pub fn unfinished_leases(&self) -> Vec<u64> {
        self.leases
            .iter()
            .filter(|(_, r)| matches!(r.stage, LeaseStage::Won | LeaseStage::Trained))
            .map(|(id, _)| *id)
            .collect()
    }

    pub fn pending_audits(&self) -> Vec<u64> {
        self.audits
            .iter()
            .filter(|(_, r)| r.stage == AuditStage::Assigned)
            .map(|(id, _)| *id)
            .collect()
    }
}

impl Versioned for ProviderState {
    const VERSION: u32 = STATE_VERSION;
    fn version(&self) -> u32 {
        self.version
    }
}

/// The state directory: `state.json`, the jobs' output directories and the artifact store.
/// The file is the shared daemon scaffolding's [`StateFile`] (durable writes, refused when
/// corrupt or newer).
pub struct StateDir {
    file: StateFile,
}

impl StateDir {
    /// Opens (creating) `dir` and reads its state; a missing file is a fresh state.
    pub fn open(dir: &Path) -> anyhow::Result<(StateDir, ProviderState)> {
        let file = StateFile::open(dir, STATE_FILE)?;
        let state = file.load("provider state")?.unwrap_or_default();
        Ok((StateDir { file }, state))
    }

    pub fn path(&self) -> &Path {
        self.file.dir()
    }

    /// The state file.
    pub fn file(&self) -> &StateFile {
        &self.file
    }

    /// Where the job of `lease_id` writes its output (removed before a re-run).
    pub fn job_dir(&self, lease_id: u64) -> PathBuf {
        self.path().join("jobs").join(format!("lease-{lease_id}"))
    }

    /// The default artifact store the provider publishes into and serves.
    pub fn store_dir(&self) -> PathBuf {
        self.path().join("store")
    }

    /// Writes `state` durably: temp file, fsync, rename, fsync of the directory.
    pub fn save(&self, state: &ProviderState) -> anyhow::Result<()> {
        self.file.save(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_survives_a_reopen_and_a_leftover_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let (sd, mut s) = StateDir::open(dir.path()).unwrap();
        assert_eq!(s, ProviderState::default());
        s.bids.insert(
            3,
            BidRecord {
                bid_id: 9,
                price: "10udeai".into(),
            },
        );
        s.leases.insert(
            4,
            LeaseRecord {
                order_id: 3,
                stage: LeaseStage::Won,
                result: None,
                error: None,
            },
        );
        sd.save(&s).unwrap();
        // A crash during the next save leaves a temp file; the state is the last saved.
        std::fs::write(dir.path().join("state.json.tmp"), b"{torn").unwrap();
        let (_, again) = StateDir::open(dir.path()).unwrap();
        assert_eq!(again, s);
        assert_eq!(again.unfinished_leases(), vec![4]);
    }

    #[test]
    fn a_corrupt_or_newer_state_is_refused_not_reset() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(STATE_FILE), b"{").unwrap();
        assert!(StateDir::open(dir.path()).is_err());
        let newer = serde_json::json!({"version": 2, "bids": {}, "leases": {}, "audits": {}});
        std::fs::write(dir.path().join(STATE_FILE), newer.to_string()).unwrap();
        let e = StateDir::open(dir.path()).err().unwrap().to_string();
        assert!(e.contains("state version 2"), "{e}");
    }
}
