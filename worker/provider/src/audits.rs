//! Audits assigned to this provider as a verifier (`--verifier`): replay checkpoint
//! `segment` → `segment + 1` of the order's job, with the chain's spec, from the start the
//! audited results agree on, and submit the chain hash of checkpoint `segment + 1` (empty
//! when the true run has no such checkpoint). Results whose checkpoint `segment + 1`
//! differs from the answer are judged faulty by the chain.
//!
//! The start is fetched from the audited providers' artifact servers, which are untrusted:
//! every file is checked by sha256, every provider is tried, and a result whose checkpoint
//! `segment` cannot be had is passed over (withheld).

use std::sync::Arc;

use deai_client::to_any;
use deai_proto::compute::v1 as pb;
use deai_worker_jobs::JobSpec;
use tokio::task::JoinHandle;

use crate::chain::Chain;
use crate::daemon::{Daemon, Outcome, Work};
use crate::orders::order_spec;
use crate::remote::fetch_result;
use crate::runner::{Answer, AuditStart, CancelFlag, JobRunner};
use crate::state::{AuditRecord, AuditStage};

pub(crate) struct AuditOutcome {
    pub audit_id: u64,
    pub answer: Result<Answer, String>,
}

fn err(e: &anyhow::Error) -> String {
    crate::one_line(e)
}

fn answer_hex(a: &Answer) -> String {
    a.map(|d| d.to_hex()).unwrap_or_default()
}

/// Computes the answer to the audit of `segment`. `start_hash` is the checkpoint the
/// results agree on (the audit's `start_checkpoint_hash`; empty: any result's), `results`
/// the audited results as the chain holds them.
pub async fn compute_answer(
    runner: Arc<dyn JobRunner>,
    spec: JobSpec,
    segment: u32,
    start_hash: Vec<u8>,
    results: Vec<pb::Result>,
    cancel: CancelFlag,
) -> Result<Answer, String> {
    let seg = segment as usize;
    let blocking = |start: Option<(deai_worker_jobs::TrainResult, Option<bytes::Bytes>)>| {
        let (runner, spec, cancel) = (runner.clone(), spec.clone(), cancel.clone());
        tokio::task::spawn_blocking(move || {
            let start = start.as_ref().map(|(claimed, file)| AuditStart {
                claimed,
                file: file.as_deref(),
            });
            runner.audit_answer(&spec, seg, start, &cancel)
        })
    };
    // Segment 0 starts from the seed, and a segment past the run's end needs no start.
    let first = blocking(None).await.map_err(|e| e.to_string())?;
    match first {
        Ok(Ok(a)) => return Ok(a),
        Ok(Err(_)) => {}
        Err(e) => return Err(err(&e)),
    }
    let max_file = runner.max_checkpoint_bytes(&spec);
    let mut tried = 0;
    for r in &results {
        let Some(agreed) = r.checkpoint_hashes.get(seg) else {
            continue;
        };
        if !start_hash.is_empty() && *agreed != start_hash {
            continue;
        }
        tried += 1;
        let lease = r.lease_id;
        let (claimed, _, server) = match fetch_result(&r.artifact_uri).await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(lease, provider = %r.provider, error = %err(&e), "result.json not delivered; trying another provider");
                continue;
            }
        };
        let Some(rec) = claimed.checkpoints.get(seg) else {
            tracing::warn!(lease, "the delivered result.json has no checkpoint {seg}");
            continue;
        };
        if rec.hash.0.as_slice() != agreed.as_slice() {
            tracing::warn!(
                lease,
                "the delivered result.json is not the result on chain"
            );
            continue;
        }
        let file = match server.blob(&rec.file_sha256, max_file).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(lease, error = %err(&e), "checkpoint {seg} withheld; trying another provider");
                continue;
            }
        };
        match blocking(Some((claimed, Some(file)))).await {
            Ok(Ok(Ok(a))) => return Ok(a),
            Ok(Ok(Err(why))) => {
                tracing::warn!(lease, reason = %why, "checkpoint {seg} unusable; trying another provider")
            }
            Ok(Err(e)) => return Err(err(&e)),
            Err(e) => return Err(format!("the replay panicked: {e}")),
        }
    }
    Err(format!(
        "no audited result delivered a usable checkpoint {seg} ({tried} tried)"
    ))
}

impl<C: Chain> Daemon<C> {
    pub(crate) async fn on_audit(&mut self, e: pb::EventAuditAssigned) {
        if !self.cfg.verifier {
            return tracing::info!(
                "audit assigned audit={} but --verifier is off: ignored",
                e.audit_id
            );
        }
        self.track_audit(e.audit_id, e.order_id, e.segment);
    }

    fn track_audit(&mut self, audit_id: u64, order_id: u64, segment: u32) {
        if let std::collections::btree_map::Entry::Vacant(e) = self.state.audits.entry(audit_id) {
            e.insert(AuditRecord {
                order_id,
                segment,
                stage: AuditStage::Assigned,
                answer: None,
            });
            self.save();
            tracing::info!("audit assigned audit={audit_id} order={order_id} segment={segment}");
        }
        if self.state.audits.get(&audit_id).map(|r| r.stage) == Some(AuditStage::Assigned) {
            self.enqueue(Work::Audit(audit_id));
        }
    }

