//! The inference server daemon (`deai-worker inference-server start`): it serves the zk
//! models of its model directory that match their chain records, registers as a server of
//! each if needed, follows the chain for requests assigned to it (events, plus a periodic
//! reconcile of its requests), computes each output with deai-zk's quantized reference
//! inference, proves it bound to the request, and submits `MsgSubmitInference` before the
//! deadline, earliest deadline first. Every failure on chain input is logged and the loop
//! goes on; a restart resumes from the state directory without submitting twice.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use deai_framework::Coin;
use deai_proto::inference::v1::{
    self as pb, RequestState, ServerState as PbServerState, VerificationMode,
};
use deai_worker_daemon::{one_line, StateFile, Watch};
use deai_zk::prover::{self, ProofOutput};
use prost::Name;
use tokio_util::sync::CancellationToken;

use crate::chain::Chain;
use crate::models::{model_dirs, LocalModel};
use crate::notices::{notices, Notice};
use crate::state::{RequestRecord, ServerState, Stage};

/// How the server behaves (from `deai-worker inference-server start`'s flags).
#[derive(Clone, Debug)]
pub struct Config {
    pub model_dir: PathBuf,
    /// Stake of each registration; default the chain's `server_min_stake`.
    pub stake: Option<Coin>,
    /// How often its requests are re-read from the chain (missed events, retries).
    pub reconcile_every: Duration,
}

/// Submissions of one request tried before it is given up.
pub const MAX_ATTEMPTS: u32 = 3;

/// The binding context of a request answered by `server`, as the inference module builds
/// it: `<chain-id>/inference/<request id>/<server bech32>`.
pub fn request_context(chain_id: &str, request_id: u64, server: &str) -> String {
    format!("{chain_id}/inference/{request_id}/{server}")
}

