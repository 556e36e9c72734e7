//! What the inference server remembers across restarts, in `<state-dir>/state.json`
//! (written durably by the shared [`StateFile`]): the requests assigned to it and how far
//! each got, the challenges of its own optimistic answers (and redundant ties) it defends,
//! and, with `--watchdog`, the other servers' optimistic answers it checked and the
//! challenges it made. An answer (output, proof) is recorded before it is submitted, and a
//! challenge before it is sent, so a restart sends the same thing instead of a new one, and
//! only while the chain still needs it: the chain stays the authority, the state only saves
//! work and double submissions or challenges.

use std::collections::BTreeMap;
use std::path::Path;

use deai_worker_daemon::state::{StateFile, Versioned};
use serde::{Deserialize, Serialize};

pub const STATE_FILE: &str = "state.json";
const STATE_VERSION: u32 = 1;
/// Finished records kept (the newest); older ones are dropped.
pub const KEEP_FINISHED: usize = 1000;

/// The verification mode of a request, as the server answers it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum AnswerMode {
    /// Output and Groth16 proof.
    #[default]
    Zk,
    /// Output with the chain's bond, no proof; open to challenges for the window.
    Optimistic,
    /// One of k outputs, no proof, no bond.
    Redundant,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Assigned; not answered yet (or computing was interrupted: it is computed again).
    Assigned,
    /// Proved (zk); the answer below is ready to submit.
    Proved,
    /// Computed (optimistic, redundant: no proof); the output below is ready to submit.
    Computed,
    /// `MsgSubmitInference` committed (or the chain already had the answer).
    Submitted,
    /// The request completed on chain.
    Completed,
    /// The request expired on chain (its deadline passed unanswered).
    Expired,
    /// A dispute found the request's output wrong (the fee was refunded).
    Refuted,
    /// Not answerable (a model not served, an input the model refuses, a refused tx).
    Failed,
}

impl Stage {
    pub fn finished(self) -> bool {
        matches!(
            self,
            Stage::Submitted | Stage::Completed | Stage::Expired | Stage::Refuted | Stage::Failed
        )
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    pub model_id: u64,
    #[serde(default)]
    pub mode: AnswerMode,
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

/// How far the defence of one of the server's own answers went (a challenge of its
/// optimistic output, or a redundant tie it answered in).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DefenseStage {
    /// Disputed; nothing sent yet.
    Open,
    /// A proof of the posted output is recorded, ready to send.
    Proved,
    /// `MsgRespondChallenge` committed.
    Responded,
    /// `MsgAdjudicate` (the canonical weights) committed.
    Adjudicated,
    /// The dispute ended on chain otherwise (settled by someone else, timed out).
    Settled,
    /// Not defended (the posted output is not the one computed here, a dispute past its
    /// deadline, refused txs).
    Failed,
}

impl DefenseStage {
    pub fn finished(self) -> bool {
        !matches!(self, DefenseStage::Open | DefenseStage::Proved)
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DefenseRecord {
    pub model_id: u64,
    pub dispute_deadline: u64,
    pub stage: DefenseStage,
    /// Hex of the proof of the posted output (before it is sent).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub proof: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub txhash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How far the watchdog got with another server's optimistic answer.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WatchStage {
    /// Recomputed: the posted output is right; nothing to do.
    Agreed,
    /// The posted output is wrong; a `MsgChallenge` is about to be sent (a restart reads
    /// the chain's challenge before sending it again).
    Challenging,
    /// Our challenge is committed (or another servers' redundant tie is open); adjudication
    /// comes near the end of the response window (or at once for a model without key).
    Challenged,
    /// Our `MsgAdjudicate` is committed.
    Adjudicated,
    /// The dispute ended without our adjudication (the server's proof, a timeout, another
    /// challenger first).
    Settled,
    /// Not checked or given up (the request left its window first, refused txs).
    Skipped,
}

impl WatchStage {
    pub fn finished(self) -> bool {
        !matches!(self, WatchStage::Challenging | WatchStage::Challenged)
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct WatchRecord {
    pub model_id: u64,
    /// The server whose answer was checked.
    pub server: String,
    pub stage: WatchStage,
    /// The output it posted and the one recomputed here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub posted: Vec<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expected: Vec<i64>,
    /// The dispute's deadline once challenged.
    #[serde(default)]
    pub dispute_deadline: u64,
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
    /// Disputes of its own answers, by request id.
    #[serde(default)]
    pub defenses: BTreeMap<u64, DefenseRecord>,
    /// The watchdog's checks of other servers' optimistic answers, by request id.
    #[serde(default)]
    pub watched: BTreeMap<u64, WatchRecord>,
}

impl Default for ServerState {
    fn default() -> Self {
        ServerState {
            version: STATE_VERSION,
            requests: BTreeMap::new(),
            defenses: BTreeMap::new(),
            watched: BTreeMap::new(),
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

    /// Drops the oldest finished records beyond [`KEEP_FINISHED`] (of each kind).
    pub fn prune(&mut self) {
        prune_map(&mut self.requests, |r| r.stage.finished());
        prune_map(&mut self.defenses, |r| r.stage.finished());
        prune_map(&mut self.watched, |r| r.stage.finished());
    }
}

fn prune_map<T>(m: &mut BTreeMap<u64, T>, finished: impl Fn(&T) -> bool) {
    let done: Vec<u64> = m
        .iter()
        .filter(|(_, r)| finished(r))
        .map(|(id, _)| *id)
        .collect();
    if done.len() > KEEP_FINISHED {
        for id in &done[..done.len() - KEEP_FINISHED] {
            m.remove(id);
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
