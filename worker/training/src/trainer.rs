//! The trainer daemon (`deai-worker trainer start`). It must already be a trainer neuron of
//! its task (`deaid tx training register`). Each round, once the base is ready, it trains
//! the round's job on its shard from the base weights, puts the weights file and the
//! checkpoints into its served artifact store, commits `sha256(update_hash ‖ salt ‖
//! address)` in the commit phase (the salt recorded in the state file first) and reveals in
//! the reveal phase. A restart resumes from the state file and the chain's update record
//! without committing or revealing twice.
//!
//! `--dishonest-random-weights` exists FOR THE E2E TEST ONLY: it skips training, publishes
//! random weights of the model's shapes and reveals fabricated checkpoint hashes, so that a
//! test can show that validators score it 0, audit it, and the chain slashes it.

use std::sync::Arc;

use deai_proto::training::v1 as pb;
use deai_worker_daemon::StateFile;
use deai_worker_jobs::Digest;

use crate::chain::{registered, Chain};
use crate::engine::{random_weights, CancelFlag, Engine};
use crate::files::{raw, Files};
use crate::job;
use crate::rules::{new_salt, update_commit_hash, Phase, Timing};
use crate::state::{TrainerState, UpdateRecord};

#[derive(Clone, Debug)]
pub struct TrainerConfig {
    pub task_id: u64,
    /// FOR THE E2E TEST ONLY: publish random weights and fabricated checkpoints.
    pub dishonest_random_weights: bool,
}

pub struct Trainer<C: Chain> {
    pub(crate) chain: C,
    cfg: TrainerConfig,
    engine: Arc<dyn Engine>,
    files: Arc<Files>,
    file: StateFile,
    pub(crate) state: TrainerState,
    me: String,
    cancel: CancelFlag,
    /// Jailed (logged once).
    jailed: bool,
}

/// Checks that `me` is a trainer neuron of `task_id` and the task is active, with a clear
/// error otherwise.
pub async fn check_trainer<C: Chain>(
    chain: &C,
    task_id: u64,
    me: &str,
) -> anyhow::Result<pb::Neuron> {
    let (task, n) = registered(chain, task_id, me, pb::Role::Trainer).await?;
    anyhow::ensure!(
        task.state == pb::TaskState::Active as i32,
        "task {task_id} is not active"
    );
    Ok(n)
}

impl<C: Chain> Trainer<C> {
    /// `Err` when `state` is another task's.
    pub fn new(
        chain: C,
        cfg: TrainerConfig,
        engine: Arc<dyn Engine>,
        files: Arc<Files>,
        file: StateFile,
        mut state: TrainerState,
    ) -> anyhow::Result<Self> {
        crate::state::bind_task(&mut state, cfg.task_id, &file)?;
        let me = chain.address();
        Ok(Trainer {
            chain,
            cfg,
            engine,
            files,
            file,
            state,
            me,
            cancel: CancelFlag::default(),
            jailed: false,
        })
    }

    pub fn state(&self) -> &TrainerState {
        &self.state
    }

    pub fn cancel_flag(&self) -> CancelFlag {
        self.cancel.clone()
    }

    pub fn task_id(&self) -> u64 {
        self.cfg.task_id
    }

    pub fn address(&self) -> &str {
        &self.me
    }

    pub(crate) fn save(&mut self) {
        crate::state::save(&self.file, &mut self.state);
    }

