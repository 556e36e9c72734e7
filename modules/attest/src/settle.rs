//! Settlement: each block's FinalizeBlock hands the previous height's extended commit (the
//! votes the proposer injected, checked in ProcessProposal) to [`apply_commit`], which tallies
//! per pending job the power behind each result hash; end block expires what ran out of time.
//!
//! - **Tally.** Within one commit: a job settles when one hash is attested by validators
//!   holding more than 2/3 of the commit's total power (every validator of the set counts
//!   in the total, whether it voted or not: `3 × power > 2 × total`, exact integers). Sidecars
//!   cache results, so every later vote repeats a result: the tally needs no memory across
//!   heights, and a validator set that changes is counted at each height as it is.
//! - **Which votes count.** Only commit votes (`BlockIdFlag::Commit`), and only for jobs
//!   requested before the voted height (a vote cannot have seen a later job).
//! - **Attestations** record the first hash each validator gave for a job (for queries and
//!   penalties); a later, different hash of the same validator counts in that height's tally
//!   but does not replace the record.
//! - **Penalty.** At settlement, every recorded attestation with another hash is slashed
//!   `disagreement_slash_fraction` of the power it attested with (through staking's `slash`,
//!   as for downtime; an unbonded or removed validator is skipped). A settled job stays
//!   watched until its deadline (at most [`MAX_LATE_JOBS`] at once): a validator whose
//!   first result arrives after settlement is recorded and judged the same way.
//! - **Outcome.** The requester's hook hears the settled or expired job. It runs in a child
//!   context: an error that is not internal discards the hook's writes (the job stays
//!   settled; an `attest_hook_failed` event says why); an internal error halts the block.

use std::collections::BTreeMap;
use std::sync::Arc;

use deai_framework::{sdk, Ctx, GasMeter, TxError};
use deai_proto::attest::v1 as pb;
use deai_staking::{StakingHooks, StakingRead};

use crate::events;
use crate::extension::JobResult;
use crate::keeper::{AttestRead, AttestWrite, MAX_ATTESTATIONS, MAX_LATE_JOBS};

/// What a requesting module implements to hear the outcome of its jobs.
pub trait AttestHooks: Send + Sync {
    /// `job` has just settled (`JOB_STATE_SETTLED`, with `result_hash`) or expired.
    fn on_outcome(&self, ctx: &mut Ctx, job: &pb::Job) -> Result<(), TxError>;
}

/// No requester hears anything (unit tests, tools).
pub struct NoHooks;

impl AttestHooks for NoHooks {
    fn on_outcome(&self, _: &mut Ctx, _: &pb::Job) -> Result<(), TxError> {
        Ok(())
    }
}

/// The commit votes of `votes` with a result for `job`, with that result.
fn results_for<'v>(
    job: &'v pb::Job,
    votes: &'v [CommitVote],
) -> impl Iterator<Item = (&'v CommitVote, [u8; 32])> + 'v {
    votes
        .iter()
        .filter(|v| v.committed && v.power > 0)
        .filter_map(move |v| {
            let i = v.results.binary_search_by_key(&job.id, |r| r.0).ok()?;
            Some((v, v.results[i].1))
        })
}

/// Records the first attestation of each validator with a result for `job` in `votes`;
/// returns the new records.
fn record(
    ctx: &mut Ctx,
    job: &pb::Job,
    vote_height: u64,
    votes: &[CommitVote],
) -> Result<Vec<pb::Attestation>, TxError> {
    let mut new = Vec::new();
    for (v, hash) in results_for(job, votes) {
        if ctx.attestation(job.id, &v.cons)?.is_some() {
            continue;
        }
        let a = pb::Attestation {
            job_id: job.id,
            validator: deai_staking::address::cons_to_bech32(&deai_framework::Address::from_bytes(
                &v.cons,
            )?),
            result_hash: hash.to_vec(),
            height: vote_height,
            power: v.power,
            penalized: false,
        };
        ctx.put_attestation(job.id, &v.cons, &a)?;
        new.push(a);
    }
    Ok(new)
}

/// One validator's vote in an extended commit, as FinalizeBlock reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitVote {
    /// The 20-byte consensus address.
    pub cons: Vec<u8>,
    pub power: i64,
    /// A commit vote (the only kind that carries an extension).
    pub committed: bool,
    /// The decoded extension (empty if none or malformed).
    pub results: Vec<JobResult>,
}

/// The settlement machinery: the requesters' hooks and staking's (for penalties).
#[derive(Clone)]
pub struct Settler {
    pub hooks: Arc<dyn AttestHooks>,
    pub staking_hooks: Arc<dyn StakingHooks>,
}

impl Settler {
    pub fn new(hooks: Arc<dyn AttestHooks>, staking_hooks: Arc<dyn StakingHooks>) -> Self {
        Self {
            hooks,
            staking_hooks,
        }
    }

