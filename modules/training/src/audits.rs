//! Proof-of-learning audits (docs/training.md): refereed replay of one segment of a claim,
//! judged by `deai_framework::audit::judge`, slashing through `deai_bank::route_slash`.
//!
//! - **Open** (MsgOpenAudit): a validator of the task accuses a revealed update (claim:
//!   its checkpoint hashes then its update hash, judged at the last index: the update hash)
//!   or a submitted aggregate (claim: `[base_hash, aggregate_hash]`, segment 0), and
//!   escrows `audit_bond`. The accused is the address that committed or submitted it. A
//!   referee is drawn by stake among the task's unjailed permit holders other than the
//!   auditor and the accused, with `audit_window` blocks to answer. The accused cannot
//!   remove stake meanwhile.
//! - **Answer** (MsgSubmitAudit): upheld if the claim's hash at `segment + 1` is not the
//!   referee's answer: `slash_fraction` of the accused's stake (bonded, then unbonding
//!   entries) is slashed, at most `auditor_reward_fraction` of it to the auditor and the
//!   rest to the task's pool (the community pool once the task finished); the accused is
//!   jailed and the bond refunded. Rejected: the bond goes to the accused.
//! - **Deadline** (`end_block`, at most [`MAX_AUDIT_DEADLINES_PER_BLOCK`] a block): a silent
//!   referee is replaced; after `max_audit_draws` referees the audit is abandoned and the
//!   bond refunded.

use deai_bank::{route_slash, BankWrite, Claim, COMMUNITY_POOL};
use deai_framework::audit::judge;
use deai_framework::{draw, sdk, Address, Coin, Coins, Ctx, StateRead, TxError};
use deai_proto::training::v1::{self as pb, AuditState};

use crate::keeper::{stored_addr, TrainingRead, TrainingWrite};
use crate::msgs::emit_all;
use crate::neurons::{coin_of, is_validator, stake_of};
use crate::{events, state_key, MODULE_ACCOUNT};

/// Most audit deadlines `end_block` handles in one block; the rest wait for the next blocks.
pub const MAX_AUDIT_DEADLINES_PER_BLOCK: usize = 64;
/// The counter of audit ids.
pub const AUDIT_SEQ: &str = "audit";
pub const REFEREE_DOMAIN: &str = "deai/training/referee";

/// Draws a referee for `audit_id` among the task's unjailed validators not in `excluded`
/// (in uid order); `None` if there is none.
pub(crate) fn draw_referee(
    ctx: &Ctx,
    task_id: u64,
    audit_id: u64,
    excluded: &[&str],
) -> Result<Option<String>, TxError> {
    // Permit holders (the top-k stake of the last epoch), drawn in proportion to stake: a
    // swarm of minimum-stake validators cannot capture the referee's seat; before the first
    // epoch, when nobody holds a permit, every validator is a candidate.
    let validators: Vec<pb::Neuron> = ctx
        .neurons_of(task_id)?
        .into_iter()
        .filter(|n| is_validator(n) && !n.jailed && !excluded.contains(&n.owner.as_str()))
        .collect();
    let permitted = validators.iter().any(|n| n.validator_permit);
    let mut candidates = Vec::with_capacity(validators.len());
    let mut total: u128 = 0;
    for n in validators {
        if permitted && !n.validator_permit {
            continue;
        }
        let stake = stake_of(&n)?;
        if stake == 0 {
            continue;
        }
        total = total.saturating_add(stake);
        candidates.push((total, n.owner));
    }
    // Saturated past 2^64 units of stake (the draw then favours the earlier uids slightly).
    let total = u64::try_from(total).unwrap_or(u64::MAX);
    if total == 0 {
        return Ok(None);
    }
    let k = u128::from(draw::below(
        REFEREE_DOMAIN,
        &ctx.block.prev_block_hash,
        audit_id,
        total,
    ));
    Ok(candidates
        .into_iter()
        .find(|(upto, _)| k < *upto)
        .map(|(_, owner)| owner))
}

