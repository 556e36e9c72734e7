//! The validator daemon (`deai-worker validator start`). It must already be a validator
//! neuron of its task. Each round, as soon as update reveals are visible, it fetches the
//! revealed updates by hash, a few at a time ([`crate::scoring`]; a URI that does not name
//! the revealed hash, a download that is not it, weights that do not load, or an update
//! not scored before the weights commit must be sent score 0), scores each on its held-out
//! file (`score_u16` of the accuracy), and commit-reveals its weight row (the salt recorded
//! before the commit is sent; version 1). It opens an update audit of every update whose
//! verified file scored 0 (never of one it could not fetch or evaluate: a rejected audit
//! pays its bond to the accused) and of others at `--audit-rate`, picked with a secret seed
//! of its state file; as the drawn aggregator it submits the FedAvg
//! of the round's aggregate inputs ([`crate::aggregate`]); it recomputes the others'
//! aggregates and audits a wrong one; as a referee it answers its audits by replay
//! ([`crate::referee`]).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use deai_client::to_any;
use deai_proto::training::v1 as pb;
use deai_worker_daemon::{one_line, StateFile};
use deai_worker_jobs::{JobSpec, TrainResult};

use crate::chain::{registered, Chain, RoundView};
use crate::engine::{CancelFlag, Engine};
use crate::files::{raw, Files};
use crate::job;
use crate::rules::{audit_pick, new_salt, weights_commit_hash, Phase, Timing};
use crate::scoring::{Outcome, Scorer, Scoring};
use crate::state::{audit_key, OpenedAudit, ValidatorState, WeightsRecord};

/// The version of the weight rows this validator sets.
pub const WEIGHTS_VERSION: u64 = 1;

#[derive(Clone, Debug)]
pub struct ValidatorConfig {
    pub task_id: u64,
    /// The held-out data file, read with the base spec's dataset format.
    pub eval_data: PathBuf,
    /// Probability (0..=1) of auditing an update that scored above 0.
    pub audit_rate: f64,
}

pub struct Validator<C: Chain> {
    pub(crate) chain: C,
    pub(crate) cfg: ValidatorConfig,
    pub(crate) engine: Arc<dyn Engine>,
    pub(crate) files: Arc<Files>,
    file: StateFile,
    pub(crate) state: ValidatorState,
    pub(crate) me: String,
    pub(crate) cancel: CancelFlag,
    /// Replays of round jobs, by (round, shard): a referee answers several audits of one.
    pub(crate) replays: BTreeMap<(u64, u32), TrainResult>,
    /// Attempts in this run at what may keep failing (rechecks, audits to open, answers),
    /// by what they are: each is tried at most [`MAX_ATTEMPTS`] times per run.
    pub(crate) attempts: BTreeMap<String, u32>,
    /// The current round's updates being scored.
    scoring: Scoring,
}

/// How long the scoring wait sleeps between looks at the chain's height.
const WAIT_SLICE: Duration = Duration::from_millis(500);

/// Attempts per run at one recheck, audit or answer that keeps failing.
pub const MAX_ATTEMPTS: u32 = 5;

/// Checks that `me` is a validator neuron of `task_id`, with a clear error otherwise.
pub async fn check_validator<C: Chain>(
    chain: &C,
    task_id: u64,
    me: &str,
) -> anyhow::Result<pb::Neuron> {
    Ok(registered(chain, task_id, me, pb::Role::Validator).await?.1)
}

impl<C: Chain> Validator<C> {
    /// `Err` when `state` is another task's.
    pub fn new(
        chain: C,
        cfg: ValidatorConfig,
        engine: Arc<dyn Engine>,
        files: Arc<Files>,
        file: StateFile,
        mut state: ValidatorState,
    ) -> anyhow::Result<Self> {
        crate::state::bind_task(&mut state, cfg.task_id, &file)?;
        // The audit seed is saved before it is ever used: a restart picks the same updates.
        if state.ensure_audit_seed()? {
            file.save(&state)?;
        }
        let me = chain.address();
        Ok(Validator {
            chain,
            cfg,
            engine,
            files,
            file,
            state,
            me,
            cancel: CancelFlag::default(),
            replays: BTreeMap::new(),
            attempts: BTreeMap::new(),
            scoring: Scoring::default(),
        })
    }

    pub fn state(&self) -> &ValidatorState {
        &self.state
    }

    pub fn cancel_flag(&self) -> CancelFlag {
        self.cancel.clone()
    }

    pub fn address(&self) -> &str {
        &self.me
    }

