//! The provider daemon: one loop that reacts to chain events, reconciles with the chain
//! periodically, and runs jobs in the background: one lease's training and one audit's
//! replay at a time, side by side. Every failure on chain or peer input is logged and the loop goes on.
//!
//! The logic lives in `impl Daemon` blocks by topic: [`crate::bids`] (registration,
//! orders), [`crate::leases`] (jobs, results, withdrawals), [`crate::audits`] (audits).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use deai_framework::Coin;
use deai_proto::compute::v1 as pb;
use deai_worker_artifacts::Store;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::audits::AuditOutcome;
use crate::chain::Chain;
use crate::leases::LeaseOutcome;
use crate::notices::Notice;
use crate::runner::{CancelFlag, JobRunner};
use crate::state::{ProviderState, StateDir};

/// What the provider offers and how it behaves (from `deai-worker provider start`'s flags).
#[derive(Clone, Debug)]
pub struct Config {
    /// Base URL of its artifact server as others reach it (`--host-uri`): the provider's
    /// `host_uri` on chain and the base of its results' `artifact_uri`.
    pub host_uri: String,
    pub price: Coin,
    pub attributes: Vec<pb::Attribute>,
    /// Take audits (adds the attribute `verifier=true`).
    pub verifier: bool,
    /// Stake escrowed at registration; default the chain's `provider_min_stake`.
    pub stake: Option<Coin>,
    pub capacity: pb::Resources,
    /// Deposit of each bid; default the chain's `bid_min_deposit`.
    pub bid_deposit: Option<Coin>,
    /// How often everything is re-read from the chain (missed events, retries).
    pub reconcile_every: Duration,
    /// How often earnings of active leases are withdrawn.
    pub withdraw_every: Duration,
}

impl Config {
    /// The attributes registered on chain: `--attributes`, plus `verifier=true` with
    /// `--verifier`.
    pub fn offered_attributes(&self) -> Vec<pb::Attribute> {
        let mut a = self.attributes.clone();
        if self.verifier && !a.iter().any(|x| x.key == "verifier") {
            a.push(pb::Attribute {
                key: "verifier".into(),
                value: "true".into(),
            });
        }
        a
    }
}

/// One unit of background work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Work {
    Lease(u64),
    Audit(u64),
}

/// A running job, if any.
type Slot = Option<(Work, JoinHandle<Outcome>)>;

/// Waits for the job in `slot` and empties it; never ready while the slot is empty.
async fn join(slot: &mut Slot) -> (Work, Result<Outcome, tokio::task::JoinError>) {
    match slot {
        Some((w, h)) => {
            let w = *w;
            let out = h.await;
            *slot = None;
            (w, out)
        }
        None => std::future::pending().await,
    }
}

pub(crate) enum Outcome {
    Lease(LeaseOutcome),
    Audit(AuditOutcome),
}

pub struct Daemon<C: Chain> {
    pub(crate) chain: C,
    pub(crate) cfg: Config,
    pub(crate) runner: Arc<dyn JobRunner>,
    pub(crate) dir: StateDir,
    pub(crate) state: ProviderState,
    pub(crate) store: Arc<Store>,
    pub(crate) me: String,
    pub(crate) params: Option<pb::Params>,
    /// Orders assessed and not bid on (in memory: re-assessed after a restart).
    pub(crate) refused: BTreeSet<u64>,
    pub(crate) queue: VecDeque<Work>,
    pub(crate) cancel: CancelFlag,
    /// The provider is jailed (read at each reconcile): it places no bids.
    pub(crate) jailed: bool,
    /// Failed runs of each job since the start; a job is given up after MAX_ATTEMPTS.
    pub(crate) attempts: BTreeMap<Work, u32>,
}

/// Runs of one job (a lease's training, an audit's replay) before it is given up: a
/// failure may be passing (a provider's server down, the dataset's server unreachable).
pub const MAX_ATTEMPTS: u32 = 3;

impl<C: Chain> Daemon<C> {
    pub fn new(
        chain: C,
        cfg: Config,
        runner: Arc<dyn JobRunner>,
        dir: StateDir,
        state: ProviderState,
        store: Arc<Store>,
    ) -> Self {
        let me = chain.address();
        Daemon {
            chain,
            cfg,
            runner,
            dir,
            state,
            store,
            me,
            params: None,
            refused: BTreeSet::new(),
            queue: VecDeque::new(),
            cancel: CancelFlag::default(),
            jailed: false,
            attempts: BTreeMap::new(),
        }
    }

    pub fn state(&self) -> &ProviderState {
        &self.state
    }

    pub fn chain(&self) -> &C {
        &self.chain
    }

    /// Writes the state; a failure is logged (the next change retries).
    pub(crate) fn save(&self) {
        self.dir.file().save_or_log(&self.state, "provider state");
    }

    /// Counts a failed run of `w`; whether it may run again.
    pub(crate) fn may_retry(&mut self, w: Work) -> bool {
        let n = self.attempts.entry(w).or_insert(0);
        *n += 1;
        *n < MAX_ATTEMPTS
    }

    pub(crate) fn enqueue(&mut self, w: Work) {
        if !self.queue.contains(&w) {
            self.queue.push_back(w);
        }
    }

    /// The chain's params, read once and refreshed by `reconcile`.
    pub(crate) async fn params(&mut self) -> anyhow::Result<pb::Params> {
        if let Some(p) = &self.params {
            return Ok(p.clone());
        }
        let p = self.chain.params().await?;
        self.params = Some(p.clone());
        Ok(p)
    }

