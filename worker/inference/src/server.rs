//! The inference server daemon (`deai-worker inference-server start`): it serves the
//! models of its model directory that match their chain records, registers as a server of
//! each if needed, follows the chain for requests assigned to it (events, plus a periodic
//! reconcile of its requests), computes each output with deai-zk's quantized reference
//! inference and submits `MsgSubmitInference` before the deadline, earliest deadline first:
//! with a proof bound to the request in zk mode, the output alone in optimistic mode (the
//! chain takes the bond) and redundant mode. When one of its answers is disputed (a
//! challenge of an optimistic output, a redundant tie) it defends it: `MsgRespondChallenge`
//! with a proof when the model has a key, else `MsgAdjudicate` with the canonical quantized
//! weights. With `--watchdog` it also recomputes other servers' optimistic answers for the
//! models it holds and challenges wrong ones (`MsgChallenge`, then `MsgAdjudicate`). Every
//! failure on chain input is logged and the loop goes on; a restart resumes from the state
//! directory without submitting or challenging twice.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use deai_framework::Coin;
use deai_proto::inference::v1::{self as pb, RequestState, VerificationMode};
use deai_worker_daemon::{one_line, typed_events_in, StateFile, Watch};
use deai_zk::prover::{self, ProofOutput};
use prost::Name;
use tokio_util::sync::CancellationToken;

use crate::chain::Chain;
use crate::models::{model_dirs, LocalModel};
use crate::notices::{notices, Notice};
use crate::state::{
    AnswerMode, DefenseRecord, DefenseStage, RequestRecord, ServerState, Stage, WatchRecord,
    WatchStage,
};

mod answer;
mod defend;
mod registration;
mod watchdog;

/// How the server behaves (from `deai-worker inference-server start`'s flags).
#[derive(Clone, Debug)]
pub struct Config {
    pub model_dir: PathBuf,
    /// Stake of each registration; default the chain's `server_min_stake`.
    pub stake: Option<Coin>,
    /// How often its requests are re-read from the chain (missed events, retries).
    pub reconcile_every: Duration,
    /// Check other servers' optimistic answers for the models held, and challenge wrong ones.
    pub watchdog: bool,
}

/// Submissions of one request tried before it is given up.
pub const MAX_ATTEMPTS: u32 = 3;
/// Other servers' answers waiting to be checked by the watchdog, at most (more are dropped
/// and found again by the next reconcile).
pub const MAX_WATCH_QUEUE: usize = 1024;
/// Blocks before a dispute's deadline at which the watchdog adjudicates a keyed model's
/// dispute that the server has not answered (so the tx still lands in time).
pub const ADJUDICATE_MARGIN: u64 = 3;

/// The binding context of a request answered by `server`, as the inference module builds
/// it: `<chain-id>/inference/<request id>/<server bech32>`.
pub fn request_context(chain_id: &str, request_id: u64, server: &str) -> String {
    format!("{chain_id}/inference/{request_id}/{server}")
}

/// Proves the reference output of `input` on `m`, bound to `context`.
pub fn prove_request(m: &LocalModel, input: &[i64], context: &str) -> anyhow::Result<ProofOutput> {
    let zk =
        m.zk.as_ref()
            .ok_or_else(|| anyhow::anyhow!("model {} is held without keys", m.id))?;
    Ok(prover::prove(
        &zk.keys,
        &m.model,
        input,
        deai_zk::request_binding(context.as_bytes()),
    )?)
}

pub struct Server<C: Chain> {
    pub(crate) chain: C,
    cfg: Config,
    file: StateFile,
    pub(crate) state: ServerState,
    me: String,
    chain_id: String,
    /// The model directory's models, read once (`Err`: unreadable, never served).
    local: BTreeMap<u64, Result<Arc<LocalModel>, String>>,
    /// Models checked against their chain record: served, with that record.
    served: BTreeMap<u64, Arc<LocalModel>>,
    records: BTreeMap<u64, pb::Model>,
    /// Models refused for good (unreadable, or not what the chain registered).
    refused: BTreeMap<u64, String>,
    /// Models whose server registration is active (or was just sent).
    registered: BTreeSet<u64>,
    params: Option<pb::Params>,
    /// (deadline, request id), earliest deadline first.
    queue: BTreeSet<(u64, u64)>,
    attempts: BTreeMap<u64, u32>,
    /// Failed dispute txs (defence or watchdog) per request.
    dispute_attempts: BTreeMap<u64, u32>,
    /// Other servers' optimistic answers to check (watchdog), by request id.
    watch_queue: BTreeSet<u64>,
}