    /// Counts an attempt at `what`; false once it had [`MAX_ATTEMPTS`] in this run.
    pub(crate) fn attempt(&mut self, what: String) -> bool {
        let n = self.attempts.entry(what.clone()).or_insert(0);
        if *n >= MAX_ATTEMPTS {
            return false;
        }
        *n += 1;
        if *n == MAX_ATTEMPTS {
            tracing::warn!(what = %what, "last attempt in this run");
        }
        true
    }

    /// Scratch space for replays.
    pub(crate) fn work_dir(&self) -> PathBuf {
        self.file.dir().join("work")
    }

    pub(crate) fn save(&mut self) {
        crate::state::save(&self.file, &mut self.state);
    }

    /// One look at the chain: the current round's weights and audits first (the weights
    /// commit has a window of a few blocks), then referee duties and the aggregate (as
    /// aggregator, or rechecking another's; its window opens the next round, far from the
    /// weights phases). The referee's and aggregate's errors are logged and the other parts
    /// still run; the round's error is returned; the next tick retries.
    pub async fn tick(&mut self) -> anyhow::Result<()> {
        let id = self.cfg.task_id;
        let height = self.chain.height().await?;
        let task = self.chain.task_of(id).await?;
        let current = self.current_round(&task, height).await;
        if let Err(e) = self.referee(&task).await {
            tracing::warn!(error = %one_line(&e), "refereeing");
        }
        // The previous round's aggregate; and the current round's once it closed (the last
        // round of a finished task closes without a next one).
        for r in task.round.saturating_sub(1)..=task.round {
            if let Err(e) = self.aggregate(&task, r, height).await {
                tracing::warn!(round = r, error = %one_line(&e), "aggregating");
            }
        }
        current
    }

    /// The current round's scoring, weights and update audits (and the previous round's
    /// audits still to send).
    async fn current_round(&mut self, task: &pb::Task, height: u64) -> anyhow::Result<()> {
        if task.state != pb::TaskState::Active as i32 {
            return Ok(());
        }
        let timing = Timing::of(task)?;
        let r = task.round;
        let phase = timing.phase_for_tx(height);
        let Some(view) = self.chain.round(task.id, r).await? else {
            return Ok(());
        };
        match phase {
            Phase::RevealUpdates => self.start_scoring(task, &view)?,
            Phase::CommitWeights => {
                if !self.state.weights.contains_key(&r) {
                    self.score(task, &view, &timing).await?;
                }
                self.commit_weights(r).await?;
                self.open_update_audits(task.id, r).await;
            }
            Phase::RevealWeights => {
                self.reveal_weights(r).await?;
                self.open_update_audits(task.id, r).await;
            }
            _ => {}
        }
        // The previous round's updates may still be audited (until the end of this round):
        // audits recorded but not sent before a restart go out now.
        if r > 0 {
            self.open_update_audits(task.id, r - 1).await;
        }
        Ok(())
    }

    /// The round job's spec for a trainer's shard (the model the updates are weights of).
    pub(crate) fn model_spec(task: &pb::Task, round: &pb::Round) -> anyhow::Result<JobSpec> {
        let base = job::base_spec(task)?;
        let count = task.spec.as_ref().map(|s| s.shard_count).unwrap_or(1);
        deai_worker_jobs::round_job(
            &base,
            job::base_digest(round)?,
            0,
            count.max(1),
            round.round,
        )
        .map_err(|e| anyhow::anyhow!("round {} job: {e}", round.round))
    }

    fn scorer(&self) -> Scorer {
        Scorer {
            files: self.files.clone(),
            engine: self.engine.clone(),
            eval_data: self.cfg.eval_data.clone(),
        }
    }

    /// The score of one revealed update: 0 unless its file is fetched by its hash from its
    /// URI and loads as a model of the task.
    #[cfg(test)]
    pub(crate) async fn score_update(&self, spec: &JobSpec, u: &pb::Update) -> Outcome {
        self.scorer().score(spec, u).await
    }

    /// Starts scoring the round's revealed updates not started yet (in the background).
    fn start_scoring(&mut self, task: &pb::Task, view: &RoundView) -> anyhow::Result<()> {
        if self.state.weights.contains_key(&view.round.round) {
            return Ok(());
        }
        let spec = Self::model_spec(task, &view.round)?;
        let scorer = self.scorer();
        self.scoring
            .start(&scorer, view.round.round, &spec, &view.updates);
        Ok(())
    }

