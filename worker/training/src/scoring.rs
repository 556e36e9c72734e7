//! Scoring a round's revealed updates in the background. The validator starts as soon as
//! reveals are visible (the RevealUpdates phase), a few updates at a time ([`SLOTS`]), so
//! that one slow or silent trainer server cannot hold the others; in the CommitWeights phase
//! it waits for what is still running only while a commit sent afterwards still lands in
//! the phase, then commits its row with what was scored: an update not scored by then
//! scores 0 and is not audited.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use deai_proto::training::v1 as pb;
use deai_worker_daemon::one_line;
use deai_worker_jobs::{score_u16, JobSpec};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::engine::{classes, Engine};
use crate::files::{digest_of, Files};

/// Updates fetched and evaluated at once.
pub const SLOTS: usize = 4;

/// What scoring one revealed update came to.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Fetched, matched its revealed hash, evaluated.
    Scored { accuracy: f64, score: u16 },
    /// Not fetched, or not the revealed hash (a URI naming another blob, a malformed
    /// hash, a server down or too slow): 0, and no audit (the fault may be the network's
    /// or this validator's, and a rejected audit pays its bond to the accused).
    Unverified(String),
    /// Fetched and verified, but not evaluated here (weights that do not load as a model
    /// of the task, an evaluation failure): 0, and no audit either.
    Unevaluated(String),
}

impl Outcome {
    pub fn score(&self) -> u16 {
        match self {
            Outcome::Scored { score, .. } => *score,
            _ => 0,
        }
    }

    /// A verified file that scored 0: the update to audit (random weights, say).
    pub fn suspect(&self) -> bool {
        matches!(self, Outcome::Scored { score: 0, .. })
    }
}

/// What scoring needs, shareable with background tasks.
#[derive(Clone)]
pub struct Scorer {
    pub files: Arc<Files>,
    pub engine: Arc<dyn Engine>,
    pub eval_data: PathBuf,
}

impl Scorer {
    /// Scores one revealed update of a round whose model is `spec`.
    pub async fn score(&self, spec: &JobSpec, u: &pb::Update) -> Outcome {
        let fetched = async {
            let d = digest_of(&u.update_hash, "update_hash")?;
            self.files
                .fetch(&u.uri, &d, self.engine.max_weights_bytes(spec))
                .await
        };
        let path = match fetched.await {
            Ok(p) => p,
            Err(e) => {
                let why = one_line(&e);
                tracing::warn!(uid = u.uid, reason = %why, "update not fetched: scores 0, not audited");
                return Outcome::Unverified(why);
            }
        };
        let (engine, job, eval) = (self.engine.clone(), spec.clone(), self.eval_data.clone());
        let acc = tokio::task::spawn_blocking(move || engine.accuracy(&job, &path, &eval))
            .await
            .map_err(|e| anyhow::anyhow!("the evaluation task failed: {e}"))
            .and_then(|r| r);
        match acc {
            Ok(accuracy) => {
                let score = score_u16(accuracy, classes(&spec.model));
                tracing::info!(uid = u.uid, accuracy, score, "update scored");
                Outcome::Scored { accuracy, score }
            }
            Err(e) => {
                let why = one_line(&e);
                tracing::warn!(uid = u.uid, reason = %why, "update not evaluated: scores 0, not audited");
                Outcome::Unevaluated(why)
            }
        }
    }
}

/// The background scoring of one round (the current one).
pub struct Scoring {
    round: Option<u64>,
    slots: Arc<Semaphore>,
    running: JoinSet<(u32, Outcome)>,
    /// Uids whose scoring was started.
    started: BTreeSet<u32>,
    /// Outcomes by uid.
    done: BTreeMap<u32, Outcome>,
}

impl Default for Scoring {
    fn default() -> Self {
        Scoring {
            round: None,
            slots: Arc::new(Semaphore::new(SLOTS)),
            running: JoinSet::new(),
            started: BTreeSet::new(),
            done: BTreeMap::new(),
        }
    }
}

impl Scoring {
    /// Starts scoring the revealed updates of `round` not started yet (another round's
    /// scoring is dropped); returns at once.
    pub fn start(&mut self, scorer: &Scorer, round: u64, spec: &JobSpec, updates: &[pb::Update]) {
        if self.round != Some(round) {
            self.running.abort_all();
            *self = Scoring {
                round: Some(round),
                ..Scoring::default()
            };
        }
        for u in updates.iter().filter(|u| u.revealed) {
            if u16::try_from(u.uid).is_err() || !self.started.insert(u.uid) {
                continue;
            }
            let (scorer, spec, u, slots) =
                (scorer.clone(), spec.clone(), u.clone(), self.slots.clone());
            self.running.spawn(async move {
                let Ok(_slot) = slots.acquire_owned().await else {
                    return (u.uid, Outcome::Unverified("scoring stopped".into()));
                };
                (u.uid, scorer.score(&spec, &u).await)
            });
        }
    }

    /// Whether nothing is running.
    pub fn idle(&self) -> bool {
        self.running.is_empty()
    }

    /// Collects the scorings that finished, waiting at most `wait` for one.
    pub async fn collect(&mut self, wait: std::time::Duration) {
        if self.running.is_empty() {
            return;
        }
        if let Ok(Some(r)) = tokio::time::timeout(wait, self.running.join_next()).await {
            self.keep(r);
        }
        while let Some(r) = self.running.try_join_next() {
            self.keep(r);
        }
    }

    fn keep(&mut self, r: Result<(u32, Outcome), tokio::task::JoinError>) {
        match r {
            Ok((uid, o)) => {
                self.done.insert(uid, o);
            }
            Err(e) => tracing::warn!(error = %e, "an update's scoring task failed"),
        }
    }

    /// The outcomes of `round` so far (stopping what still runs), by uid.
    pub fn finish(&mut self, round: u64) -> BTreeMap<u32, Outcome> {
        if self.round != Some(round) {
            return BTreeMap::new();
        }
        self.running.abort_all();
        std::mem::take(&mut self.done)
    }
}