impl<C: Chain> Server<C> {
    pub fn new(chain: C, cfg: Config, file: StateFile, state: ServerState) -> Self {
        let me = chain.address();
        let chain_id = chain.chain_id();
        Server {
            chain,
            cfg,
            file,
            state,
            me,
            chain_id,
            local: BTreeMap::new(),
            served: BTreeMap::new(),
            records: BTreeMap::new(),
            refused: BTreeMap::new(),
            registered: BTreeSet::new(),
            params: None,
            queue: BTreeSet::new(),
            attempts: BTreeMap::new(),
            dispute_attempts: BTreeMap::new(),
            watch_queue: BTreeSet::new(),
        }
    }

    pub fn state(&self) -> &ServerState {
        &self.state
    }

    /// The ids of the models served (checked against the chain).
    pub fn served(&self) -> Vec<u64> {
        self.served.keys().copied().collect()
    }

    pub fn refused(&self) -> &BTreeMap<u64, String> {
        &self.refused
    }

    fn save(&mut self) {
        self.state.prune();
        self.file.save_or_log(&self.state, "inference server state");
    }

    fn enqueue(&mut self, id: u64) {
        if let Some(r) = self.state.requests.get(&id) {
            if !r.stage.finished() {
                self.queue.insert((r.deadline, id));
            }
        }
    }

    fn dequeue(&mut self, id: u64) {
        self.queue.retain(|&(_, x)| x != id);
    }

    /// Records a request assigned to this server (idempotent) and queues it.
    fn assigned(&mut self, id: u64, model_id: u64, deadline: u64, mode: i32) {
        if let std::collections::btree_map::Entry::Vacant(e) = self.state.requests.entry(id) {
            let mode = answer_mode(mode);
            tracing::info!(request = id, model = model_id, deadline, mode = ?mode, "request assigned");
            e.insert(RequestRecord {
                model_id,
                mode,
                deadline,
                stage: Stage::Assigned,
                output: Vec::new(),
                proof: String::new(),
                txhash: String::new(),
                error: None,
            });
            self.save();
        }
        self.enqueue(id);
    }

    /// Records the chain's state of a request that is no longer pending: its end
    /// (completed, expired, refuted), or, for one it answered, the dispute that opened.
    fn ended(&mut self, id: u64, state: RequestState) {
        if state == RequestState::Disputed || state == RequestState::ChallengeWindow {
            if let Some(rec) = self.state.requests.get_mut(&id) {
                if !rec.stage.finished() {
                    // Our answer is on chain (a lost commit): recorded, not sent again.
                    tracing::info!(request = id, "inference already on chain");
                    rec.stage = Stage::Submitted;
                    self.dequeue(id);
                    self.save();
                }
            }
            return;
        }
        self.dequeue(id);
        let Some(rec) = self.state.requests.get_mut(&id) else {
            return;
        };
        let stage = match state {
            RequestState::Completed => Stage::Completed,
            RequestState::Expired => Stage::Expired,
            RequestState::Refuted => Stage::Refuted,
            _ => return,
        };
        if rec.stage == stage {
            return;
        }
        match stage {
            Stage::Completed if matches!(rec.stage, Stage::Proved | Stage::Computed) => {
                tracing::info!(request = id, "inference already on chain")
            }
            Stage::Completed => tracing::info!(request = id, "request completed"),
            Stage::Refuted => tracing::warn!(request = id, "request refuted"),
            _ => tracing::warn!(
                request = id,
                deadline = rec.deadline,
                "request expired unanswered"
            ),
        }
        rec.stage = stage;
        self.save();
        self.dispute_ended(id);
    }

    /// A dispute of a request ended on chain: an open defence or watchdog challenge of it
    /// is recorded as settled.
    fn dispute_ended(&mut self, id: u64) {
        let mut changed = false;
        if let Some(d) = self.state.defenses.get_mut(&id) {
            if !d.stage.finished() {
                d.stage = DefenseStage::Settled;
                changed = true;
            }
        }
        if let Some(w) = self.state.watched.get_mut(&id) {
            if !w.stage.finished() {
                w.stage = WatchStage::Settled;
                changed = true;
            }
        }
        if changed {
            tracing::info!(request = id, "dispute settled");
            self.save();
        }
    }