    /// Scores every revealed update of the round and records the row with a fresh salt:
    /// waits for the scorings still running while a commit sent after the next look at the
    /// chain still lands in the CommitWeights phase (the chain's height at least two blocks
    /// before the phase's end); what is not scored by then scores 0 and is not audited.
    async fn score(
        &mut self,
        task: &pb::Task,
        view: &RoundView,
        timing: &Timing,
    ) -> anyhow::Result<()> {
        let r = view.round.round;
        self.start_scoring(task, view)?;
        let (_, closes) = timing.window(Phase::CommitWeights);
        while !self.scoring.idle() && !self.cancel.is_cancelled() {
            match self.chain.height().await {
                Ok(h) if h.saturating_add(2) < closes => {}
                Ok(h) => {
                    tracing::warn!(
                        round = r,
                        height = h,
                        "the weights commit window is closing: committing what was scored"
                    );
                    break;
                }
                Err(e) => {
                    tracing::warn!(round = r, error = %one_line(&e), "no height: committing what was scored");
                    break;
                }
            }
            self.scoring.collect(WAIT_SLICE).await;
        }
        self.scoring.collect(Duration::ZERO).await;
        let outcomes = self.scoring.finish(r);
        let mut revealed: Vec<&pb::Update> = view.updates.iter().filter(|u| u.revealed).collect();
        revealed.sort_by_key(|u| u.uid);
        let (mut uids, mut values, mut suspects) = (Vec::new(), Vec::new(), Vec::new());
        for u in revealed {
            let Ok(uid) = u16::try_from(u.uid) else {
                continue;
            };
            let o = outcomes.get(&u.uid);
            if o.is_none() {
                tracing::warn!(
                    round = r,
                    uid,
                    "update not scored in time: scores 0, not audited"
                );
            }
            if o.is_some_and(Outcome::suspect) {
                suspects.push(uid);
            }
            uids.push(uid);
            values.push(o.map(Outcome::score).unwrap_or(0));
        }
        let missed = if uids.is_empty() {
            tracing::info!(round = r, "no revealed updates: no weights this round");
            Some("no revealed updates".to_string())
        } else {
            tracing::info!(round = r, ?uids, ?values, ?suspects, "weights ready");
            None
        };
        self.state.weights.insert(
            r,
            WeightsRecord {
                uids,
                values,
                suspects,
                salt: hex::encode(new_salt()?),
                missed,
                ..Default::default()
            },
        );
        self.save();
        Ok(())
    }

    async fn my_weight_set(&self, r: u64) -> anyhow::Result<Option<pb::WeightSet>> {
        let Some(n) = self.chain.neuron(self.cfg.task_id, &self.me).await? else {
            return Ok(None);
        };
        let sets = self.chain.weights(self.cfg.task_id, r).await?;
        Ok(sets.into_iter().find(|w| w.uid == n.uid))
    }

    fn weights_hash(&self, r: u64, rec: &WeightsRecord) -> anyhow::Result<Vec<u8>> {
        weights_commit_hash(
            &self.me,
            self.cfg.task_id,
            r,
            &rec.uids,
            &rec.values,
            &raw(&rec.salt)?,
            WEIGHTS_VERSION,
        )
    }

    async fn commit_weights(&mut self, r: u64) -> anyhow::Result<()> {
        let Some(rec) = self.state.weights.get(&r).cloned() else {
            return Ok(());
        };
        if rec.committed || rec.missed.is_some() {
            return Ok(());
        }
        let hash = self.weights_hash(r, &rec)?;
        if self
            .my_weight_set(r)
            .await?
            .is_some_and(|w| w.commit_hash == hash)
        {
            tracing::info!(round = r, "weights commit already on chain");
            return self.set_weights(r, |w| w.committed = true);
        }
        let msg = pb::MsgCommitWeights {
            owner: self.me.clone(),
            task_id: self.cfg.task_id,
            round: r,
            commit_hash: hash,
        };
        let c = self.chain.send_msg(&msg).await?;
        tracing::info!(round = r, tx = %c.txhash, "weights committed");
        self.set_weights(r, |w| w.committed = true)
    }

    async fn reveal_weights(&mut self, r: u64) -> anyhow::Result<()> {
        let Some(rec) = self.state.weights.get(&r).cloned() else {
            return Ok(());
        };
        if rec.revealed || rec.missed.is_some() {
            return Ok(());
        }
        let hash = self.weights_hash(r, &rec)?;
        match self.my_weight_set(r).await? {
            Some(w) if w.revealed => {
                tracing::info!(round = r, "weights reveal already on chain");
                return self.set_weights(r, |w| {
                    w.committed = true;
                    w.revealed = true
                });
            }
            Some(w) if w.commit_hash == hash => {}
            _ => {
                tracing::warn!(
                    round = r,
                    "no commit of these weights on chain: not revealed"
                );
                return self.set_weights(r, |w| w.missed = Some("not committed".into()));
            }
        }
        let msg = pb::MsgRevealWeights {
            owner: self.me.clone(),
            task_id: self.cfg.task_id,
            round: r,
            uids: rec.uids.iter().map(|u| u32::from(*u)).collect(),
            values: rec.values.iter().map(|v| u32::from(*v)).collect(),
            salt: raw(&rec.salt)?,
            version: WEIGHTS_VERSION,
        };
        let c = self.chain.send_msg(&msg).await?;
        tracing::info!(round = r, tx = %c.txhash, "weights revealed");
        self.set_weights(r, |w| {
            w.committed = true;
            w.revealed = true
        })
    }

