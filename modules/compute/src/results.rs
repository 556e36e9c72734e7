//! Results and how they conclude an order (disagreements and spot checks go to `audits`).
//!
//! - `none`: the first result completes the order.
//! - `redundant` and `spot_check`: once every active lease of the order has a result, the
//!   result hashes (each the head of its checkpoint chain) are compared. All equal: the
//!   order completes with that hash, unless a `spot_check` order draws an audit. Any
//!   difference: the order is `disputed` and the segment before the first divergent
//!   checkpoint is audited (see `audits`); its leases stay active but no longer accrue
//!   (settlement only runs for leased orders) and its escrow is held. A majority never wins
//!   without an audit: k colluding providers would otherwise outvote one honest one.
//!
//! Completing settles the order's leases up to now (the caller has), ends each active lease
//! `completed` (releasing its provider's use, refunding its bid deposit and paying out its
//! earnings), refunds the unspent escrow to the owner and records the accepted hash on the
//! order.
//!
//! A lease with no result when it is touched at or after `created_at + max_blocks` ends
//! `closed` (after being settled through its last block). If no active lease is left, the
//! order closes and its escrow is refunded; otherwise the order concludes on the results of
//! the leases still active.

use deai_bank::BankWrite;
use deai_framework::{sdk, Ctx, TxError};
use deai_proto::compute::v1::{self as pb, EscrowState, LeaseState, OrderState, VerificationMode};

use crate::audits::{maybe_spot_check, open_dispute};
use crate::events;
use crate::keeper::{stored_addr, ComputeRead, ComputeWrite};
use crate::msgs::{close_order_refunding, coins_of, emit_all};
use crate::settle::end_lease;
use crate::MODULE_NAME;
use deai_framework::dec::Dec;

/// The height at which a lease stops accruing and stops accepting a result.
pub(crate) fn lease_end(order: &pb::Order, lease: &pb::Lease) -> u64 {
    lease.created_at.saturating_add(order.max_blocks)
}

/// Ends (`closed`) the just-settled active leases of a leased order that ran out without a
/// result, then concludes the order if that decided it. Returns whether the order left
/// `leased`.
pub(crate) fn expire_leases(
    ctx: &mut Ctx,
    order: &pb::Order,
    active: Vec<pb::Lease>,
) -> Result<bool, TxError> {
    let now = ctx.block.height;
    let mut expired = false;
    for lease in active {
        if now >= lease_end(order, &lease) && ctx.get_result(order.id, lease.id)?.is_none() {
            end_lease(ctx, order, lease, LeaseState::Closed)?;
            expired = true;
        }
    }
    if !expired {
        return Ok(false);
    }
    conclude(ctx, order.id)
}

/// Decides a leased, settled order from its results if it can. Returns whether the order
/// left `leased`.
pub(crate) fn conclude(ctx: &mut Ctx, order_id: u64) -> Result<bool, TxError> {
    let order = ctx
        .get_order(order_id)?
        .ok_or_else(|| sdk::internal(format!("concluding missing order {order_id}")))?;
    if order.state != OrderState::Leased as i32 {
        return Ok(false);
    }
    let active: Vec<pb::Lease> = ctx
        .leases_of_order(order_id)?
        .into_iter()
        .filter(|l| l.state == LeaseState::Active as i32)
        .collect();
    if active.is_empty() {
        close_order_refunding(ctx, order, "leases ended without a result")?;
        return Ok(true);
    }
    let mut results = Vec::with_capacity(active.len());
    for l in &active {
        if let Some(r) = ctx.get_result(order_id, l.id)? {
            results.push(r);
        }
    }
    // A compute-to-data order is never audited (no referee has its data); its creation
    // requires `none`, and this holds even for a state imported from elsewhere.
    let mode = order
        .verification
        .as_ref()
        .filter(|_| order.dataset_id == 0)
        .map(|v| v.mode)
        .unwrap_or(VerificationMode::None as i32);
    let Some(first) = results.first().cloned() else {
        return Ok(false);
    };
    if mode == VerificationMode::None as i32 {
        complete(ctx, order, active, first.result_hash)?;
        return Ok(true);
    }
    if results.len() < active.len() {
        return Ok(false);
    }
    if !results.iter().all(|r| r.result_hash == first.result_hash) {
        open_dispute(ctx, order, &results)?;
        return Ok(true);
    }
    if mode == VerificationMode::SpotCheck as i32 {
        let rate = order
            .verification
            .as_ref()
            .map(|v| Dec::parse(&v.spot_check_rate))
            .transpose()
            .map_err(|e| sdk::internal(format!("stored spot-check rate: {e}")))?
            .unwrap_or(Dec::ZERO);
        if maybe_spot_check(ctx, &order, &results, rate)? {
            return Ok(true);
        }
    }
    complete(ctx, order, active, first.result_hash)?;
    Ok(true)
}

/// Completes a settled (or audited) order: the given active leases end `completed`, the
/// unspent escrow goes back to the owner and the order records the accepted hash.
pub(crate) fn complete(
    ctx: &mut Ctx,
    mut order: pb::Order,
    active: Vec<pb::Lease>,
    result_hash: Vec<u8>,
) -> Result<(), TxError> {
    for lease in active {
        end_lease(ctx, &order, lease, LeaseState::Completed)?;
    }
    let owner = stored_addr(&order.owner)?;
    let mut escrow = ctx
        .get_escrow(order.id)?
        .ok_or_else(|| sdk::internal(format!("order {} has no escrow account", order.id)))?;
    let mut balance = deai_framework::Coin::from_proto(
        escrow
            .balance
            .as_ref()
            .ok_or_else(|| sdk::internal("escrow without balance"))?,
    )?;
    if balance.amount > 0 {
        let t = ctx.send_from_module(MODULE_NAME, &owner, &coins_of(&balance)?)?;
        emit_all(ctx, t);
    }
    balance.amount = 0;
    escrow.balance = Some(balance.to_proto());
    escrow.settled_at = ctx.block.height;
    escrow.state = EscrowState::Closed as i32;
    ctx.put_escrow(&escrow)?;
    order.state = OrderState::Completed as i32;
    order.result_hash = result_hash.clone();
    ctx.put_order(&order)?;
    ctx.emit(events::order_completed(order.id, result_hash));
    Ok(())
}
