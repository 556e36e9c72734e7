//! What the trainer and the validator remember across restarts, each in one JSON file of
//! its state directory (written durably by the shared [`StateFile`]). Everything a tx
//! carries that cannot be recomputed (salts above all) is recorded *before* the tx is
//! sent, and a flag after it committed; a restart that finds a record without its flag
//! reads the chain first (the commit, reveal, aggregate or audit may be there already) and
//! only then sends the same thing again. The chain stays the authority; the state saves
//! double submissions and work.

use std::collections::BTreeMap;
use std::path::Path;

use deai_worker_daemon::state::{StateFile, Versioned};
use serde::{Deserialize, Serialize};

pub const TRAINER_FILE: &str = "trainer.json";
pub const VALIDATOR_FILE: &str = "validator.json";
const STATE_VERSION: u32 = 1;
/// Rounds (and audits) kept; older records are dropped.
pub const KEEP: usize = 256;

/// A trainer's update of one round.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct UpdateRecord {
    /// The base it trained from (hex; empty in round 0).
    #[serde(default)]
    pub base_hash: String,
    /// sha256 of the weights safetensors file (hex).
    pub update_hash: String,
    /// Where the weights file is served.
    pub uri: String,
    /// The run's checkpoint chain hashes (hex), in order.
    pub checkpoint_hashes: Vec<String>,
    /// The commit's salt (hex), drawn before the commit is sent.
    pub salt: String,
    /// Published by `--dishonest-random-weights` (random weights, fabricated checkpoints).
    #[serde(default)]
    pub dishonest: bool,
    /// `MsgCommitUpdate` committed (or found on chain).
    #[serde(default)]
    pub committed: bool,
    /// `MsgRevealUpdate` committed (or found on chain).
    #[serde(default)]
    pub revealed: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub commit_tx: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reveal_tx: String,
    /// Why the round was given up, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct TrainerState {
    pub version: u32,
    /// The task this state is of (0: not bound yet).
    #[serde(default)]
    pub task_id: u64,
    /// By round.
    pub rounds: BTreeMap<u64, UpdateRecord>,
}

impl Default for TrainerState {
    fn default() -> Self {
        TrainerState {
            version: STATE_VERSION,
            task_id: 0,
            rounds: BTreeMap::new(),
        }
    }
}

/// A validator's weight row of one round.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct WeightsRecord {
    /// The revealed trainers' uids and their scores, in uid order.
    pub uids: Vec<u16>,
    pub values: Vec<u16>,
    /// The uids whose update was fetched, matched its revealed hash and evaluated to a
    /// score of 0: the only updates audited for their score (a fetch that failed, a file
    /// that did not load here or one not scored in time may be this validator's fault, and
    /// a rejected audit pays its bond to the accused).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suspects: Vec<u16>,
    /// The commit's salt (hex), drawn before the commit is sent.
    pub salt: String,
    #[serde(default)]
    pub committed: bool,
    #[serde(default)]
    pub revealed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed: Option<String>,
}

/// The aggregate this validator computed as a round's aggregator.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct AggregateRecord {
    pub aggregate_hash: String,
    pub uri: String,
    #[serde(default)]
    pub submitted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed: Option<String>,
}

/// An audit this validator opened: `round/update/uid` or `round/aggregate/uid`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct OpenedAudit {
    pub reason: String,
    #[serde(default)]
    pub sent: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tx: String,
}

/// An audit this validator referees: its answer (hex; empty: no such index), recorded
/// before it is sent.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct AnswerRecord {
    pub answer: String,
    #[serde(default)]
    pub sent: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ValidatorState {
    pub version: u32,
    /// The task this state is of (0: not bound yet).
    #[serde(default)]
    pub task_id: u64,
    /// The secret seed of this validator's audit picks (hex, [`crate::rules::audit_pick`]),
    /// drawn once from the OS and saved before its first use. A state written before it
    /// existed (same version: the field is optional) gets one when the validator loads it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub audit_seed: String,
    /// Weight rows by round.
    pub weights: BTreeMap<u64, WeightsRecord>,
    /// Aggregates computed as aggregator, by round.
    #[serde(default)]
    pub aggregates: BTreeMap<u64, AggregateRecord>,
    /// Audits opened, by `round/target/uid`.
    #[serde(default)]
    pub opened: BTreeMap<String, OpenedAudit>,
    /// Audits refereed, by audit id.
    #[serde(default)]
    pub answers: BTreeMap<u64, AnswerRecord>,
    /// Rounds whose aggregate was recomputed (the result: whether it matched).
    #[serde(default)]
    pub rechecked: BTreeMap<u64, bool>,
}

