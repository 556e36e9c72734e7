//! Refereeing: the audits assigned to this validator (`Audit.referee` is its address, state
//! PENDING). For an update audit it replays the accused's round job from the start (the
//! round's base, the accused's shard, also after it left; the run is deterministic) and
//! answers the hash at claim index `segment + 1` of the true run's claim (its checkpoint
//! hashes, then the sha256 of its weights file); empty when the true claim has no such
//! index. The claim's last index (where the chain judges every update audit,
//! docs/training.md) is its update hash: the answer there is the true weights file's hash,
//! however many checkpoints the claim lists before it (the weights are what is paid and
//! aggregated). For an aggregate audit it recomputes the FedAvg and answers its hash. The
//! answer is recorded before `MsgSubmitAudit` is sent, so a restart sends the same one.

use deai_client::to_any;
use deai_proto::training::v1 as pb;

use crate::chain::{refused, Chain};
use crate::job;
use crate::state::AnswerRecord;
use crate::validator::Validator;

/// Replays kept in memory (the newest rounds' first).
pub const MAX_REPLAYS: usize = 16;

impl<C: Chain> Validator<C> {
    pub(crate) async fn referee(&mut self, task: &pb::Task) -> anyhow::Result<()> {
        let audits = self.chain.audits(task.id, &self.me).await?;
        for a in audits {
            if a.referee != self.me || a.state != pb::AuditState::Pending as i32 {
                continue;
            }
            if self
                .state
                .answers
                .get(&a.id)
                .is_some_and(|r| r.sent || r.failed.is_some())
            {
                continue;
            }
            if !self.attempt(format!("answer {}", a.id)) {
                continue;
            }
            if let Err(e) = self.answer_audit(task, &a).await {
                if self.cancel.is_cancelled() {
                    return Err(e);
                }
                tracing::warn!(audit = a.id, error = %deai_worker_daemon::one_line(&e), "audit not answered; retrying");
            }
        }
        Ok(())
    }

    /// The answer to audit `a` (the true hash at claim index `segment + 1`; empty: none).
    pub async fn compute_answer(
        &mut self,
        task: &pb::Task,
        a: &pb::Audit,
    ) -> anyhow::Result<Vec<u8>> {
        let view = self
            .chain
            .round(task.id, a.round)
            .await?
            .ok_or_else(|| anyhow::anyhow!("round {} not found", a.round))?;
        let index = a.segment as usize + 1;
        if a.target == pb::AuditTarget::Aggregate as i32 {
            let hash = match self.fedavg_of(task, &view.round).await? {
                Some((_, d)) => d.0.to_vec(),
                None => view.round.base_hash.clone(),
            };
            let claim = [view.round.base_hash.clone(), hash];
            return Ok(claim.get(index).cloned().unwrap_or_default());
        }
        anyhow::ensure!(
            a.target == pb::AuditTarget::Update as i32,
            "audit {} has an unknown target {}",
            a.id,
            a.target
        );
        // The accused's shard: its registration's, or (once it left, or its uid went to
        // another neuron) the one the chain drew for its uid, `shard_of(task seed, uid)`.
        let neurons = self.chain.neurons(task.id).await?;
        let count = task
            .spec
            .as_ref()
            .map(|s| s.shard_count)
            .unwrap_or(1)
            .max(1);
        let shard = neurons
            .iter()
            .find(|n| n.uid == a.accused_uid && (a.accused.is_empty() || n.owner == a.accused))
            .map(|n| n.shard)
            .unwrap_or_else(|| deai_training::shard_of(&task.seed, a.accused_uid, count));
        let key = (a.round, shard);
        if !self.replays.contains_key(&key) {
            let job =
                job::resolve(&self.files, self.engine.as_ref(), task, &view.round, shard).await?;
            tracing::info!(audit = a.id, round = a.round, shard, spec = %job.spec.hash(), "replaying the round's job");
            let out = self
                .work_dir()
                .join(format!("replay-{}-{}", a.round, shard));
            let result = job::run(self.engine.clone(), &job, &out, &self.cancel).await?;
            let _ = std::fs::remove_dir_all(&out);
            self.replays.insert(key, result);
            // Keep the newest replays only.
            while self.replays.len() > MAX_REPLAYS {
                let Some(oldest) = self.replays.keys().next().copied() else {
                    break;
                };
                self.replays.remove(&oldest);
            }
        }
        let claim = self
            .replays
            .get(&key)
            .map(job::true_claim)
            .unwrap_or_default();
        let last = a.claim.len().checked_sub(1) == Some(index);
        let answer = if last { claim.last() } else { claim.get(index) };
        Ok(answer.map(|d| d.0.to_vec()).unwrap_or_default())
    }

    async fn answer_audit(&mut self, task: &pb::Task, a: &pb::Audit) -> anyhow::Result<()> {
        if !self.state.answers.contains_key(&a.id) {
            let answer = self.compute_answer(task, a).await?;
            let matches = a.claim.get(a.segment as usize + 1) == Some(&answer);
            tracing::info!(audit = a.id, answer = %hex::encode(&answer), accused_right = matches, "audit answer computed");
            self.state.answers.insert(
                a.id,
                AnswerRecord {
                    answer: hex::encode(&answer),
                    ..Default::default()
                },
            );
            self.save();
        }
        let Some(rec) = self.state.answers.get(&a.id).cloned() else {
            return Ok(());
        };
        let msg = pb::MsgSubmitAudit {
            referee: self.me.clone(),
            audit_id: a.id,
            answer: crate::files::raw(&rec.answer)?,
        };
        let c = self.chain.send(vec![to_any(&msg)]).await?;
        if let Some(r) = self.state.answers.get_mut(&a.id) {
            if c.ok() {
                r.sent = true;
            } else {
                r.failed = Some(format!("code {}: {}", c.code, c.raw_log));
            }
        }
        self.save();
        refused::<pb::MsgSubmitAudit>(&c)?;
        tracing::info!(audit = a.id, tx = %c.txhash, "audit answered");
        Ok(())
    }
}
