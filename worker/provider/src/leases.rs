//! Won leases: run the order's training job (from scratch, deterministic), publish its
//! files, submit the result once, and collect the earnings.
//!
//! A lease's record moves `won` → `trained` (result published, claim saved) → `submitted`
//! → `ended`. Before running or submitting, the chain is asked whether the lease's result
//! is already there, so neither a restart nor a lost tx response submits twice.

use cosmos_sdk_proto::Any;
use deai_client::to_any;
use deai_proto::compute::v1 as pb;
use tokio::task::JoinHandle;

use crate::chain::Chain;
use crate::daemon::{Daemon, Outcome, Work};
use crate::orders::order_spec;
use crate::publish::{publish, submit_result_msg};
use crate::state::{LeaseRecord, LeaseStage, ResultClaim};

/// Leases withdrawn per tx at most.
const WITHDRAWALS_PER_TX: usize = 20;

pub(crate) enum LeaseOutcome {
    Trained { lease_id: u64, claim: ResultClaim },
    Failed { lease_id: u64, error: String },
    Cancelled { lease_id: u64 },
}

fn active(l: &pb::Lease) -> bool {
    l.state == pb::LeaseState::Active as i32
}

fn err(e: &anyhow::Error) -> String {
    crate::one_line(e)
}

impl<C: Chain> Daemon<C> {
    fn set_stage(&mut self, lease_id: u64, stage: LeaseStage) {
        if let Some(r) = self.state.leases.get_mut(&lease_id) {
            if r.stage != stage {
                r.stage = stage;
                self.save();
            }
        }
    }

    /// A lease of this provider: record it and queue its job while it is active.
    pub(crate) async fn on_lease(&mut self, lease_id: u64) {
        if let Some(r) = self.state.leases.get(&lease_id) {
            if !matches!(r.stage, LeaseStage::Won | LeaseStage::Trained) {
                return;
            }
        }
        let lease = match self.chain.lease(lease_id).await {
            Ok(Some(l)) => l,
            Ok(None) => return tracing::warn!(lease = lease_id, "lease not found"),
            Err(e) => return tracing::warn!(lease = lease_id, error = %err(&e), "reading lease"),
        };
        self.track_lease(&lease);
    }

    fn track_lease(&mut self, lease: &pb::Lease) {
        if lease.provider != self.me {
            return;
        }
        let id = lease.id;
        if let std::collections::btree_map::Entry::Vacant(e) = self.state.leases.entry(id) {
            if !active(lease) {
                return;
            }
            e.insert(LeaseRecord {
                order_id: lease.order_id,
                stage: LeaseStage::Won,
                result: None,
                error: None,
            });
            self.save();
            tracing::info!(
                bid = lease.bid_id,
                "lease won lease={id} order={}",
                lease.order_id
            );
        }
        let Some(stage) = self.state.leases.get(&id).map(|r| r.stage.clone()) else {
            return;
        };
        if !active(lease) {
            if matches!(
                stage,
                LeaseStage::Won | LeaseStage::Trained | LeaseStage::Submitted
            ) {
                tracing::info!(state = lease.state, "lease ended lease={id}");
                self.set_stage(id, LeaseStage::Ended);
            }
            return;
        }
        if matches!(stage, LeaseStage::Won | LeaseStage::Trained) {
            self.enqueue(Work::Lease(id));
        }
    }

    pub(crate) async fn reconcile_leases(&mut self) {
        match self.chain.leases_of(&self.me.clone()).await {
            Ok(leases) => {
                for l in &leases {
                    self.track_lease(l);
                }
            }
            Err(e) => tracing::warn!(error = %err(&e), "reading leases"),
        }
    }

    /// Whether the chain already holds a result for `lease_id`; `None` if it cannot say.
    async fn result_on_chain(&self, order_id: u64, lease_id: u64) -> Option<bool> {
        match self.chain.results(order_id).await {
            Ok(rs) => Some(rs.iter().any(|r| r.lease_id == lease_id)),
            Err(e) => {
                tracing::warn!(lease = lease_id, error = %err(&e), "reading results");
                None
            }
        }
    }

