//! What a pool validator remembers across restarts, in one JSON file of its state directory
//! (written durably by the shared [`StateFile`]): the score it computed for each
//! contribution (recorded before the tx is sent, so a restart does not train again) and
//! whether the tx committed. The chain stays the authority (its scores are read every
//! tick); the state saves double submissions and work.

use std::collections::BTreeMap;
use std::path::Path;

use deai_worker_daemon::state::{StateFile, Versioned};
use serde::{Deserialize, Serialize};

pub const STATE_FILE: &str = "pool-validator.json";
const STATE_VERSION: u32 = 1;
/// Contributions remembered; the oldest (lowest ids) are dropped beyond this.
pub const KEEP: usize = 4096;

/// This validator's score of one contribution.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct ScoreRecord {
    pub epoch: u64,
    pub score: u16,
    /// Why it scored 0 without training, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected: Option<String>,
    /// `MsgScoreContribution` committed (or our score was found on chain).
    #[serde(default)]
    pub sent: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tx: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PoolValidatorState {
    pub version: u32,
    /// The pool this state is of (0: not bound yet).
    #[serde(default)]
    pub pool_id: u64,
    /// By contribution id.
    #[serde(default)]
    pub scores: BTreeMap<u64, ScoreRecord>,
    /// Failed downloads by contribution id (scored 0 after a few).
    #[serde(default)]
    pub fetch_failures: BTreeMap<u64, u32>,
}

impl Default for PoolValidatorState {
    fn default() -> Self {
        PoolValidatorState {
            version: STATE_VERSION,
            pool_id: 0,
            scores: BTreeMap::new(),
            fetch_failures: BTreeMap::new(),
        }
    }
}

impl Versioned for PoolValidatorState {
    const VERSION: u32 = STATE_VERSION;
    fn version(&self) -> u32 {
        self.version
    }
}

impl PoolValidatorState {
    /// Binds a fresh state to `pool`; a state of another pool is refused.
    pub fn bind(&mut self, pool: u64) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.pool_id == 0 || self.pool_id == pool,
            "the state is of pool {}, not {pool}: use another --state-dir",
            self.pool_id
        );
        self.pool_id = pool;
        Ok(())
    }

    /// Keeps at most [`KEEP`] records of each kind (the newest ids).
    pub fn prune(&mut self) {
        while self.scores.len() > KEEP {
            self.scores.pop_first();
        }
        while self.fetch_failures.len() > KEEP {
            self.fetch_failures.pop_first();
        }
    }
}

/// The state file in `dir` and the state it holds (a fresh one if there is none).
pub fn open(dir: &Path) -> anyhow::Result<(StateFile, PoolValidatorState)> {
    let file = StateFile::open(dir, STATE_FILE)?;
    let st = file.load("pool validator state")?.unwrap_or_default();
    Ok((file, st))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_round_trips_is_bound_to_one_pool_and_is_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let (file, mut st) = open(dir.path()).unwrap();
        st.bind(3).unwrap();
        assert!(st.bind(4).is_err());
        for id in 0..(KEEP as u64 + 5) {
            st.scores.insert(
                id,
                ScoreRecord {
                    epoch: 1,
                    score: 9,
                    ..Default::default()
                },
            );
        }
        st.prune();
        assert_eq!(st.scores.len(), KEEP);
        assert_eq!(st.scores.keys().next(), Some(&5));
        file.save(&st).unwrap();
        let (_, again) = open(dir.path()).unwrap();
        assert_eq!(again, st);
    }
}