    /// Acts on one chain event.
    pub async fn handle(&mut self, n: Notice) {
        tracing::debug!(notice = %n.describe(), "event");
        match n {
            Notice::OrderCreated(e) => self.consider_order_id(e.order_id).await,
            Notice::LeaseCreated(e) if e.provider == self.me => self.on_lease(e.lease_id).await,
            Notice::LeaseCompleted(e) if e.provider == self.me => {
                self.on_lease_ended(e.lease_id).await
            }
            Notice::OrderCompleted(e) => self.on_order_completed(e.order_id).await,
            Notice::AuditAssigned(e) if e.verifier == self.me => self.on_audit(e).await,
            _ => {}
        }
    }

    /// Re-reads what concerns the provider from the chain: open orders to bid on, its
    /// leases, its audits; and queues unfinished work from the state.
    pub async fn reconcile(&mut self) {
        match self.chain.params().await {
            Ok(p) => self.params = Some(p),
            Err(e) => tracing::warn!(error = %crate::one_line(&e), "reading params"),
        }
        self.reconcile_orders().await;
        self.reconcile_leases().await;
        if self.cfg.verifier {
            self.reconcile_audits().await;
        }
        // Work the state says is unfinished, also when the chain could not be read: each
        // job checks the chain again before it runs or submits anything.
        for id in self.state.unfinished_leases() {
            self.enqueue(Work::Lease(id));
        }
        if self.cfg.verifier {
            for id in self.state.pending_audits() {
                self.enqueue(Work::Audit(id));
            }
        }
    }

    /// Starts `w` in the background, or finishes it at once when nothing needs running.
    pub(crate) async fn start(&mut self, w: Work) -> Option<JoinHandle<Outcome>> {
        match w {
            Work::Lease(id) => self.start_lease(id).await,
            Work::Audit(id) => self.start_audit(id).await,
        }
    }

    pub(crate) async fn finish(&mut self, out: Outcome) {
        match out {
            Outcome::Lease(o) => self.finish_lease(o).await,
            Outcome::Audit(o) => self.finish_audit(o).await,
        }
    }

    /// Starts queued work whose slot is free (work that needs no job finishes at once).
    async fn start_queued(&mut self, lease_job: &mut Slot, audit_job: &mut Slot) {
        let mut i = 0;
        while i < self.queue.len() {
            let w = self.queue[i];
            let slot = match w {
                Work::Lease(_) => &mut *lease_job,
                Work::Audit(_) => &mut *audit_job,
            };
            if slot.is_some() {
                i += 1;
                continue;
            }
            self.queue.remove(i);
            if let Some(h) = self.start(w).await {
                *slot = Some((w, h));
            }
        }
    }

    async fn finished(&mut self, w: Work, out: Result<Outcome, tokio::task::JoinError>) {
        match out {
            Ok(o) => self.finish(o).await,
            Err(e) => tracing::error!(?w, error = %e, "job task failed"),
        }
    }

    /// Runs every queued job to completion, one after the other (tests and one-shot use).
    pub async fn drain(&mut self) {
        while let Some(w) = self.queue.pop_front() {
            if let Some(h) = self.start(w).await {
                match h.await {
                    Ok(out) => self.finish(out).await,
                    Err(e) => tracing::error!(?w, error = %e, "job task failed"),
                }
            }
        }
    }

    /// The daemon's loop, until `shutdown` is cancelled: registers the provider, catches up
    /// with the chain, then follows its events.
    pub async fn run(mut self, node_url: &str, shutdown: CancellationToken) -> anyhow::Result<()> {
        let mut backoff = Duration::from_secs(1);
        loop {
            match self.ensure_registered().await {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(error = %crate::one_line(&e), "registering the provider; retrying")
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(30));
        }
        let mut watch = crate::watch::watch(node_url, shutdown.clone());
        self.reconcile().await;
        let mut reconcile = tokio::time::interval(self.cfg.reconcile_every);
        let mut withdraw = tokio::time::interval(self.cfg.withdraw_every);
        reconcile.tick().await;
        withdraw.tick().await;
        // One training job and one audit at a time, side by side: an audit has a deadline
        // and must not wait behind a long training job.
        let mut lease_job: Slot = None;
        let mut audit_job: Slot = None;
        tracing::info!(provider = %self.me, "provider running");
        loop {
            self.start_queued(&mut lease_job, &mut audit_job).await;
            tokio::select! {
                _ = shutdown.cancelled() => break,
                notices = watch.next() => {
                    for n in notices {
                        self.handle(n).await;
                    }
                }
                (w, out) = join(&mut lease_job) => self.finished(w, out).await,
                (w, out) = join(&mut audit_job) => self.finished(w, out).await,
                _ = reconcile.tick() => self.reconcile().await,
                _ = withdraw.tick() => self.withdraw_active().await,
            }
        }
        tracing::info!("shutting down");
        self.cancel.cancel();
        // A job stops at its next step boundary; an interrupted lease job stays `won` and
        // is re-run from scratch after a restart.
        for slot in [&mut lease_job, &mut audit_job] {
            if slot.is_some() {
                let (w, out) = join(slot).await;
                self.finished(w, out).await;
            }
        }
        watch.shutdown().await;
        self.save();
        tracing::info!("provider stopped");
        Ok(())
    }
}