    pub(crate) async fn start_lease(&mut self, id: u64) -> Option<JoinHandle<Outcome>> {
        let rec = self.state.leases.get(&id)?.clone();
        if !matches!(rec.stage, LeaseStage::Won | LeaseStage::Trained) {
            return None;
        }
        match self.chain.lease(id).await {
            Ok(Some(l)) if active(&l) => {}
            Ok(_) => {
                tracing::info!("lease ended lease={id}");
                self.set_stage(id, LeaseStage::Ended);
                return None;
            }
            Err(e) => {
                tracing::warn!(lease = id, error = %err(&e), "reading lease; retrying later");
                return None;
            }
        }
        match self.result_on_chain(rec.order_id, id).await {
            Some(true) => {
                tracing::info!("result already on chain lease={id}");
                self.set_stage(id, LeaseStage::Submitted);
                return None;
            }
            Some(false) => {}
            None => return None,
        }
        if let (LeaseStage::Trained, Some(claim)) = (&rec.stage, &rec.result) {
            self.submit_result(id, rec.order_id, claim.clone()).await;
            return None;
        }
        let (spec, dataset_id) = match self.chain.order(rec.order_id).await {
            Ok(Some(o)) => (order_spec(&o), o.dataset_id),
            Ok(None) => (Err(format!("order {} not found", rec.order_id)), 0),
            Err(e) => {
                tracing::warn!(lease = id, error = %err(&e), "reading order; retrying later");
                return None;
            }
        };
        let spec = match spec {
            Ok(s) => s,
            Err(e) => {
                self.fail_lease(id, e);
                return None;
            }
        };
        // Compute-to-data: the data must still be here (moved away, the runner would try to
        // fetch it); checked again when the job starts.
        let dataset = if dataset_id == 0 {
            None
        } else {
            match self.chain.dataset(dataset_id).await {
                Ok(Some(d)) => Some(d),
                Ok(None) => {
                    self.fail_lease(id, format!("dataset {dataset_id} is not on chain"));
                    return None;
                }
                Err(e) => {
                    tracing::warn!(lease = id, error = %err(&e), "reading the dataset; retrying later");
                    return None;
                }
            }
        };
        tracing::info!(spec = %spec.hash(), "job started lease={id} order={}", rec.order_id);
        let runner = self.runner.clone();
        let store = self.store.clone();
        let dir = self.dir.job_dir(id);
        let host = self.cfg.host_uri.clone();
        let cancel = self.cancel.clone();
        Some(tokio::spawn(async move {
            let c = cancel.clone();
            let r = tokio::task::spawn_blocking(move || {
                // A re-run starts from scratch: the job is deterministic.
                if let Some(d) = &dataset {
                    crate::c2d::local_data(&spec, d, runner.as_ref(), &store)
                        .map_err(anyhow::Error::msg)?;
                }
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir)?;
                let result = runner.train(&spec, &dir, &c)?;
                publish(&store, &dir, &result, &host)
            })
            .await;
            Outcome::Lease(match r {
                Ok(Ok(claim)) => LeaseOutcome::Trained {
                    lease_id: id,
                    claim,
                },
                Ok(Err(_)) if cancel.is_cancelled() => LeaseOutcome::Cancelled { lease_id: id },
                Ok(Err(e)) => LeaseOutcome::Failed {
                    lease_id: id,
                    error: err(&e),
                },
                Err(e) => LeaseOutcome::Failed {
                    lease_id: id,
                    error: format!("the job panicked: {e}"),
                },
            })
        }))
    }

    fn fail_lease(&mut self, id: u64, error: String) {
        tracing::error!(error = %error, "job failed lease={id}");
        if let Some(r) = self.state.leases.get_mut(&id) {
            r.stage = LeaseStage::Failed;
            r.error = Some(error);
            self.save();
        }
    }

    pub(crate) async fn finish_lease(&mut self, o: LeaseOutcome) {
        match o {
            LeaseOutcome::Trained { lease_id, claim } => {
                let Some(r) = self.state.leases.get_mut(&lease_id) else {
                    return;
                };
                r.stage = LeaseStage::Trained;
                r.result = Some(claim.clone());
                let order_id = r.order_id;
                self.save();
                tracing::info!(result_hash = %claim.result_hash, artifact_uri = %claim.artifact_uri, "job finished lease={lease_id}");
                if self.cancel.is_cancelled() {
                    return;
                }
                if self.result_on_chain(order_id, lease_id).await == Some(false) {
                    self.submit_result(lease_id, order_id, claim).await;
                }
            }
            LeaseOutcome::Failed { lease_id, error } => {
                if self.may_retry(Work::Lease(lease_id)) {
                    tracing::warn!(error = %error, "job failed lease={lease_id}; retrying at the next reconcile");
                } else {
                    self.fail_lease(lease_id, error);
                }
            }
            LeaseOutcome::Cancelled { lease_id } => {
                tracing::info!("job abandoned lease={lease_id}: it is re-run after a restart")
            }
        }
    }

    async fn submit_result(&mut self, lease_id: u64, order_id: u64, claim: ResultClaim) {
        let msg = match submit_result_msg(&self.me, lease_id, &claim) {
            Ok(m) => m,
            Err(e) => return self.fail_lease(lease_id, err(&e)),
        };
        match self.send("MsgSubmitResult", vec![to_any(&msg)]).await {
            Ok(c) => {
                self.set_stage(lease_id, LeaseStage::Submitted);
                tracing::info!(result_hash = %claim.result_hash, artifact_uri = %claim.artifact_uri, tx = %c.txhash, "result submitted lease={lease_id} order={order_id}");
            }
            Err(e) => {
                tracing::warn!(error = %err(&e), "result not submitted lease={lease_id}; retrying at the next reconcile")
            }
        }
    }

    /// `EventLeaseCompleted`: the chain paid the lease out when it ended.
    pub(crate) async fn on_lease_ended(&mut self, lease_id: u64) {
        if let Ok(Some(l)) = self.chain.lease(lease_id).await {
            let paid = l.withdrawn.map(|c| format!("{}{}", c.amount, c.denom));
            tracing::info!(paid = ?paid, "lease completed lease={lease_id} order={}", l.order_id);
        }
        if self.state.leases.contains_key(&lease_id) {
            self.set_stage(lease_id, LeaseStage::Ended);
        }
    }

    /// `EventOrderCompleted`: ends the provider's leases of that order that are no longer
    /// active, and withdraws from any still active.
    pub(crate) async fn on_order_completed(&mut self, order_id: u64) {
        let mine: Vec<u64> = self
            .state
            .leases
            .iter()
            .filter(|(_, r)| r.order_id == order_id && r.stage != LeaseStage::Ended)
            .map(|(id, _)| *id)
            .collect();
        for id in mine {
            match self.chain.lease(id).await {
                Ok(Some(l)) if active(&l) => self.withdraw(vec![id]).await,
                Ok(_) => self.on_lease_ended(id).await,
                Err(e) => tracing::warn!(lease = id, error = %err(&e), "reading lease"),
            }
        }
    }

    /// Withdraws the earnings of every active lease of the provider.
    pub(crate) async fn withdraw_active(&mut self) {
        match self.chain.leases_of(&self.me.clone()).await {
            Ok(leases) => {
                let ids: Vec<u64> = leases.iter().filter(|l| active(l)).map(|l| l.id).collect();
                for chunk in ids.chunks(WITHDRAWALS_PER_TX) {
                    self.withdraw(chunk.to_vec()).await;
                }
            }
            Err(e) => tracing::warn!(error = %err(&e), "reading leases"),
        }
    }

    async fn withdraw(&mut self, lease_ids: Vec<u64>) {
        if lease_ids.is_empty() {
            return;
        }
        let msgs: Vec<Any> = lease_ids
            .iter()
            .map(|&lease_id| {
                to_any(&pb::MsgWithdrawLease {
                    provider: self.me.clone(),
                    lease_id,
                })
            })
            .collect();
        match self.send("MsgWithdrawLease", msgs).await {
            Ok(c) => tracing::info!(tx = %c.txhash, "earnings withdrawn leases={lease_ids:?}"),
            Err(e) => tracing::warn!(error = %err(&e), "withdrawal failed leases={lease_ids:?}"),
        }
    }
}