    /// Acts on one chain event.
    pub async fn handle(&mut self, n: Notice) {
        match n {
            Notice::Requested(e) if e.servers.contains(&self.me) => {
                self.assigned(e.request_id, e.model_id, e.deadline, e.mode)
            }
            Notice::Completed(e) => self.ended(e.request_id, RequestState::Completed),
            Notice::Expired(e) => self.ended(e.request_id, RequestState::Expired),
            Notice::Refuted(e) => self.ended(e.request_id, RequestState::Refuted),
            Notice::ChallengeOpened(e) => {
                let ours = self
                    .state
                    .requests
                    .get(&e.request_id)
                    .is_some_and(|r| r.mode == AnswerMode::Optimistic);
                if ours {
                    self.disputed(e.request_id, e.response_deadline);
                }
            }
            Notice::Tie(e) if e.submitted_servers.contains(&self.me) => {
                self.disputed(e.request_id, e.dispute_deadline)
            }
            // Another servers' tie: the watchdog may settle it by re-execution.
            Notice::Tie(e)
                if self.cfg.watchdog
                    && !self.state.watched.contains_key(&e.request_id)
                    && !self.state.defenses.contains_key(&e.request_id) =>
            {
                self.watch(e.request_id)
            }
            // Optimistic answers carry the bond and no verified proof.
            Notice::Submitted(e)
                if self.cfg.watchdog
                    && e.bond.is_some()
                    && !e.proof_verified
                    && e.server != self.me
                    && !self.state.watched.contains_key(&e.request_id) =>
            {
                self.watch(e.request_id)
            }
            _ => {}
        }
    }

    /// Queues another server's answer for the watchdog (bounded).
    fn watch(&mut self, id: u64) {
        if self.watch_queue.len() < MAX_WATCH_QUEUE || self.watch_queue.contains(&id) {
            self.watch_queue.insert(id);
        } else {
            tracing::warn!(request = id, "watch queue full; left to the next reconcile");
        }
    }

    /// Records a dispute of one of its own answers (idempotent).
    fn disputed(&mut self, id: u64, dispute_deadline: u64) {
        let Some(model_id) = self.state.requests.get(&id).map(|r| r.model_id) else {
            return;
        };
        if let std::collections::btree_map::Entry::Vacant(e) = self.state.defenses.entry(id) {
            tracing::warn!(request = id, dispute_deadline, "answer disputed");
            e.insert(DefenseRecord {
                model_id,
                dispute_deadline,
                stage: DefenseStage::Open,
                proof: String::new(),
                txhash: String::new(),
                error: None,
            });
            self.save();
        }
    }