    fn set_weights(&mut self, r: u64, f: impl FnOnce(&mut WeightsRecord)) -> anyhow::Result<()> {
        if let Some(rec) = self.state.weights.get_mut(&r) {
            f(rec);
        }
        self.save();
        Ok(())
    }

    /// Opens an update audit of each update whose verified file scored 0 (the row's
    /// suspects), and of the others that scored this validator picks at `--audit-rate`;
    /// once each (recorded before it is sent). An update that scored 0 without a verified
    /// file is not audited.
    async fn open_update_audits(&mut self, task_id: u64, r: u64) {
        let Some(rec) = self.state.weights.get(&r).cloned() else {
            return;
        };
        let seed = match self.state.audit_seed_bytes() {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %one_line(&e), "no audit picks");
                return;
            }
        };
        for (uid, score) in rec.uids.iter().zip(&rec.values) {
            let suspect = rec.suspects.contains(uid);
            let uid = u32::from(*uid);
            let reason = if suspect {
                "its verified weights scored 0"
            } else if *score > 0
                && audit_pick(&seed, &self.me, task_id, r, uid, self.cfg.audit_rate)
            {
                "drawn at the audit rate"
            } else {
                continue;
            };
            if let Err(e) = self
                .open_audit(r, pb::AuditTarget::Update, uid, reason)
                .await
            {
                tracing::warn!(round = r, uid, error = %one_line(&e), "opening an audit");
            }
        }
    }

    /// Opens one audit unless it was opened already (by this validator).
    pub(crate) async fn open_audit(
        &mut self,
        r: u64,
        target: pb::AuditTarget,
        uid: u32,
        reason: &str,
    ) -> anyhow::Result<()> {
        let aggregate = target == pb::AuditTarget::Aggregate;
        let key = audit_key(r, aggregate, uid);
        if self.state.opened.get(&key).is_some_and(|a| a.sent) {
            return Ok(());
        }
        // Another audit of the same claim decides it: pending, wait for it; upheld (already
        // proven wrong) or rejected (its referee's replay agreed with it), leave it; only an
        // abandoned one (or none) leaves it to this validator.
        let audits = self.chain.audits(self.cfg.task_id, "").await?;
        let same =
            |a: &&pb::Audit| a.round == r && a.target == target as i32 && a.accused_uid == uid;
        if audits.iter().filter(same).any(|a| a.auditor == self.me) {
            // Ours is on chain (a commit whose answer was lost).
            return self.mark_opened(&key, reason, "");
        }
        if audits
            .iter()
            .filter(same)
            .any(|a| a.state == pb::AuditState::Pending as i32)
        {
            return Ok(());
        }
        if let Some(a) = audits.iter().filter(same).find(|a| {
            a.state == pb::AuditState::Upheld as i32 || a.state == pb::AuditState::Rejected as i32
        }) {
            tracing::info!(
                round = r,
                uid,
                audit = a.id,
                state = a.state,
                "already audited and settled: not audited again"
            );
            return self.mark_opened(&key, "settled by another audit", "");
        }
        if !self.attempt(format!("open {key}")) {
            return Ok(());
        }
        if !self.state.opened.contains_key(&key) {
            self.state.opened.insert(
                key.clone(),
                OpenedAudit {
                    reason: reason.into(),
                    ..Default::default()
                },
            );
            self.save();
        }
        let msg = pb::MsgOpenAudit {
            auditor: self.me.clone(),
            task_id: self.cfg.task_id,
            round: r,
            target: target as i32,
            accused_uid: uid,
        };
        let c = self.chain.send(vec![to_any(&msg)]).await?;
        if !c.ok() {
            // Refused for good (the update is already judged, the window passed, ...).
            tracing::warn!(round = r, uid, code = c.code, log = %c.raw_log, "audit refused");
        } else {
            tracing::info!(round = r, uid, target = ?target, reason, tx = %c.txhash, "audit opened");
        }
        self.mark_opened(&key, reason, &c.txhash)
    }

    /// Records that audit `key` needs nothing more from this validator.
    fn mark_opened(&mut self, key: &str, reason: &str, tx: &str) -> anyhow::Result<()> {
        let a = self
            .state
            .opened
            .entry(key.to_string())
            .or_insert_with(|| OpenedAudit {
                reason: reason.into(),
                ..Default::default()
            });
        a.sent = true;
        a.tx = tx.to_string();
        self.save();
        Ok(())
    }
}