/// Proves the reference output of `input` on `m`, bound to `context`.
pub fn prove_request(m: &LocalModel, input: &[i64], context: &str) -> anyhow::Result<ProofOutput> {
    Ok(prover::prove(
        &m.keys,
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
    /// Models checked against their chain record: served.
    served: BTreeMap<u64, Arc<LocalModel>>,
    /// Models refused for good (unreadable, or not what the chain registered).
    refused: BTreeMap<u64, String>,
    /// Models whose server registration is active (or was just sent).
    registered: BTreeSet<u64>,
    params: Option<pb::Params>,
    /// (deadline, request id), earliest deadline first.
    queue: BTreeSet<(u64, u64)>,
    attempts: BTreeMap<u64, u32>,
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
            refused: BTreeMap::new(),
            registered: BTreeSet::new(),
            params: None,
            queue: BTreeSet::new(),
            attempts: BTreeMap::new(),
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
        if let Err(e) = self.file.save(&self.state) {
            tracing::error!(error = %one_line(&e), "could not write the inference server state");
        }
    }

    /// Reads the model directory (once per model) and checks every model not yet served
    /// against its chain record. A model the chain does not know yet, or that could not be
    /// read from the chain, is tried again at the next reconcile. `Err` only when the
    /// directory itself cannot be read.
    pub async fn load_models(&mut self) -> anyhow::Result<()> {
        let dirs = model_dirs(&self.cfg.model_dir)?;
        for (id, dir) in dirs {
            if self.served.contains_key(&id) || self.refused.contains_key(&id) {
                continue;
            }
            let local = self.local.entry(id).or_insert_with(|| {
                tracing::info!(model = id, dir = %dir.display(), "reading model");
                LocalModel::read(id, &dir)
                    .map(Arc::new)
                    .map_err(|e| one_line(&e))
            });
            let local = match local {
                Ok(m) => m.clone(),
                Err(e) => {
                    tracing::error!(model = id, error = %e, "model refused");
                    self.refused.insert(id, e.clone());
                    continue;
                }
            };
            match self.chain.model(id).await {
                Ok(Some(m)) => match local.check(&m) {
                    Ok(()) => {
                        tracing::info!(model = id, name = %m.name, "model served");
                        self.served.insert(id, local);
                    }
                    Err(e) => {
                        let e = one_line(&e);
                        tracing::error!(model = id, error = %e, "model refused");
                        self.refused.insert(id, e);
                    }
                },
                Ok(None) => {
                    tracing::warn!(
                        model = id,
                        "model not registered on chain (yet); trying again later"
                    )
                }
                Err(e) => {
                    tracing::warn!(model = id, error = %one_line(&e), "reading model from the chain; trying again later")
                }
            }
        }
        Ok(())
    }

    async fn params(&mut self) -> anyhow::Result<pb::Params> {
        if let Some(p) = &self.params {
            return Ok(p.clone());
        }
        let p = self.chain.params().await?;
        self.params = Some(p.clone());
        Ok(p)
    }

    /// Registers as a server of every served model it is not a server of yet (one
    /// `MsgRegisterServer` each). A failure is logged and retried at the next reconcile.
    pub async fn ensure_registered(&mut self) {
        let ids: Vec<u64> = self
            .served
            .keys()
            .filter(|id| !self.registered.contains(id))
            .copied()
            .collect();
        for id in ids {
            match self.chain.server(id, &self.me).await {
                Ok(Some(s)) if s.state == PbServerState::Active as i32 => {
                    tracing::info!(model = id, server = %self.me, "server already registered");
                    self.registered.insert(id);
                    continue;
                }
                Ok(Some(s)) => {
                    tracing::warn!(model = id, unbonding_end = s.unbonding_end, "server is unbonding: it gets no new requests until it is removed and registered again");
                    continue;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(model = id, error = %one_line(&e), "reading the server registration");
                    continue;
                }
            }
            let stake = match &self.cfg.stake {
                Some(c) => c.to_proto(),
                None => match self.params().await {
                    Ok(p) => match p.server_min_stake {
                        Some(c) => c,
                        None => {
                            tracing::warn!("the chain has no server_min_stake; pass --stake");
                            continue;
                        }
                    },
                    Err(e) => {
                        tracing::warn!(error = %one_line(&e), "reading params");
                        continue;
                    }
                },
            };
            let msg = pb::MsgRegisterServer {
                server: self.me.clone(),
                model_id: id,
                stake: Some(stake.clone()),
            };
            match self.chain.send(vec![any(&msg)]).await {
                Ok(c) if c.ok() => {
                    tracing::info!(model = id, stake = %format!("{}{}", stake.amount, stake.denom), tx = %c.txhash, "server registered");
                    self.registered.insert(id);
                }
                Ok(c) => {
                    tracing::error!(model = id, code = c.code, log = %c.raw_log, "server registration refused; trying again later")
                }
                Err(e) => {
                    tracing::warn!(model = id, error = %one_line(&e), "registering the server; trying again later")
                }
            }
        }
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
    fn assigned(&mut self, id: u64, model_id: u64, deadline: u64) {
        if let std::collections::btree_map::Entry::Vacant(e) = self.state.requests.entry(id) {
            tracing::info!(request = id, model = model_id, deadline, "request assigned");
            e.insert(RequestRecord {
                model_id,
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

    /// Records the chain's final state of a request that is no longer pending.
    fn ended(&mut self, id: u64, state: RequestState) {
        self.dequeue(id);
        let Some(rec) = self.state.requests.get_mut(&id) else {
            return;
        };
        let stage = match state {
            RequestState::Completed => Stage::Completed,
            RequestState::Expired => Stage::Expired,
            _ => return,
        };
        if rec.stage == stage {
            return;
        }
        match stage {
            Stage::Completed if rec.stage == Stage::Proved => {
                tracing::info!(request = id, "inference already on chain")
            }
            Stage::Completed => tracing::info!(request = id, "request completed"),
            _ => tracing::warn!(
                request = id,
                deadline = rec.deadline,
                "request expired unanswered"
            ),
        }
        rec.stage = stage;
        self.save();
    }

    /// Acts on one chain event.
    pub async fn handle(&mut self, n: Notice) {
        match n {
            Notice::Requested(e) if e.servers.contains(&self.me) => {
                self.assigned(e.request_id, e.model_id, e.deadline)
            }
            Notice::Completed(e) => self.ended(e.request_id, RequestState::Completed),
            Notice::Expired(e) => self.ended(e.request_id, RequestState::Expired),
            _ => {}
        }
    }

    /// Re-reads what concerns the server from the chain: its models and registrations, the
    /// requests assigned to it; and queues the state's unfinished requests.
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
                        Ok(RequestState::Pending) => self.assigned(r.id, r.model_id, r.deadline),
                        Ok(s @ (RequestState::Completed | RequestState::Expired)) => {
                            self.ended(r.id, s)
                        }
                        _ => {}
                    }
                }
            }
            Err(e) => tracing::warn!(error = %one_line(&e), "reading the server's requests"),
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

    /// Answers every queued request, earliest deadline first (tests and one-shot use).
    pub async fn drain(&mut self) {
        while let Some(id) = self.next_queued() {
            self.serve(id).await;
        }
    }

    /// Answers request `id`: checks the chain first (still pending, assigned to this server,
    /// zk mode, before its deadline), proves unless a proof is recorded, records the proof,
    /// then submits it. A request the chain could not be asked about stays for the next
    /// reconcile.
    pub async fn serve(&mut self, id: u64) {
        let Some(rec) = self.state.requests.get(&id).cloned() else {
            return;
        };
        if rec.stage.finished() {
            return;
        }
        let r = match self.chain.request(id).await {
            Ok(Some(r)) => r,
            Ok(None) => return self.fail(id, "the chain has no such request".into()),
            Err(e) => {
                tracing::warn!(request = id, error = %one_line(&e), "reading the request; trying again later");
                return;
            }
        };
        match RequestState::try_from(r.state) {
            Ok(RequestState::Pending) => {}
            Ok(s @ (RequestState::Completed | RequestState::Expired)) => return self.ended(id, s),
            _ => return self.fail(id, format!("request in state {}", r.state)),
        }
        if !r.servers.contains(&self.me) {
            return self.fail(id, "not assigned to this server".into());
        }
        if r.mode != VerificationMode::Zk as i32 {
            return self.fail(id, format!("mode {} is not served (zk only)", r.mode));
        }
        let Some(model) = self.served.get(&r.model_id).cloned() else {
            if self.local.get(&r.model_id).is_some_and(|m| m.is_ok())
                && !self.refused.contains_key(&r.model_id)
            {
                tracing::warn!(
                    request = id,
                    model = r.model_id,
                    "model not checked against the chain yet; trying again later"
                );
                return;
            }
            return self.fail(id, format!("model {} is not served here", r.model_id));
        };
        match self.chain.height().await {
            // The tx lands in a later block, which must not be past the deadline.
            Ok(h) if h >= r.deadline => {
                tracing::warn!(
                    request = id,
                    height = h,
                    deadline = r.deadline,
                    "too late to answer"
                );
                return;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(request = id, error = %one_line(&e), "reading the height; trying again later");
                return;
            }
        }
        let (output, proof) = if rec.stage == Stage::Proved && !rec.proof.is_empty() {
            match hex::decode(&rec.proof) {
                Ok(p) => (rec.output.clone(), p),
                Err(e) => return self.fail(id, format!("recorded proof: {e}")),
            }
        } else {
            let context = request_context(&self.chain_id, id, &self.me);
            let input = r.input.clone();
            let m = model.clone();
            let started = std::time::Instant::now();
            let proved =
                tokio::task::spawn_blocking(move || prove_request(&m, &input, &context)).await;
            let out = match proved {
                Ok(Ok(out)) => out,
                Ok(Err(e)) => return self.fail(id, format!("proving: {}", one_line(&e))),
                Err(e) => return self.fail(id, format!("proving task: {e}")),
            };
            tracing::info!(
                request = id,
                seconds = started.elapsed().as_secs_f64(),
                "proved"
            );
            let output = out.statement.output.clone();
            if let Some(rec) = self.state.requests.get_mut(&id) {
                rec.stage = Stage::Proved;
                rec.output = output.clone();
                rec.proof = hex::encode(&out.proof);
            }
            // Recorded before it is sent: a restart submits this answer, not a new one.
            self.save();
            (output, out.proof)
        };
        let msg = pb::MsgSubmitInference {
            server: self.me.clone(),
            request_id: id,
            output: output.clone(),
            proof,
        };
        match self.chain.send(vec![any(&msg)]).await {
            Ok(c) if c.ok() => {
                self.dequeue(id);
                if let Some(rec) = self.state.requests.get_mut(&id) {
                    rec.stage = Stage::Submitted;
                    rec.txhash = c.txhash.clone();
                }
                self.save();
                tracing::info!(request = id, tx = %c.txhash, height = %c.height, output = ?output, "inference submitted");
            }
            Ok(c) => {
                let e = format!(
                    "MsgSubmitInference refused: code {} ({}): {}",
                    c.code, c.codespace, c.raw_log
                );
                self.after_failed_submit(id, e).await
            }
            Err(e) => self.after_failed_submit(id, one_line(&e)).await,
        }
    }

    /// A submission failed (refused, or not seen committed): if the chain has the request
    /// answered after all, that is recorded; otherwise it is tried again later, up to
    /// [`MAX_ATTEMPTS`] submissions.
    async fn after_failed_submit(&mut self, id: u64, error: String) {
        if let Ok(Some(r)) = self.chain.request(id).await {
            if let Ok(s @ (RequestState::Completed | RequestState::Expired)) =
                RequestState::try_from(r.state)
            {
                return self.ended(id, s);
            }
        }
        if self.may_retry(id) {
            tracing::warn!(request = id, error = %error, "submitting; trying again at the next reconcile");
        } else {
            self.fail(id, error);
        }
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
            while !shutdown.is_cancelled() {
                let Some(id) = self.next_queued() else { break };
                self.serve(id).await;
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

pub(crate) fn any<M: prost::Message + Name>(m: &M) -> cosmos_sdk_proto::Any {
    cosmos_sdk_proto::Any {
        type_url: M::type_url(),
        value: m.encode_to_vec(),
    }
}