    /// Tallies the extended commit of `vote_height` (see the module docs), then judges the
    /// late attestations of the jobs settled earlier in their window.
    pub fn apply_commit(
        &self,
        ctx: &mut Ctx,
        vote_height: u64,
        votes: &[CommitVote],
    ) -> Result<(), TxError> {
        let total = votes
            .iter()
            .try_fold(0i64, |acc, v| acc.checked_add(v.power.max(0)))
            .ok_or_else(|| sdk::internal("commit power overflows"))?;
        if total <= 0 {
            return Ok(());
        }
        for mut job in ctx.pending_jobs()? {
            if job.requested_at >= vote_height {
                continue;
            }
            let mut by_hash: BTreeMap<[u8; 32], i64> = BTreeMap::new();
            for (v, hash) in results_for(&job, votes) {
                let p = by_hash.entry(hash).or_insert(0);
                *p = p.saturating_add(v.power);
            }
            record(ctx, &job, vote_height, votes)?;
            let winner = by_hash
                .iter()
                .find(|(_, &p)| i128::from(p) * 3 > i128::from(total) * 2);
            let Some((hash, &power)) = winner else {
                continue;
            };
            job.state = pb::JobState::Settled as i32;
            job.result_hash = hash.to_vec();
            job.settled_at = ctx.block.height;
            job.settled_power = power;
            job.total_power = total;
            ctx.put_job(&job)?;
            ctx.emit(events::job_settled(&job, vote_height));
            for a in ctx.attestations(job.id, MAX_ATTESTATIONS)? {
                self.judge(ctx, &job, a)?;
            }
            if job.deadline > ctx.block.height && ctx.late_count()? < MAX_LATE_JOBS {
                ctx.watch_late(job.id, true)?;
            }
            self.tell(ctx, &job)?;
        }
        // A result that reaches the chain after settlement is judged as well: a validator
        // cannot escape the penalty by lying late.
        for job in ctx.late_jobs()? {
            if job.settled_at == ctx.block.height {
                continue; // judged above
            }
            for a in record(ctx, &job, vote_height, votes)? {
                self.judge(ctx, &job, a)?;
            }
        }
        Ok(())
    }

    /// Expires the pending jobs whose deadline is this height or earlier, and stops
    /// watching settled ones whose window ended.
    pub fn expire(&self, ctx: &mut Ctx) -> Result<(), TxError> {
        let now = ctx.block.height;
        for mut job in ctx.pending_jobs()? {
            if job.deadline > now {
                continue;
            }
            job.state = pb::JobState::Expired as i32;
            ctx.put_job(&job)?;
            ctx.emit(events::job_expired(&job));
            self.tell(ctx, &job)?;
        }
        for job in ctx.late_jobs()? {
            if job.deadline <= now {
                ctx.watch_late(job.id, false)?;
            }
        }
        Ok(())
    }

    /// Slashes the validator of attestation `a` if its hash differs from the settled one
    /// (once: the record says it was penalised).
    fn judge(&self, ctx: &mut Ctx, job: &pb::Job, mut a: pb::Attestation) -> Result<(), TxError> {
        if a.result_hash == job.result_hash || a.penalized {
            return Ok(());
        }
        let fraction = ctx.attest_params()?.disagreement_slash_fraction;
        let cons = deai_staking::address::cons_from_bech32(&a.validator)
            .map_err(|_| sdk::internal("corrupt attestation validator"))?;
        let slashable = match ctx.validator_by_cons(cons.as_bytes())? {
            Some(op) => ctx
                .validator(&op)?
                .is_some_and(|v| v.status != deai_staking::keeper::UNBONDED),
            None => false,
        };
        let slashed = if slashable {
            let height = i64::try_from(a.height).unwrap_or(i64::MAX);
            deai_staking::slash(
                ctx,
                &*self.staking_hooks,
                cons.as_bytes(),
                height,
                a.power,
                fraction,
            )?
            .total()
        } else {
            0
        };
        a.penalized = true;
        ctx.put_attestation(job.id, cons.as_bytes(), &a)?;
        ctx.emit(events::attestation_disagreed(&a, slashed));
        Ok(())
    }

    fn tell(&self, ctx: &mut Ctx, job: &pb::Job) -> Result<(), TxError> {
        let gas = GasMeter::infinite();
        let mut child = ctx.child(&gas);
        match self.hooks.on_outcome(&mut child, job) {
            Ok(()) => {
                let (writes, events) = child.finish();
                ctx.absorb(writes, events);
                Ok(())
            }
            Err(e) if e.code == sdk::INTERNAL => Err(e),
            Err(e) => {
                drop(child);
                ctx.emit(events::hook_failed(job, &e.log));
                Ok(())
            }
        }
    }
}