    /// One look at the chain and what it asks for now: train the round's update, commit
    /// it, or reveal it. Idempotent; errors are for the caller to log (the next tick
    /// retries).
    pub async fn tick(&mut self) -> anyhow::Result<()> {
        let id = self.cfg.task_id;
        let height = self.chain.height().await?;
        let task = self.chain.task_of(id).await?;
        if task.state != pb::TaskState::Active as i32 {
            return Ok(());
        }
        let timing = Timing::of(&task)?;
        let r = task.round;
        self.give_up_older(r);
        let phase = timing.phase_for_tx(height);
        let Some(view) = self.chain.round(id, r).await? else {
            return Ok(());
        };
        if !view.round.base_ready {
            tracing::debug!(round = r, "waiting for the round's base");
            return Ok(());
        }
        let mine = self.my_update(&view).await?;
        match phase {
            Phase::CommitUpdates => {
                if !self.state.rounds.contains_key(&r) {
                    let neuron = self
                        .chain
                        .neuron(id, &self.me)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("no longer a neuron of task {id}"))?;
                    if neuron.jailed {
                        if !self.jailed {
                            tracing::error!(task = id, "this trainer is jailed (an audit proved it wrong): it takes no further part");
                            self.jailed = true;
                        }
                        return Ok(());
                    }
                    self.prepare(&task, &view.round, neuron.shard).await?;
                }
                // Training may have taken the whole phase.
                let now = self.chain.height().await?;
                if timing.phase_for_tx(now) == Phase::CommitUpdates {
                    self.commit(r, mine.as_ref()).await?;
                } else {
                    self.missed(r, "training ended after the commit phase");
                }
            }
            Phase::RevealUpdates => self.reveal(r, mine.as_ref()).await?,
            _ => {
                if let Some(rec) = self.state.rounds.get(&r) {
                    if rec.committed && !rec.revealed && rec.missed.is_none() {
                        self.missed(r, "the reveal phase passed");
                    }
                }
            }
        }
        Ok(())
    }

    /// Records of earlier rounds that never got revealed are given up.
    fn give_up_older(&mut self, current: u64) {
        let stale: Vec<u64> = self
            .state
            .rounds
            .iter()
            .filter(|(r, rec)| **r < current && !rec.revealed && rec.missed.is_none())
            .map(|(r, _)| *r)
            .collect();
        for r in stale {
            self.missed(r, "the round ended before its reveal");
        }
    }

    fn missed(&mut self, round: u64, why: &str) {
        if let Some(rec) = self.state.rounds.get_mut(&round) {
            if rec.missed.is_none() && !rec.revealed {
                tracing::warn!(round, reason = why, "round missed");
                rec.missed = Some(why.into());
                self.save();
            }
        }
    }

    /// This trainer's update record on chain in the round, if any.
    async fn my_update(
        &self,
        view: &crate::chain::RoundView,
    ) -> anyhow::Result<Option<pb::Update>> {
        let neuron = self.chain.neuron(self.cfg.task_id, &self.me).await?;
        Ok(neuron.and_then(|n| view.updates.iter().find(|u| u.uid == n.uid).cloned()))
    }

    /// Trains (or fabricates) the round's update, publishes it and records it with a fresh
    /// salt, before anything is sent.
    async fn prepare(
        &mut self,
        task: &pb::Task,
        round: &pb::Round,
        shard: u32,
    ) -> anyhow::Result<()> {
        let r = round.round;
        let rec = if self.cfg.dishonest_random_weights {
            self.fabricate(task, round)?
        } else {
            let job = job::resolve(&self.files, self.engine.as_ref(), task, round, shard).await?;
            tracing::info!(round = r, shard, spec = %job.spec.hash(), "training the round's update");
            let out = self.file.dir().join("work").join(format!("round-{r}"));
            let result = job::run(self.engine.clone(), &job, &out, &self.cancel).await?;
            for (i, c) in result.checkpoints.iter().enumerate() {
                let d = self
                    .files
                    .put_file(&out.join(deai_worker_engine::train::checkpoint_file(i)))?;
                anyhow::ensure!(
                    d == c.file_sha256,
                    "checkpoint {i} is not the file the result names"
                );
            }
            let weights = self
                .files
                .put_file(&out.join(deai_worker_engine::train::WEIGHTS_FILE))?;
            anyhow::ensure!(
                weights == result.weights_file_sha256,
                "the weights file is not the one the result names"
            );
            let _ = std::fs::remove_dir_all(&out);
            UpdateRecord {
                base_hash: hex::encode(&round.base_hash),
                update_hash: weights.to_hex(),
                uri: self.files.uri(&weights)?,
                checkpoint_hashes: result.checkpoints.iter().map(|c| c.hash.to_hex()).collect(),
                salt: hex::encode(new_salt()?),
                ..Default::default()
            }
        };
        tracing::info!(round = r, update = %rec.update_hash, uri = %rec.uri, dishonest = rec.dishonest, "update ready");
        self.state.rounds.insert(r, rec);
        self.save();
        Ok(())
    }

    /// FOR THE E2E TEST ONLY: random weights of the model's shapes and made-up checkpoints.
    fn fabricate(&self, task: &pb::Task, round: &pb::Round) -> anyhow::Result<UpdateRecord> {
        let spec = job::base_spec(task)?;
        let seed = u64::from_le_bytes(new_salt()?[..8].try_into().unwrap_or([7; 8]));
        let bytes = random_weights(&spec.model, seed)?;
        let d = self.files.put(&bytes)?;
        tracing::warn!(round = round.round, "DISHONEST (--dishonest-random-weights): publishing random weights and fabricated checkpoints");
        let fake =
            |i: u8| Digest::of(&[&new_salt().unwrap_or_default()[..], &[i]].concat()).to_hex();
        Ok(UpdateRecord {
            base_hash: hex::encode(&round.base_hash),
            update_hash: d.to_hex(),
            uri: self.files.uri(&d)?,
            checkpoint_hashes: (0..3).map(fake).collect(),
            salt: hex::encode(new_salt()?),
            dishonest: true,
            ..Default::default()
        })
    }

    fn commit_hash(&self, rec: &UpdateRecord) -> anyhow::Result<Vec<u8>> {
        update_commit_hash(&raw(&rec.update_hash)?, &raw(&rec.salt)?, &self.me)
    }

    async fn commit(&mut self, r: u64, onchain: Option<&pb::Update>) -> anyhow::Result<()> {
        let Some(rec) = self.state.rounds.get(&r).cloned() else {
            return Ok(());
        };
        if rec.committed || rec.missed.is_some() {
            return Ok(());
        }
        let hash = self.commit_hash(&rec)?;
        if onchain.is_some_and(|u| u.commit_hash == hash) {
            tracing::info!(round = r, "update commit already on chain");
            return self.set(r, |x| x.committed = true);
        }
        let msg = pb::MsgCommitUpdate {
            owner: self.me.clone(),
            task_id: self.cfg.task_id,
            round: r,
            commit_hash: hash,
        };
        let c = self.chain.send_msg(&msg).await?;
        tracing::info!(round = r, tx = %c.txhash, "update committed");
        self.set(r, |x| {
            x.committed = true;
            x.commit_tx = c.txhash.clone();
        })
    }

    async fn reveal(&mut self, r: u64, onchain: Option<&pb::Update>) -> anyhow::Result<()> {
        let Some(rec) = self.state.rounds.get(&r).cloned() else {
            return Ok(());
        };
        if rec.revealed || rec.missed.is_some() {
            return Ok(());
        }
        let hash = self.commit_hash(&rec)?;
        match onchain {
            Some(u) if u.revealed && u.update_hash == raw(&rec.update_hash)? => {
                tracing::info!(round = r, "update reveal already on chain");
                return self.set(r, |x| {
                    x.committed = true;
                    x.revealed = true
                });
            }
            Some(u) if u.commit_hash == hash => {}
            _ => {
                self.missed(r, "no commit of this update on chain");
                return Ok(());
            }
        }
        let msg = pb::MsgRevealUpdate {
            owner: self.me.clone(),
            task_id: self.cfg.task_id,
            round: r,
            update_hash: raw(&rec.update_hash)?,
            salt: raw(&rec.salt)?,
            uri: rec.uri.clone(),
            checkpoint_hashes: rec
                .checkpoint_hashes
                .iter()
                .map(|h| raw(h))
                .collect::<anyhow::Result<_>>()?,
        };
        let c = self.chain.send_msg(&msg).await?;
        tracing::info!(round = r, tx = %c.txhash, update = %rec.update_hash, "update revealed");
        self.set(r, |x| {
            x.committed = true;
            x.revealed = true;
            x.reveal_tx = c.txhash.clone();
        })
    }

    fn set(&mut self, r: u64, f: impl FnOnce(&mut UpdateRecord)) -> anyhow::Result<()> {
        if let Some(rec) = self.state.rounds.get_mut(&r) {
            f(rec);
        }
        self.save();
        Ok(())
    }
}