fn pay(ctx: &mut Ctx, to: &Address, c: &Coin) -> Result<(), TxError> {
    if c.amount > 0 {
        let t = ctx.send_from_module(MODULE_ACCOUNT, to, &Coins::new(vec![c.clone()])?)?;
        emit_all(ctx, t);
    }
    Ok(())
}

/// Settles a pending audit: `upheld` slashes and jails the accused (see the module docs),
/// otherwise the bond goes to the accused. Writes the audit.
pub(crate) fn settle(
    ctx: &mut Ctx,
    mut audit: pb::Audit,
    upheld: bool,
    answer: Vec<u8>,
) -> Result<pb::Audit, TxError> {
    let accused = stored_addr(&audit.accused)?;
    let auditor = stored_addr(&audit.auditor)?;
    let bond = coin_of(&audit.bond, "audit bond")?;
    let mut neuron = ctx.neuron_of(audit.task_id, &accused)?;
    if let Some(n) = neuron.as_mut() {
        n.open_audits = n.open_audits.saturating_sub(1);
    }
    if upheld {
        slash(ctx, &audit, neuron.as_mut())?;
        pay(ctx, &auditor, &bond)?;
        audit.state = AuditState::Upheld as i32;
    } else {
        pay(ctx, &accused, &bond)?;
        audit.state = AuditState::Rejected as i32;
    }
    if let Some(n) = &neuron {
        ctx.put_neuron(n)?;
    }
    audit.answer = answer;
    ctx.put_audit(&audit)?;
    ctx.emit(events::audit_settled(&audit));
    Ok(audit)
}

/// Slashes `slash_fraction` of the accused's stake in the task (bonded first, then its
/// unbonding entries by id), pays the auditor's share and adds the rest to the task's pool
/// (which lives in this module account; for a finished task, the community pool); jails
/// the neuron if it is still registered.
fn slash(ctx: &mut Ctx, audit: &pb::Audit, neuron: Option<&mut pb::Neuron>) -> Result<(), TxError> {
    let params = ctx.training_params()?;
    let accused = stored_addr(&audit.accused)?;
    let mut task = ctx
        .get_task(audit.task_id)?
        .ok_or_else(|| sdk::internal("audit of a missing task"))?;
    let mut pool = coin_of(&task.pool, "task pool")?;
    let entries = ctx.unbondings_of_neuron(task.id, &accused)?;
    let bonded = match &neuron {
        Some(n) => coin_of(&n.stake, "neuron stake")?.amount,
        None => 0,
    };
    let mut total = bonded;
    for e in &entries {
        total = total
            .checked_add(coin_of(&e.amount, "unbonding amount")?.amount)
            .ok_or_else(|| sdk::overflow("stake overflows"))?;
    }
    let amount = params
        .slash_fraction
        .mul_floor(total)
        .ok_or_else(|| sdk::overflow("slash overflows"))?;
    let mut left = amount;
    if let Some(n) = neuron {
        let mut stake = coin_of(&n.stake, "neuron stake")?;
        let take = left.min(stake.amount);
        stake.amount -= take;
        left -= take;
        n.stake = Some(stake.to_proto());
        n.jailed = true;
    }
    for mut e in entries {
        if left == 0 {
            break;
        }
        let mut c = coin_of(&e.amount, "unbonding amount")?;
        let take = left.min(c.amount);
        c.amount -= take;
        left -= take;
        if c.amount == 0 {
            ctx.remove_unbonding(&e)?;
        } else {
            e.amount = Some(c.to_proto());
            ctx.put_unbonding(&e)?;
        }
    }
    let slashed = Coin::new(pool.denom.clone(), amount)?;
    let cap = params
        .auditor_reward_fraction
        .mul_floor(amount)
        .ok_or_else(|| sdk::overflow("reward overflows"))?;
    let claims = [Claim {
        to: stored_addr(&audit.auditor)?,
        cap,
    }];
    // The rest stays in this module account as the task's pool, or goes to the community
    // pool once the task has finished (nothing would ever spend it there).
    let active = task.state == pb::TaskState::Active as i32;
    let rest_to = if active {
        MODULE_ACCOUNT
    } else {
        COMMUNITY_POOL
    };
    let routed = route_slash(ctx, MODULE_ACCOUNT, &slashed, &claims, rest_to)?;
    emit_all(ctx, routed.events.clone());
    if active {
        pool.amount = pool
            .amount
            .checked_add(routed.to_pool)
            .ok_or_else(|| sdk::overflow("pool overflows"))?;
        task.pool = Some(pool.to_proto());
        ctx.put_task(&task)?;
    }
    let part = |a: u128| Coin::new(slashed.denom.clone(), a);
    let to_auditor = part(routed.paid.first().copied().unwrap_or(0))?;
    ctx.emit(events::neuron_slashed(
        audit,
        &slashed,
        &to_auditor,
        &part(routed.to_pool)?,
    ));
    Ok(())
}