    pub(crate) async fn reconcile_audits(&mut self) {
        match self.chain.audits_of(&self.me.clone()).await {
            Ok(audits) => {
                for a in audits {
                    if a.state == pb::AuditState::Pending as i32 {
                        self.track_audit(a.id, a.order_id, a.segment);
                    }
                }
            }
            Err(e) => tracing::debug!(error = %err(&e), "reading audits"),
        }
    }

    fn set_audit(&mut self, id: u64, stage: AuditStage, answer: Option<String>) {
        if let Some(r) = self.state.audits.get_mut(&id) {
            r.stage = stage;
            if answer.is_some() {
                r.answer = answer;
            }
            self.save();
        }
    }

    /// The audit as the chain holds it; `None` if the chain cannot say (no Audits query).
    async fn chain_audit(&self, id: u64) -> Option<pb::Audit> {
        match self.chain.audits_of(&self.me).await {
            Ok(list) => list.into_iter().find(|a| a.id == id),
            Err(e) => {
                tracing::debug!(audit = id, error = %err(&e), "reading audits");
                None
            }
        }
    }

    pub(crate) async fn start_audit(&mut self, id: u64) -> Option<JoinHandle<Outcome>> {
        let rec = self.state.audits.get(&id)?.clone();
        if rec.stage != AuditStage::Assigned {
            return None;
        }
        let audit = self.chain_audit(id).await;
        if let Some(a) = &audit {
            if a.state != pb::AuditState::Pending as i32 {
                tracing::info!(state = a.state, "audit no longer pending audit={id}");
                self.set_audit(id, AuditStage::Submitted, None);
                return None;
            }
        }
        if let Some(hex) = rec.answer.clone() {
            self.submit_audit(id, hex).await;
            return None;
        }
        let order = match self.chain.order(rec.order_id).await {
            Ok(Some(o)) => o,
            Ok(None) => {
                tracing::error!("audit {id}: order {} not found", rec.order_id);
                self.set_audit(id, AuditStage::Failed, None);
                return None;
            }
            Err(e) => {
                tracing::warn!(audit = id, error = %err(&e), "reading order; retrying later");
                return None;
            }
        };
        // The chain never audits a compute-to-data order; were one assigned, replaying it
        // would mean fetching data that must stay at its provider.
        if order.dataset_id != 0 {
            tracing::error!(
                "audit {id}: order {} is compute-to-data: not replayed",
                order.id
            );
            self.set_audit(id, AuditStage::Failed, None);
            return None;
        }
        let spec = match order_spec(&order) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "audit {id}: the order's spec cannot be replayed");
                self.set_audit(id, AuditStage::Failed, None);
                return None;
            }
        };
        let mut results = match self.chain.results(rec.order_id).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(audit = id, error = %err(&e), "reading results; retrying later");
                return None;
            }
        };
        let (start_hash, leases) = audit
            .map(|a| (a.start_checkpoint_hash, a.lease_ids))
            .unwrap_or_default();
        if !leases.is_empty() {
            results.retain(|r| leases.contains(&r.lease_id));
        }
        tracing::info!(
            "audit started audit={id} order={} segment={}",
            rec.order_id,
            rec.segment
        );
        let runner = self.runner.clone();
        let cancel = self.cancel.clone();
        Some(tokio::spawn(async move {
            let answer =
                compute_answer(runner, spec, rec.segment, start_hash, results, cancel).await;
            Outcome::Audit(AuditOutcome {
                audit_id: id,
                answer,
            })
        }))
    }

    pub(crate) async fn finish_audit(&mut self, o: AuditOutcome) {
        let id = o.audit_id;
        match o.answer {
            Ok(a) => {
                let hex = answer_hex(&a);
                self.set_audit(id, AuditStage::Assigned, Some(hex.clone()));
                if !self.cancel.is_cancelled() {
                    self.submit_audit(id, hex).await;
                }
            }
            Err(why) if self.cancel.is_cancelled() => {
                tracing::info!(reason = %why, "audit abandoned audit={id}: retried after a restart")
            }
            Err(why) if self.may_retry(Work::Audit(id)) => {
                tracing::warn!(reason = %why, "audit not answered audit={id}; retrying at the next reconcile")
            }
            Err(why) => {
                tracing::error!(reason = %why, "audit not answered audit={id}");
                self.set_audit(id, AuditStage::Failed, None);
            }
        }
    }

    async fn submit_audit(&mut self, id: u64, answer_hex: String) {
        let Some(rec) = self.state.audits.get(&id).cloned() else {
            return;
        };
        let checkpoint_hash = match hex::decode(&answer_hex) {
            Ok(b) => b,
            Err(e) => return tracing::error!(audit = id, error = %e, "corrupt saved answer"),
        };
        let msg = pb::MsgSubmitAudit {
            verifier: self.me.clone(),
            order_id: rec.order_id,
            segment: rec.segment,
            checkpoint_hash,
        };
        match self.send("MsgSubmitAudit", vec![to_any(&msg)]).await {
            Ok(c) => {
                self.set_audit(id, AuditStage::Submitted, None);
                let shown = if answer_hex.is_empty() {
                    "(empty)"
                } else {
                    answer_hex.as_str()
                };
                tracing::info!(checkpoint_hash = %shown, tx = %c.txhash, "audit submitted order={} segment={} audit={id}", rec.order_id, rec.segment);
            }
            Err(e) => {
                tracing::warn!(error = %err(&e), "audit not submitted audit={id}; retrying at the next reconcile")
            }
        }
    }
}
