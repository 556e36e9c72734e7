//! A task's life after its proposal: voting and the code check start when the deposit is
//! reached ([`start_voting`]); the attest module reports the check ([`on_attested`]); the
//! end block expires deposit periods and tallies ended votes ([`end_block`]), launching,
//! rejecting or vetoing the task. Money: the pool and the deposits sit in the module account
//! until the task finishes; then the pool goes to the training task (launched) or back to
//! the proposer, and the deposits back to their depositors (burned when vetoed).
//!
//! Bound: at most [`MAX_TASKS_PER_BLOCK`] tasks finish per end block (deposit periods
//! first), each queue in (height, id) order; the rest wait for the next blocks and take no
//! deposits or votes meanwhile. One task's finish costs at most `MAX_VOTERS` × bonded
//! validators reads (the tally) plus `MAX_DEPOSITORS` refunds.

use deai_attest::wire::TaskCodeSpec;
use deai_bank::BankWrite;
use deai_framework::dec::Dec;
use deai_framework::handler::{coins_of, emit_all};
use deai_framework::{records, sdk, Address, Coin, Coins, Ctx, GasMeter, StateWrite, TxError};
use deai_gov::tally::{tally_votes, Options, Thresholds, Verdict};
use deai_proto::attest::v1 as apb;
use deai_proto::task::v1 as pb;

use crate::keeper::{TaskRead, TaskWrite};
use crate::params::Params;
use crate::{events, state_key, MODULE_ACCOUNT, MODULE_NAME};

/// Most tasks finished (expired or tallied) in one end block.
pub const MAX_TASKS_PER_BLOCK: usize = 16;

const DEPOSIT: i32 = pb::TaskState::Deposit as i32;
const VERIFYING: i32 = pb::TaskState::Verifying as i32;
const PENDING: i32 = pb::AttestationStatus::Pending as i32;
const ATTESTED: i32 = pb::AttestationStatus::Attested as i32;

/// The code-check job spec of a task (`deai_attest::wire::TaskCodeSpec`, JSON).
pub fn code_spec(
    spec: &deai_proto::training::v1::TaskSpec,
    sample_rows: u32,
) -> Result<Vec<u8>, TxError> {
    let base_spec = String::from_utf8(spec.base_spec.clone())
        .map_err(|_| sdk::invalid_request("base_spec must be UTF-8 JSON"))?;
    let s = TaskCodeSpec {
        base_spec,
        base_spec_sha256: hex::encode(&spec.base_spec_sha256),
        dataset_sha256: hex::encode(&spec.dataset_sha256),
        dataset_uri: spec.dataset_uri.clone(),
        sample_rows,
    };
    serde_json::to_vec(&s).map_err(|e| sdk::internal(format!("task code spec: {e}")))
}

/// The deposit was reached: requests the code check (its error fails the tx), opens the
/// vote and writes the task.
pub(crate) fn start_voting(
    ctx: &mut Ctx,
    t: &mut pb::Task,
    params: &Params,
) -> Result<(), TxError> {
    let spec = t
        .spec
        .as_ref()
        .ok_or_else(|| sdk::internal(format!("task {} has no spec", t.id)))?;
    let job = deai_attest::request(
        ctx,
        apb::JobKind::TaskCode,
        MODULE_NAME,
        t.id,
        code_spec(spec, params.sample_rows)?,
    )?;
    let now = ctx.block.height;
    ctx.delete(state_key::deposit_end(t.deposit_end, t.id))?;
    t.state = VERIFYING;
    t.voting_start = now;
    t.voting_end = now.saturating_add(params.voting_period);
    t.attest_job_id = job;
    t.attestation = PENDING;
    ctx.put(state_key::voting_end(t.voting_end, t.id), Vec::new())?;
    ctx.put_task_record(t)?;
    ctx.emit(events::voting_started(t));
    Ok(())
}

/// The attest module's report on a job it settled (`JOB_STATE_SETTLED`, with its result
/// hash) or expired. The app calls it for the jobs whose requester is `"task"`. A job this
/// module does not know, or of a task that is no longer waiting for it, is ignored.
pub fn on_attested(ctx: &mut Ctx, job: &apb::Job) -> Result<(), TxError> {
    if job.requester != MODULE_NAME {
        return Ok(());
    }
    let Some(mut t) = ctx.task_record(job.subject_id)? else {
        return Ok(());
    };
    if t.attest_job_id != job.id || t.state != VERIFYING || t.attestation != PENDING {
        return Ok(());
    }
    match apb::JobState::try_from(job.state) {
        Ok(apb::JobState::Settled) if job.result_hash.len() == 32 => {
            t.attestation = ATTESTED;
            t.attestation_result_hash = job.result_hash.clone();
        }
        Ok(apb::JobState::Settled | apb::JobState::Expired) => {
            t.attestation = pb::AttestationStatus::Failed as i32;
        }
        _ => return Ok(()),
    }
    t.attested_at = ctx.block.height;
    ctx.put_task_record(&t)?;
    ctx.emit(events::attested(&t));
    Ok(())
}

