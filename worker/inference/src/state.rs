//! What the inference server remembers across restarts, in `<state-dir>/state.json`
//! (written durably by the shared [`StateFile`]): the requests assigned to it and how far
//! each got. A proof is recorded before it is submitted, so a restart submits the same
//! answer instead of proving again, and only while the chain still has the request
//! pending: the chain stays the authority, the state only saves work and double
//! submissions.

use std::collections::BTreeMap;
use std::path::Path;

use deai_worker_daemon::state::{StateFile, Versioned};
use serde::{Deserialize, Serialize};

pub const STATE_FILE: &str = "state.json";
const STATE_VERSION: u32 = 1;
/// Finished records kept (the newest); older ones are dropped.
pub const KEEP_FINISHED: usize = 1000;

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Assigned; not proved yet (or proving was interrupted: it is proved again).
    Assigned,
    /// Proved; the answer below is ready to submit.
    Proved,
    /// `MsgSubmitInference` committed (or the chain already had the answer).
    Submitted,
    /// The request completed on chain.
    Completed,
    /// The request expired on chain (its deadline passed unanswered).
    Expired,
    /// Not answerable (a model not served, an input the model refuses, a refused tx).
    Failed,
}

impl Stage {
    pub fn finished(self) -> bool {
        matches!(
            self,
            Stage::Submitted | Stage::Completed | Stage::Expired | Stage::Failed
        )
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    pub model_id: u64,
    pub deadline: u64,
    pub stage: Stage,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output: Vec<i64>,
    /// Hex of the 128-byte proof.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub proof: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub txhash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ServerState {
    pub version: u32,
    /// By request id.
    pub requests: BTreeMap<u64, RequestRecord>,
}

impl Default for ServerState {
    fn default() -> Self {
        ServerState {
            version: STATE_VERSION,
            requests: BTreeMap::new(),
        }
    }
}

impl Versioned for ServerState {
    const VERSION: u32 = STATE_VERSION;
    fn version(&self) -> u32 {
        self.version
    }
}

impl ServerState {
    /// Requests still to prove or submit, by id.
    pub fn unfinished(&self) -> Vec<u64> {
        self.requests
            .iter()
            .filter(|(_, r)| !r.stage.finished())
            .map(|(id, _)| *id)
            .collect()
    }

    /// Drops the oldest finished records beyond [`KEEP_FINISHED`].
    pub fn prune(&mut self) {
        let finished: Vec<u64> = self
            .requests
            .iter()
            .filter(|(_, r)| r.stage.finished())
            .map(|(id, _)| *id)
            .collect();
        if finished.len() > KEEP_FINISHED {
            for id in &finished[..finished.len() - KEEP_FINISHED] {
                self.requests.remove(id);
            }
        }
    }
}

/// Opens (creating) the state directory and reads its state; a missing file is a fresh
/// state, a corrupt or newer one an error.
pub fn open(dir: &Path) -> anyhow::Result<(StateFile, ServerState)> {
    let file = StateFile::open(dir, STATE_FILE)?;
    let state = file.load("inference server state")?.unwrap_or_default();
    Ok((file, state))
}