/// Redraws the referee of audits whose deadline passed, or abandons them.
pub(crate) fn end_block(ctx: &mut Ctx) -> Result<(), TxError> {
    let now = ctx.block.height;
    let start = state_key::audit_deadlines();
    let end = state_key::audit_deadlines_through(now);
    let max_draws = ctx.training_params()?.max_audit_draws;
    let window = ctx.training_params()?.audit_window;
    for (k, _) in ctx.scan(&start, Some(&end), false, MAX_AUDIT_DEADLINES_PER_BLOCK)? {
        let id = state_key::trailing_id(&k).ok_or_else(|| sdk::internal("corrupt deadline"))?;
        let mut audit = ctx
            .get_audit(id)?
            .ok_or_else(|| sdk::internal(format!("deadline of missing audit {id}")))?;
        if audit.state != AuditState::Pending as i32 {
            // put_audit removes the deadline of a settled audit; a leftover is a bug.
            return Err(sdk::internal(format!("deadline of settled audit {id}")));
        }
        if audit.draws < max_draws {
            let excluded = [
                audit.auditor.as_str(),
                audit.accused.as_str(),
                audit.referee.as_str(),
            ];
            if let Some(referee) = draw_referee(ctx, audit.task_id, audit.id, &excluded)? {
                audit.referee = referee;
                audit.draws = audit.draws.saturating_add(1);
                audit.deadline = now.saturating_add(window);
                ctx.put_audit(&audit)?;
                ctx.emit(events::audit_reassigned(&audit));
                continue;
            }
        }
        abandon(ctx, audit)?;
    }
    Ok(())
}

/// No referee answered: the bond goes back to the auditor.
fn abandon(ctx: &mut Ctx, mut audit: pb::Audit) -> Result<(), TxError> {
    let accused = stored_addr(&audit.accused)?;
    if let Some(mut n) = ctx.neuron_of(audit.task_id, &accused)? {
        n.open_audits = n.open_audits.saturating_sub(1);
        ctx.put_neuron(&n)?;
    }
    pay(
        ctx,
        &stored_addr(&audit.auditor)?,
        &coin_of(&audit.bond, "audit bond")?,
    )?;
    audit.state = AuditState::Abandoned as i32;
    ctx.put_audit(&audit)?;
    ctx.emit(events::audit_settled(&audit));
    Ok(())
}

/// The faultiness of a claim against the referee's answer (empty: no such hash).
pub(crate) fn judged_faulty(claim: &[Vec<u8>], segment: u32, answer: &[u8]) -> bool {
    let answer = (!answer.is_empty()).then_some(answer);
    judge(&[claim], segment, answer)
        .first()
        .copied()
        .unwrap_or(true)
}