pub fn end_block(ctx: &mut Ctx) -> Result<(), TxError> {
    let now = ctx.block.height;
    let expired = ctx.due_ids(
        &state_key::deposit_end_queue(),
        &state_key::deposit_end_through(now),
        MAX_TASKS_PER_BLOCK,
    )?;
    let left = MAX_TASKS_PER_BLOCK.saturating_sub(expired.len());
    for id in expired {
        expire_deposit(ctx, id)?;
    }
    let ended = ctx.due_ids(
        &state_key::voting_end_queue(),
        &state_key::voting_end_through(now),
        left,
    )?;
    for id in ended {
        finish_voting(ctx, id)?;
    }
    Ok(())
}

fn queued(ctx: &Ctx, id: u64) -> Result<pb::Task, TxError> {
    ctx.task_full(id)?
        .ok_or_else(|| sdk::internal(format!("task queue names missing task {id}")))
}

/// Pays a task's pool back to its proposer.
fn refund_pool(ctx: &mut Ctx, t: &pb::Task) -> Result<(), TxError> {
    let proposer = records::stored_addr(&t.proposer)?;
    let pool = pool_of(t)?;
    let ev = ctx.send_from_module(MODULE_ACCOUNT, &proposer, &coins_of(&pool)?)?;
    emit_all(ctx, ev);
    Ok(())
}

pub(crate) fn pool_of(t: &pb::Task) -> Result<Coin, TxError> {
    let c = t
        .reward_pool
        .as_ref()
        .ok_or_else(|| sdk::internal(format!("task {} has no pool", t.id)))?;
    Coin::from_proto(c).map_err(|e| sdk::internal(format!("corrupt task pool: {}", e.log)))
}

pub(crate) fn total_of(t: &pb::Task) -> Result<Coins, TxError> {
    Coins::from_proto(&t.total_deposit)
        .map_err(|e| sdk::internal(format!("corrupt task deposit: {}", e.log)))
}

/// Pays every deposit of a task back.
fn refund_deposits(ctx: &mut Ctx, id: u64) -> Result<(), TxError> {
    for d in ctx.task_deposits(id)? {
        let to = records::stored_addr(&d.depositor)?;
        let amount = Coins::from_proto(&d.amount)
            .map_err(|e| sdk::internal(format!("corrupt task deposit: {}", e.log)))?;
        let ev = ctx.send_from_module(MODULE_ACCOUNT, &to, &amount)?;
        emit_all(ctx, ev);
    }
    Ok(())
}

fn expire_deposit(ctx: &mut Ctx, id: u64) -> Result<(), TxError> {
    let mut t = queued(ctx, id)?;
    ctx.delete(state_key::deposit_end(t.deposit_end, id))?;
    if t.state != DEPOSIT {
        return Ok(()); // a stale entry (never written: start_voting deletes it)
    }
    refund_pool(ctx, &t)?;
    refund_deposits(ctx, id)?;
    t.state = pb::TaskState::Rejected as i32;
    t.reason = pb::Reason::DepositExpired as i32;
    t.detail = "the deposit did not reach min_deposit in time".into();
    t.finished_at = ctx.block.height;
    ctx.clear_votes_and_deposits(id)?;
    ctx.put_task_record(&t)?;
    ctx.emit(events::rejected(&t));
    Ok(())
}

/// The votes of a task as the tally takes them (one option, weight 1).
fn votes(ctx: &Ctx, id: u64) -> Result<Vec<(Address, Options)>, TxError> {
    ctx.task_votes(id)?
        .into_iter()
        .map(|v| Ok((records::stored_addr(&v.voter)?, vec![(v.option, Dec::ONE)])))
        .collect()
}