impl Default for ValidatorState {
    fn default() -> Self {
        ValidatorState {
            version: STATE_VERSION,
            task_id: 0,
            audit_seed: String::new(),
            weights: BTreeMap::new(),
            aggregates: BTreeMap::new(),
            opened: BTreeMap::new(),
            answers: BTreeMap::new(),
            rechecked: BTreeMap::new(),
        }
    }
}

/// What the trainer's and the validator's states share: a version, the task they are bound
/// to, and old records to prune.
pub trait TaskState: Versioned + Serialize {
    /// The state's name in logs ("trainer state").
    const WHAT: &'static str;
    /// The task it is of (0: not bound yet).
    fn task_id_mut(&mut self) -> &mut u64;
    /// Drops the oldest records beyond [`KEEP`].
    fn prune(&mut self);
}

macro_rules! task_state {
    ($t:ty, $what:literal) => {
        impl Versioned for $t {
            const VERSION: u32 = STATE_VERSION;
            fn version(&self) -> u32 {
                self.version
            }
        }

        impl TaskState for $t {
            const WHAT: &'static str = $what;
            fn task_id_mut(&mut self) -> &mut u64 {
                &mut self.task_id
            }
            fn prune(&mut self) {
                <$t>::prune(self)
            }
        }
    };
}

task_state!(TrainerState, "trainer state");
task_state!(ValidatorState, "validator state");

/// The key of an opened audit.
pub fn audit_key(round: u64, aggregate: bool, uid: u32) -> String {
    let target = if aggregate { "aggregate" } else { "update" };
    format!("{round}/{target}/{uid}")
}

fn keep_last<K: Ord + Clone, V>(m: &mut BTreeMap<K, V>) {
    while m.len() > KEEP {
        let Some(k) = m.keys().next().cloned() else {
            return;
        };
        m.remove(&k);
    }
}

impl TrainerState {
    pub fn prune(&mut self) {
        keep_last(&mut self.rounds);
    }
}

impl ValidatorState {
    /// The audit seed, drawing one if the state has none (true then: save before use); an
    /// unreadable seed is an error, never silently replaced.
    pub fn ensure_audit_seed(&mut self) -> anyhow::Result<bool> {
        if !self.audit_seed.is_empty() {
            self.audit_seed_bytes()?;
            return Ok(false);
        }
        self.audit_seed = hex::encode(crate::rules::new_audit_seed()?);
        Ok(true)
    }

    /// The audit seed's bytes.
    pub fn audit_seed_bytes(&self) -> anyhow::Result<[u8; crate::rules::AUDIT_SEED_BYTES]> {
        hex::decode(&self.audit_seed)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| anyhow::anyhow!("the validator state's audit_seed is not 32 hex bytes"))
    }

    pub fn prune(&mut self) {
        keep_last(&mut self.weights);
        keep_last(&mut self.aggregates);
        keep_last(&mut self.answers);
        keep_last(&mut self.rechecked);
        // Opened audits are keyed by round first: drop the oldest rounds' keys.
        if self.opened.len() > KEEP {
            let mut keys: Vec<(u64, String)> = self
                .opened
                .keys()
                .map(|k| {
                    (
                        k.split('/')
                            .next()
                            .and_then(|r| r.parse().ok())
                            .unwrap_or(0),
                        k.clone(),
                    )
                })
                .collect();
            keys.sort();
            for (_, k) in keys.iter().take(self.opened.len() - KEEP) {
                self.opened.remove(k);
            }
        }
    }
}

/// Opens (creating) the state directory and reads the state in `name`; a missing file is a
/// fresh state, a corrupt or newer one an error.
pub fn open<T>(dir: &Path, name: &str, what: &str) -> anyhow::Result<(StateFile, T)>
where
    T: Default + Versioned + serde::de::DeserializeOwned,
{
    let file = StateFile::open(dir, name)?;
    let state = file.load(what)?.unwrap_or_default();
    Ok((file, state))
}

/// Binds a state to `task_id`; a state of another task is refused (its rounds, salts and
/// audits are that task's).
pub fn bind_task<S: TaskState>(
    state: &mut S,
    task_id: u64,
    file: &StateFile,
) -> anyhow::Result<()> {
    let bound = state.task_id_mut();
    anyhow::ensure!(
        *bound == 0 || *bound == task_id,
        "{} is the state of task {}, not of task {task_id}: use another --state-dir",
        file.path().display(),
        bound
    );
    *bound = task_id;
    Ok(())
}

/// Prunes and writes `state`; a failure is logged (the next change retries).
pub fn save<S: TaskState>(file: &StateFile, state: &mut S) {
    state.prune();
    file.save_or_log(state, S::WHAT);
}
