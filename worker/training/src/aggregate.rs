//! Aggregates. The validator drawn as a round's aggregator (`Round.aggregator`, set at the
//! epoch, see EventEpoch) fetches the round's aggregate inputs by hash, computes their
//! FedAvg (`deai_worker_jobs::fedavg`, weighted by incentive, in the chain's uid order),
//! puts it into its served store and submits `MsgSubmitAggregate` within the aggregate
//! window. An input its trainer no longer serves is fetched from other validators' artifact
//! servers (every validator serves the updates it fetched and verified while scoring; the
//! chain names the servers of those that aggregated recent rounds, in their aggregate
//! URIs), verified by hash like any download. Every other validator recomputes a submitted aggregate (anyone can) and opens an
//! AGGREGATE audit when it differs: the mismatch is recorded first (`rechecked: false`, the
//! intent to audit), and the audit is opened from it at every tick until it is sent, for as
//! long as the round's aggregates are looked at (a failed send is retried, at most
//! `MAX_ATTEMPTS` times a run).

use deai_proto::training::v1 as pb;
use deai_worker_jobs::Digest;

use crate::chain::Chain;
use crate::files::digest_of;
use crate::state::AggregateRecord;
use crate::validator::Validator;
use deai_worker_provider::remote::{artifact_uri, parse_artifact_uri};

/// Rounds looked back at for other validators' servers.
pub const MIRROR_ROUNDS: u64 = 16;
/// Other validators' servers tried for an input, at most.
pub const MAX_MIRRORS: usize = 4;

impl<C: Chain> Validator<C> {
    /// Other validators' artifact servers the chain names: the bases of the aggregate URIs
    /// of the rounds before `round` (newest first, at most [`MAX_MIRRORS`]), not this
    /// validator's own.
    pub(crate) async fn mirrors(&self, task_id: u64, round: u64) -> Vec<String> {
        let mut bases: Vec<String> = Vec::new();
        for r in (round.saturating_sub(MIRROR_ROUNDS)..round).rev() {
            if bases.len() >= MAX_MIRRORS {
                break;
            }
            let Ok(Some(view)) = self.chain.round(task_id, r).await else {
                continue;
            };
            let Ok((base, _)) = parse_artifact_uri(&view.round.aggregate_uri) else {
                continue;
            };
            let base = base.trim_end_matches('/').to_string();
            if base != self.files.public_url() && !bases.contains(&base) {
                bases.push(base);
            }
        }
        bases
    }

    /// Blob `d` from other validators' servers ([`Self::mirrors`]), verified by hash.
    async fn fetch_mirrored(
        &self,
        mirrors: &[String],
        d: &Digest,
        max: u64,
    ) -> anyhow::Result<std::path::PathBuf> {
        for base in mirrors {
            let uri = artifact_uri(base, d)?;
            match self.files.fetch(&uri, d, max).await {
                Ok(p) => {
                    tracing::info!(blob = %d, %uri, "fetched from another validator's server");
                    return Ok(p);
                }
                Err(e) => {
                    tracing::debug!(%uri, error = %deai_worker_daemon::one_line(&e), "not there")
                }
            }
        }
        anyhow::bail!(
            "no other validator's server had it either ({} tried)",
            mirrors.len()
        )
    }