    /// Re-reads what concerns the server from the chain: its models and registrations, the
    /// requests assigned to it (and their disputes); with `--watchdog`, every request in its
    /// challenge window; and queues the state's unfinished requests.
    pub async fn reconcile(&mut self) {
        match self.chain.params().await {
            Ok(p) => self.params = Some(p),
            Err(e) => tracing::warn!(error = %one_line(&e), "reading params"),
        }
        if let Err(e) = self.load_models().await {
            tracing::error!(error = %one_line(&e), "reading the model directory");
        }
        self.ensure_registered().await;
        match self.chain.requests_of_server(&self.me).await {
            Ok(rs) => {
                for r in rs {
                    if !r.servers.contains(&self.me) {
                        continue;
                    }
                    match RequestState::try_from(r.state) {
                        Ok(RequestState::Pending) => {
                            self.assigned(r.id, r.model_id, r.deadline, r.mode)
                        }
                        Ok(s @ (RequestState::Disputed | RequestState::ChallengeWindow))
                            if !self.state.requests.contains_key(&r.id) =>
                        {
                            // Answered by this server but unknown to its state (a lost
                            // state directory): adopted, so that a dispute is defended.
                            self.assigned(r.id, r.model_id, r.deadline, r.mode);
                            self.ended(r.id, s);
                            if s == RequestState::Disputed {
                                self.disputed(r.id, r.dispute_deadline);
                            }
                        }
                        Ok(RequestState::Disputed) => {
                            self.ended(r.id, RequestState::Disputed);
                            let answered = self
                                .state
                                .requests
                                .get(&r.id)
                                .is_some_and(|x| x.stage == Stage::Submitted);
                            if answered {
                                self.disputed(r.id, r.dispute_deadline);
                            }
                        }
                        Ok(s @ RequestState::ChallengeWindow) => self.ended(r.id, s),
                        Ok(
                            s @ (RequestState::Completed
                            | RequestState::Expired
                            | RequestState::Refuted),
                        ) => self.ended(r.id, s),
                        _ => {}
                    }
                }
            }
            Err(e) => tracing::warn!(error = %one_line(&e), "reading the server's requests"),
        }
        if self.cfg.watchdog {
            match self.chain.recent_requests().await {
                Ok(rs) => {
                    for r in rs {
                        let optimistic = r.mode == VerificationMode::Optimistic as i32
                            && r.state == RequestState::ChallengeWindow as i32;
                        let tie = r.mode == VerificationMode::Redundant as i32
                            && r.state == RequestState::Disputed as i32;
                        if (optimistic || tie)
                            && self.served.contains_key(&r.model_id)
                            && !r.servers.contains(&self.me)
                            && !self.state.watched.contains_key(&r.id)
                        {
                            self.watch(r.id);
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %one_line(&e), "reading recent requests"),
            }
        }
        for id in self.state.unfinished() {
            self.enqueue(id);
        }
    }

    fn fail(&mut self, id: u64, error: String) {
        self.dequeue(id);
        if let Some(rec) = self.state.requests.get_mut(&id) {
            tracing::error!(request = id, error = %error, "request not answered");
            rec.stage = Stage::Failed;
            rec.error = Some(error);
            self.save();
        }
    }

    /// Counts a failed submission; whether it may be tried again.
    fn may_retry(&mut self, id: u64) -> bool {
        let n = self.attempts.entry(id).or_insert(0);
        *n += 1;
        *n < MAX_ATTEMPTS
    }

    /// The queued request with the earliest deadline, taken off the queue.
    pub fn next_queued(&mut self) -> Option<u64> {
        self.queue.pop_first().map(|(_, id)| id)
    }

    /// Does everything due: defends its disputed answers, answers every queued request
    /// (earliest deadline first), and runs the watchdog (tests and one-shot use).
    pub async fn drain(&mut self) {
        self.defend_all().await;
        while let Some(id) = self.next_queued() {
            self.serve(id).await;
        }
        self.watchdog().await;
    }

    /// The daemon's loop, until `shutdown` is cancelled: reads and checks its models,
    /// registers, catches up with the chain, then follows its events.
    pub async fn run(mut self, node_url: &str, shutdown: CancellationToken) -> anyhow::Result<()> {
        let mut backoff = Duration::from_secs(1);
        loop {
            self.load_models().await?;
            let dirs = model_dirs(&self.cfg.model_dir)?;
            if dirs.is_empty() {
                anyhow::bail!(
                    "no model in {} (expected <model id>/model.safetensors and <model id>/keys/)",
                    self.cfg.model_dir.display()
                );
            }
            if dirs.keys().all(|id| self.refused.contains_key(id)) {
                anyhow::bail!(
                    "no model in {} can be served: {}",
                    self.cfg.model_dir.display(),
                    self.refused
                        .iter()
                        .map(|(id, e)| format!("model {id}: {e}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                );
            }
            if !self.served.is_empty() {
                break;
            }
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(30));
        }
        let mut watch = Watch::new(node_url, shutdown.clone(), notices);
        self.reconcile().await;
        let mut reconcile = tokio::time::interval(self.cfg.reconcile_every);
        reconcile.tick().await;
        tracing::info!(server = %self.me, models = ?self.served(), "inference server running");
        loop {
            if !shutdown.is_cancelled() {
                self.defend_all().await;
            }
            while !shutdown.is_cancelled() {
                let Some(id) = self.next_queued() else { break };
                self.serve(id).await;
            }
            if !shutdown.is_cancelled() {
                self.watchdog().await;
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                ns = watch.next() => {
                    for n in ns {
                        self.handle(n).await;
                    }
                }
                _ = reconcile.tick() => self.reconcile().await,
            }
        }
        tracing::info!("shutting down");
        watch.shutdown().await;
        self.save();
        tracing::info!("inference server stopped");
        Ok(())
    }
}

fn answer_mode(mode: i32) -> AnswerMode {
    match VerificationMode::try_from(mode) {
        Ok(VerificationMode::Optimistic) => AnswerMode::Optimistic,
        Ok(VerificationMode::Redundant) => AnswerMode::Redundant,
        _ => AnswerMode::Zk,
    }
}

pub(crate) fn any<M: prost::Message + Name>(m: &M) -> cosmos_sdk_proto::Any {
    cosmos_sdk_proto::Any {
        type_url: M::type_url(),
        value: m.encode_to_vec(),
    }
}