fn finish_voting(ctx: &mut Ctx, id: u64) -> Result<(), TxError> {
    let mut t = queued(ctx, id)?;
    ctx.delete(state_key::voting_end(t.voting_end, id))?;
    if t.state != VERIFYING {
        return Ok(()); // a stale entry (never written)
    }
    let params = ctx.task_params()?;
    let thresholds = Thresholds {
        quorum: params.quorum,
        threshold: params.threshold,
        veto_threshold: params.veto_threshold,
    };
    let votes = votes(ctx, id)?;
    let tally = tally_votes(&*ctx, &votes, &thresholds)?;
    let r = tally.result;
    t.final_tally = Some(pb::TallyResult {
        yes_count: r.yes_count,
        abstain_count: r.abstain_count,
        no_count: r.no_count,
        no_with_veto_count: r.no_with_veto_count,
    });
    t.finished_at = ctx.block.height;
    let rejected = |t: &mut pb::Task, reason: pb::Reason, detail: &str| {
        t.state = pb::TaskState::Rejected as i32;
        t.reason = reason as i32;
        t.detail = detail.to_string();
    };
    match tally.verdict {
        Verdict::Vetoed => {
            refund_pool(ctx, &t)?;
            let burned = total_of(&t)?;
            let ev = ctx.burn(MODULE_ACCOUNT, &burned)?;
            emit_all(ctx, ev);
            t.state = pb::TaskState::Vetoed as i32;
            t.reason = pb::Reason::Vetoed as i32;
            t.detail = "vetoed: the deposits are burned".into();
            ctx.clear_votes_and_deposits(id)?;
            ctx.put_task_record(&t)?;
            ctx.emit(events::vetoed(&t, &burned));
            return Ok(());
        }
        Verdict::Passed if t.attestation == ATTESTED => match launch(ctx, &t)? {
            Ok(training_id) => {
                t.state = pb::TaskState::Launched as i32;
                t.reason = pb::Reason::Launched as i32;
                t.training_task_id = training_id;
            }
            Err(e) => {
                refund_pool(ctx, &t)?;
                rejected(&mut t, pb::Reason::LaunchFailed, &e);
            }
        },
        Verdict::Passed => {
            refund_pool(ctx, &t)?;
            if t.attestation == PENDING {
                rejected(
                    &mut t,
                    pb::Reason::AttestationPending,
                    "passed, but the code check had not settled",
                );
            } else {
                rejected(
                    &mut t,
                    pb::Reason::AttestationFailed,
                    "passed, but the code check expired without agreement",
                );
            }
        }
        Verdict::NoQuorum => {
            refund_pool(ctx, &t)?;
            rejected(
                &mut t,
                pb::Reason::NoQuorum,
                "the vote did not reach the quorum",
            );
        }
        Verdict::NoBondedStake | Verdict::AllAbstain | Verdict::Rejected => {
            refund_pool(ctx, &t)?;
            rejected(&mut t, pb::Reason::NotPassed, "not enough yes votes");
        }
    }
    refund_deposits(ctx, id)?;
    ctx.clear_votes_and_deposits(id)?;
    ctx.put_task_record(&t)?;
    if t.state == pb::TaskState::Launched as i32 {
        ctx.emit(events::launched(&t));
    } else {
        ctx.emit(events::rejected(&t));
    }
    Ok(())
}

/// Launches a passed and attested task through the training module's one creation path:
/// the pool goes back to the proposer, who then creates the training task with it, all on
/// a child context kept only if both succeed. `Ok(Err(why))`: the training module refused
/// (its params changed since the proposal); the pool is still escrowed here. A storage
/// fault (an internal error) halts the block.
fn launch(ctx: &mut Ctx, t: &pb::Task) -> Result<Result<u64, String>, TxError> {
    let proposer = records::stored_addr(&t.proposer)?;
    let pool = pool_of(t)?;
    let spec = t
        .spec
        .clone()
        .ok_or_else(|| sdk::internal(format!("task {} has no spec", t.id)))?;
    let gas = GasMeter::infinite();
    let outcome = {
        let mut child = ctx.child(&gas);
        let r = child
            .send_from_module(MODULE_ACCOUNT, &proposer, &coins_of(&pool)?)
            .and_then(|ev| {
                emit_all(&mut child, ev);
                deai_training::create_task(&mut child, &proposer, spec, &pool)
            });
        match r {
            Ok(id) => Ok((id, child.finish())),
            Err(e) => Err(e),
        }
    };
    match outcome {
        Ok((id, (writes, evs))) => {
            ctx.absorb(writes, evs);
            Ok(Ok(id))
        }
        Err(e) if e.is_internal() => Err(e),
        Err(e) => Ok(Err(format!(
            "the training module refused the task: {}",
            e.log
        ))),
    }
}