    /// The FedAvg of `round`'s aggregate inputs, fetched by hash (the base when there are
    /// none); the bytes and their sha256.
    pub(crate) async fn fedavg_of(
        &self,
        task: &pb::Task,
        round: &pb::Round,
    ) -> anyhow::Result<Option<(Vec<u8>, Digest)>> {
        if round.aggregate_inputs.is_empty() {
            return Ok(None);
        }
        let spec = Self::model_spec(task, round)?;
        let max = self.engine.max_weights_bytes(&spec);
        let mut files = Vec::new();
        let mut mirrors: Option<Vec<String>> = None;
        for i in &round.aggregate_inputs {
            let d = digest_of(&i.update_hash, "an aggregate input's update_hash")?;
            let path = match self.files.fetch(&i.uri, &d, max).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(uid = i.uid, error = %deai_worker_daemon::one_line(&e), "aggregate input not served by its trainer: trying other validators");
                    if mirrors.is_none() {
                        mirrors = Some(self.mirrors(task.id, round.round).await);
                    }
                    let m = mirrors.as_deref().unwrap_or_default();
                    self.fetch_mirrored(m, &d, max).await.map_err(|m| {
                        anyhow::anyhow!("aggregate input uid {}: {e:#}; {m:#}", i.uid)
                    })?
                }
            };
            let bytes = std::fs::read(&path)?;
            files.push((bytes, i.weight));
        }
        let inputs: Vec<(&[u8], u32)> = files.iter().map(|(b, w)| (b.as_slice(), *w)).collect();
        let out = deai_worker_jobs::fedavg(&inputs).map_err(|e| anyhow::anyhow!("fedavg: {e}"))?;
        let d = Digest::of(&out);
        Ok(Some((out, d)))
    }

    /// Round `r` (closed) as aggregator or as rechecker, while the current height allows.
    pub(crate) async fn aggregate(
        &mut self,
        task: &pb::Task,
        r: u64,
        height: u64,
    ) -> anyhow::Result<()> {
        let Some(view) = self.chain.round(task.id, r).await? else {
            return Ok(());
        };
        let round = view.round;
        if !round.closed {
            return Ok(());
        }
        // A base carried forward (no aggregate in the window) is the round's aggregate on
        // chain too: nobody submitted it, there is nothing to recheck.
        let carried =
            round.aggregate_hash == round.base_hash && round.aggregate_uri == round.base_uri;
        if round.aggregator == self.me {
            self.submit_aggregate(task, &round, height).await
        } else if !round.lineage.is_empty() && !round.aggregate_hash.is_empty() && !carried {
            match self.state.rechecked.get(&r) {
                None => {
                    // Inputs that cannot be fetched are tried a few times, not forever.
                    if !self.attempt(format!("recheck {r}")) {
                        return Ok(());
                    }
                    self.recheck_aggregate(task, &round).await
                }
                // Wrong: the audit is opened, or retried if that failed.
                Some(false) => self.audit_aggregate(task, &round).await,
                Some(true) => Ok(()),
            }
        } else {
            Ok(())
        }
    }

    async fn submit_aggregate(
        &mut self,
        task: &pb::Task,
        round: &pb::Round,
        height: u64,
    ) -> anyhow::Result<()> {
        let r = round.round;
        let done = self
            .state
            .aggregates
            .get(&r)
            .is_some_and(|a| a.submitted || a.missed.is_some());
        if done {
            return Ok(());
        }
        if !round.lineage.is_empty() {
            tracing::info!(round = r, "the round's aggregate is settled on chain");
            let rec = self.state.aggregates.entry(r).or_default();
            rec.submitted = true;
            self.save();
            return Ok(());
        }
        // The window: aggregate_window blocks from the next round's start.
        let spec = task.spec.clone().unwrap_or_default();
        let closed_at = if round.closed_at > 0 {
            round.closed_at
        } else {
            deai_training::phases::epoch_height(&spec, round.start)
        };
        let (_, closes) = crate::rules::aggregate_window(&spec, closed_at);
        if height + 1 >= closes {
            let rec = self.state.aggregates.entry(r).or_default();
            rec.missed = Some("the aggregate window passed".into());
            self.save();
            tracing::warn!(
                round = r,
                "aggregate window passed before the aggregate was submitted"
            );
            return Ok(());
        }
        if !self.state.aggregates.contains_key(&r) {
            let Some((bytes, d)) = self.fedavg_of(task, round).await? else {
                tracing::info!(round = r, "no aggregate inputs: the base carries forward");
                let rec = self.state.aggregates.entry(r).or_default();
                rec.missed = Some("no aggregate inputs".into());
                self.save();
                return Ok(());
            };
            let stored = self.files.put(&bytes)?;
            anyhow::ensure!(
                stored == d,
                "the store named the aggregate {stored}, not {d}"
            );
            self.state.aggregates.insert(
                r,
                AggregateRecord {
                    aggregate_hash: d.to_hex(),
                    uri: self.files.uri(&d)?,
                    ..Default::default()
                },
            );
            self.save();
        }
        let Some(rec) = self.state.aggregates.get(&r).cloned() else {
            return Ok(());
        };
        let msg = pb::MsgSubmitAggregate {
            aggregator: self.me.clone(),
            task_id: task.id,
            round: r,
            aggregate_hash: crate::files::raw(&rec.aggregate_hash)?,
            uri: rec.uri.clone(),
        };
        let c = self.chain.send_msg(&msg).await?;
        tracing::info!(round = r, aggregate = %rec.aggregate_hash, tx = %c.txhash, "aggregate submitted");
        if let Some(a) = self.state.aggregates.get_mut(&r) {
            a.submitted = true;
        }
        self.save();
        Ok(())
    }

    /// Recomputes another aggregator's aggregate; a different hash opens an AGGREGATE audit
    /// of the aggregator's uid.
    async fn recheck_aggregate(
        &mut self,
        task: &pb::Task,
        round: &pb::Round,
    ) -> anyhow::Result<()> {
        let r = round.round;
        let expected = match self.fedavg_of(task, round).await? {
            Some((_, d)) => d.0.to_vec(),
            None => round.base_hash.clone(),
        };
        let matches = expected == round.aggregate_hash;
        // Recorded before the audit is opened: `false` is the intent to audit, retried by
        // later ticks if opening it fails now.
        self.state.rechecked.insert(r, matches);
        self.save();
        if matches {
            tracing::info!(round = r, "the round's aggregate recomputes");
            return Ok(());
        }
        tracing::warn!(round = r, aggregator = %round.aggregator, submitted = %hex::encode(&round.aggregate_hash), recomputed = %hex::encode(&expected), "the round's aggregate is wrong");
        self.audit_aggregate(task, round).await
    }

    /// Opens the AGGREGATE audit of a round whose aggregate did not recompute, unless this
    /// validator already did (or it needs nothing more from it).
    async fn audit_aggregate(&mut self, task: &pb::Task, round: &pb::Round) -> anyhow::Result<()> {
        let r = round.round;
        let neurons = self.chain.neurons(task.id).await?;
        let Some(n) = neurons.iter().find(|n| n.owner == round.aggregator) else {
            if self.attempt(format!("find aggregator {r}")) {
                anyhow::bail!("the aggregator {} is no longer a neuron", round.aggregator);
            }
            return Ok(());
        };
        let key = crate::state::audit_key(r, true, n.uid);
        if self.state.opened.get(&key).is_some_and(|a| a.sent) {
            return Ok(());
        }
        self.open_audit(
            r,
            pb::AuditTarget::Aggregate,
            n.uid,
            "the aggregate does not recompute",
        )
        .await
    }
}
