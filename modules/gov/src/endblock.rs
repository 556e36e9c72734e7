//! The end block: the SDK v0.50 `EndBlocker`. Proposals whose deposit period ended are
//! dropped (deposits refunded, or burned under `burn_proposal_deposit_prevote`); proposals
//! whose voting period ended are tallied, and a passed one executes its messages as the
//! gov account on a child context, kept only if every message succeeds.
//!
//! Bound: at most [`MAX_PROPOSALS_PER_BLOCK`] proposals are processed per block, deposit
//! period ends first, each queue in (end time, id) order; the rest wait for the next
//! blocks (they take no deposits or votes meanwhile, see `keeper::add_deposit` and
//! `msgs::vote`). One tally costs at most `MAX_VOTERS` × bonded validators reads.

use cosmos_sdk_proto::cosmos::gov::v1 as pb;

use deai_bank::BankRead;
use deai_framework::coins::MAX_COINS_PER_SET;
use deai_framework::keys::{through, trailing_id};
use deai_framework::{sdk, Coins, Ctx, GasMeter, StateRead, TxError};

use crate::msgs::gov_account;

use crate::keeper::{
    delete_and_burn_deposits, refund_and_delete_deposits, secs, ts, GovRead, GovWrite, FAILED,
    PASSED, REJECTED,
};
use crate::tally::tally;
use crate::{events, state_key, MODULE_NAME};

/// Most proposals dropped or tallied in one end block.
pub const MAX_PROPOSALS_PER_BLOCK: usize = 16;

/// Ids of up to `limit` proposals in the queue `table` whose time is at or before `now`.
fn due(ctx: &Ctx, table: &str, prefix: &[u8], now: i64, limit: usize) -> Result<Vec<u64>, TxError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let end = through(MODULE_NAME, table, u64::try_from(now).unwrap_or(0));
    ctx.scan(prefix, Some(&end), false, limit)?
        .iter()
        .map(|(k, _)| trailing_id(k).ok_or_else(|| sdk::internal("corrupt gov queue key")))
        .collect()
}

pub fn end_blocker(ctx: &mut Ctx) -> Result<(), TxError> {
    let now = ctx.block.time_unix;
    let dropped = due(
        ctx,
        "inactive",
        &state_key::inactive_prefix(),
        now,
        MAX_PROPOSALS_PER_BLOCK,
    )?;
    let left = MAX_PROPOSALS_PER_BLOCK.saturating_sub(dropped.len());
    for id in dropped {
        drop_proposal(ctx, id)?;
    }
    for id in due(ctx, "active", &state_key::active_prefix(), now, left)? {
        finish_voting(ctx, id)?;
    }
    Ok(())
}

fn queued(ctx: &Ctx, id: u64) -> Result<pb::Proposal, TxError> {
    ctx.proposal(id)?
        .ok_or_else(|| sdk::internal(format!("gov queue names missing proposal {id}")))
}

/// A proposal that did not reach its minimum deposit in time.
fn drop_proposal(ctx: &mut Ctx, id: u64) -> Result<(), TxError> {
    queued(ctx, id)?;
    ctx.delete_proposal(id)?;
    if ctx.gov_params()?.burn_proposal_deposit_prevote {
        delete_and_burn_deposits(ctx, id)?;
    } else {
        refund_and_delete_deposits(ctx, id)?;
    }
    ctx.emit(events::inactive_proposal(id));
    Ok(())
}

/// Whether the gov account still holds at least `before` (the escrowed deposits of other
/// proposals, which must stay refundable).
fn keeps_escrow(s: &Ctx, before: &Coins) -> Result<bool, TxError> {
    for c in before.iter() {
        if s.balance(&gov_account(), &c.denom)? < c.amount {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Runs a passed proposal's messages as the gov account; on the first failure nothing of
/// them is kept and the error is returned. Messages may not spend what the gov account
/// escrows (other proposals' deposits): their refunds would fail and halt the end block.
fn execute_messages(ctx: &mut Ctx, p: &pb::Proposal) -> Result<Result<(), String>, TxError> {
    let Some(router) = ctx.router() else {
        return Ok(Err("no message router in the end block".to_string()));
    };
    let before = ctx.balances(&gov_account(), MAX_COINS_PER_SET + 1)?;
    let gas = GasMeter::infinite();
    let result = {
        let mut child = ctx.child(&gas);
        let mut failed = None;
        for (i, any) in p.messages.iter().enumerate() {
            let r = router.decode(any).and_then(|m| m.execute(&mut child));
            if let Err(e) = r {
                failed = Some(format!(
                    "msg {i} ({}) failed on execution: {e}",
                    any.type_url
                ));
                break;
            }
        }
        if failed.is_none() && !keeps_escrow(&child, &before)? {
            failed = Some("proposal messages may not spend the deposits gov escrows".into());
        }
        match failed {
            None => Ok(child.finish()),
            Some(e) => Err(e),
        }
    };
    Ok(result.map(|(writes, evs)| ctx.absorb(writes, evs)))
}

fn finish_voting(ctx: &mut Ctx, id: u64) -> Result<(), TxError> {
    let mut p = queued(ctx, id)?;
    let params = ctx.gov_params()?;
    let outcome = tally(&*ctx as &dyn StateRead, &p, &params)?;
    // A failed expedited proposal keeps its deposits: it becomes a regular one.
    if !p.expedited || outcome.passes {
        if outcome.burn_deposits {
            delete_and_burn_deposits(ctx, id)?;
        } else {
            refund_and_delete_deposits(ctx, id)?;
        }
    }
    let (tag, log) = if outcome.passes {
        match execute_messages(ctx, &p)? {
            Ok(()) => {
                p.status = PASSED;
                (events::PROPOSAL_PASSED, "passed".to_string())
            }
            Err(e) => {
                p.status = FAILED;
                p.failed_reason = e.clone();
                (events::PROPOSAL_FAILED, format!("passed, but {e}"))
            }
        }
    } else if p.expedited {
        // Converted to a regular proposal: the voting period runs on from its start, and the
        // votes cast so far still count.
        p.expedited = false;
        let end = secs(&p.voting_start_time).saturating_add(params.voting_period_secs);
        p.voting_end_time = Some(ts(end));
        (
            events::EXPEDITED_PROPOSAL_REJECTED,
            "expedited proposal converted to regular".to_string(),
        )
    } else {
        p.status = REJECTED;
        p.failed_reason = "proposal did not get enough votes to pass".into();
        (events::PROPOSAL_REJECTED, "rejected".to_string())
    };
    p.final_tally_result = Some(outcome.result);
    if p.status != crate::keeper::VOTING_PERIOD {
        ctx.delete_votes(id)?;
    }
    ctx.put_proposal(&p)?;
    ctx.emit(events::active_proposal(id, tag, &log));
    Ok(())
}
