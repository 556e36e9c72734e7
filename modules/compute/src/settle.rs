//! Lazy settlement. A lease accrues `price × blocks` from its `settled_at` up to now (never
//! past `created_at + order.max_blocks`); nothing runs per block. An order's leases (at most
//! its redundancy, so at most 5) are settled together, in lease id order, when touched:
//! MsgWithdrawLease and MsgCloseOrder always, MsgDepositOrder at most every
//! `params.settle_interval` blocks.
//!
//! Each settlement moves `price × blocks` out of the order's escrow (its `transferred` grows):
//! the take goes at once to the [`COMMUNITY_POOL`] module account (cumulatively floored: a
//! lease's takes sum to `floor(total pay × take_rate)`, see `take`), the rest is
//! added to the lease's `unwithdrawn` and stays in the compute module account until the
//! provider collects it with MsgWithdrawLease, or the lease ends (it is paid out then). A
//! lease's `withdrawn` is what its provider has received.
//!
//! If the escrow cannot cover what is owed, what is there is paid, every active lease of
//! the order ends `insufficient_funds`, its escrow is `overdrawn` and the order closes.
//!
//! A lease touched at or after `created_at + max_blocks` without a result ends `closed` once
//! settled (see `results`).
//!
//! When a lease ends (closed, completed, insufficient funds), its provider's `in_use` and
//! `active_leases` are released and the deposit of its winning bid is refunded.

use deai_bank::BankWrite;
use deai_framework::{sdk, Coin, Ctx, TxError};
use deai_proto::compute::v1::{self as pb, BidState, EscrowState, LeaseState, OrderState};

use crate::events;
use crate::keeper::{stored_addr, ComputeRead, ComputeWrite};
use crate::msgs::{close_bid, close_order_refunding, coins_of, emit_all};
use crate::{COMMUNITY_POOL, MODULE_NAME};

fn coin(
    c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>,
    what: &str,
) -> Result<Coin, TxError> {
    Coin::from_proto(
        c.as_ref()
            .ok_or_else(|| sdk::internal(format!("compute record without {what}")))?,
    )
}

/// What settling one order did.
#[derive(Debug, Default)]
pub(crate) struct Settled {
    /// The order was overdrawn and is now closed.
    pub overdrawn: bool,
    /// Leases that ran out without a result ended, and that decided the order (it is now
    /// closed, completed or disputed).
    pub concluded: bool,
}

fn sub_resources(a: &pb::Resources, b: &pb::Resources) -> pb::Resources {
    pb::Resources {
        cpu_millis: a.cpu_millis.saturating_sub(b.cpu_millis),
        memory_bytes: a.memory_bytes.saturating_sub(b.memory_bytes),
        gpus: a.gpus.saturating_sub(b.gpus),
        storage_bytes: a.storage_bytes.saturating_sub(b.storage_bytes),
    }
}

/// Ends an active lease in `state`: its provider's use is released and the deposit of its
/// bid refunded.
pub(crate) fn end_lease(
    ctx: &mut Ctx,
    order: &pb::Order,
    mut lease: pb::Lease,
    state: LeaseState,
) -> Result<(), TxError> {
    payout(ctx, &mut lease)?;
    let owner = stored_addr(&lease.provider)?;
    if let Some(mut p) = ctx.get_provider(&owner)? {
        p.in_use = Some(sub_resources(
            &p.in_use.unwrap_or_default(),
            &order.resources.unwrap_or_default(),
        ));
        p.active_leases = p.active_leases.saturating_sub(1);
        ctx.put_provider(&owner, &p)?;
    }
    if let Some(mut bid) = ctx.get_bid(lease.bid_id)? {
        if bid.state == BidState::Active as i32 {
            close_bid(ctx, &mut bid, BidState::Closed)?;
        }
    }
    lease.state = state as i32;
    lease.closed_at = ctx.block.height;
    ctx.put_lease(&lease)?;
    let event = match state {
        LeaseState::InsufficientFunds => events::lease_insufficient_funds(&lease),
        LeaseState::Completed => events::lease_completed(&lease),
        // The audit that slashed it emits EventLeaseSlashed with its id.
        LeaseState::Slashed => return Ok(()),
        _ => events::lease_closed(&lease),
    };
    ctx.emit(event);
    Ok(())
}

/// Sends the take of a payment of `amount` to a lease already paid `paid_before` to the
/// community pool; returns (net, take). The take is `floor((paid_before + amount) × rate) −
/// floor(paid_before × rate)`: a lease's takes always sum to the floor of its total pay times
/// the rate, however often it is settled (flooring each small settlement alone would let a
/// provider that withdraws every block pay no take at all).
fn take(ctx: &mut Ctx, amount: &Coin, paid_before: u128) -> Result<(u128, u128), TxError> {
    let take_rate = ctx.compute_params()?.take_rate;
    let overflow = || sdk::overflow("take overflows");
    let after = paid_before
        .checked_add(amount.amount)
        .ok_or_else(overflow)?;
    let take = take_rate
        .mul_floor(after)
        .ok_or_else(overflow)?
        .saturating_sub(take_rate.mul_floor(paid_before).ok_or_else(overflow)?)
        .min(amount.amount);
    if take > 0 {
        let c = Coin::new(amount.denom.clone(), take)?;
        let t = ctx.send_module_to_module(MODULE_NAME, COMMUNITY_POOL, &coins_of(&c)?)?;
        emit_all(ctx, t);
    }
    Ok((amount.amount.saturating_sub(take), take))
}

/// Pays a lease's `unwithdrawn` to its provider (the caller writes the lease). Returns the
/// amount paid.
pub(crate) fn payout(ctx: &mut Ctx, lease: &mut pb::Lease) -> Result<Coin, TxError> {
    let mut owed = coin(&lease.unwithdrawn, "lease unwithdrawn")?;
    let paid = owed.clone();
    if paid.amount > 0 {
        let provider = stored_addr(&lease.provider)?;
        let t = ctx.send_from_module(MODULE_NAME, &provider, &coins_of(&paid)?)?;
        emit_all(ctx, t);
        let mut withdrawn = coin(&lease.withdrawn, "lease withdrawn")?;
        withdrawn.amount = withdrawn
            .amount
            .checked_add(paid.amount)
            .ok_or_else(|| sdk::overflow("lease withdrawn overflows"))?;
        lease.withdrawn = Some(withdrawn.to_proto());
        owed.amount = 0;
        lease.unwithdrawn = Some(owed.to_proto());
        ctx.emit(events::lease_withdrawn(lease, &paid));
    }
    Ok(paid)
}

/// Settles every active lease of a leased order up to now. On an overdraft the order's leases
/// end `insufficient_funds` and the order closes.
pub(crate) fn settle_order(ctx: &mut Ctx, order_id: u64) -> Result<Settled, TxError> {
    let mut out = Settled::default();
    let order = ctx
        .get_order(order_id)?
        .ok_or_else(|| sdk::internal(format!("settling missing order {order_id}")))?;
    if order.state != OrderState::Leased as i32 {
        return Ok(out);
    }
    let mut escrow = ctx
        .get_escrow(order_id)?
        .ok_or_else(|| sdk::internal(format!("order {order_id} has no escrow account")))?;
    let mut balance = coin(&escrow.balance, "escrow balance")?;
    let mut transferred = coin(&escrow.transferred, "escrow transferred")?;
    let now = ctx.block.height;
    let mut short = false;
    let mut active = Vec::new();
    for mut lease in ctx.leases_of_order(order_id)? {
        if lease.state != LeaseState::Active as i32 {
            continue;
        }
        let to = now.min(lease.created_at.saturating_add(order.max_blocks));
        let from = lease.settled_at;
        let blocks = to.saturating_sub(from);
        let price = coin(&lease.price, "lease price")?;
        let owed = price.amount.saturating_mul(u128::from(blocks));
        let paid = owed.min(balance.amount);
        if paid < owed {
            short = true;
        }
        if paid > 0 {
            balance.amount = balance.amount.saturating_sub(paid);
            transferred.amount = transferred
                .amount
                .checked_add(paid)
                .ok_or_else(|| sdk::overflow("escrow transferred overflows"))?;
            let gross = Coin::new(price.denom.clone(), paid)?;
            // Until now the lease was paid in full for every block since it started.
            let paid_before = price
                .amount
                .saturating_mul(u128::from(from.saturating_sub(lease.created_at)));
            let (net, take) = take(ctx, &gross, paid_before)?;
            let mut unwithdrawn = coin(&lease.unwithdrawn, "lease unwithdrawn")?;
            unwithdrawn.amount = unwithdrawn
                .amount
                .checked_add(net)
                .ok_or_else(|| sdk::overflow("lease unwithdrawn overflows"))?;
            lease.unwithdrawn = Some(unwithdrawn.to_proto());
            ctx.emit(events::lease_settled(
                &lease,
                from,
                to,
                net,
                take,
                &price.denom,
            )?);
        }
        lease.settled_at = to.max(from);
        ctx.put_lease(&lease)?;
        active.push(lease);
    }
    escrow.balance = Some(balance.to_proto());
    escrow.transferred = Some(transferred.to_proto());
    escrow.settled_at = now;
    if short {
        escrow.state = EscrowState::Overdrawn as i32;
    }
    ctx.put_escrow(&escrow)?;
    if short {
        for lease in active {
            end_lease(ctx, &order, lease, LeaseState::InsufficientFunds)?;
        }
        close_order_refunding(ctx, order, "insufficient funds")?;
        out.overdrawn = true;
        return Ok(out);
    }
    out.concluded = crate::results::expire_leases(ctx, &order, active)?;
    Ok(out)
}

/// Settles an order if `params.settle_interval` blocks have passed since it last was.
pub(crate) fn settle_if_due(ctx: &mut Ctx, order_id: u64) -> Result<(), TxError> {
    let interval = ctx.compute_params()?.settle_interval;
    let Some(escrow) = ctx.get_escrow(order_id)? else {
        return Ok(());
    };
    if ctx.block.height.saturating_sub(escrow.settled_at) >= interval {
        settle_order(ctx, order_id)?;
    }
    Ok(())
}

/// Settles a leased order, then ends its active leases (`closed`) and closes it, refunding
/// what is left. Returns the refund (zero if it was overdrawn).
pub(crate) fn settle_and_close(
    ctx: &mut Ctx,
    order_id: u64,
    reason: &str,
) -> Result<Coin, TxError> {
    let settled = settle_order(ctx, order_id)?;
    let order = ctx
        .get_order(order_id)?
        .ok_or_else(|| sdk::internal(format!("closing missing order {order_id}")))?;
    if order.state == OrderState::Disputed as i32 {
        return Err(crate::ComputeError::OrderDisputed(order_id).into());
    }
    if settled.overdrawn || settled.concluded {
        let max = coin(&order.max_price_per_block, "max price")?;
        return Coin::new(max.denom, 0);
    }
    for lease in ctx.leases_of_order(order_id)? {
        if lease.state == LeaseState::Active as i32 {
            end_lease(ctx, &order, lease, LeaseState::Closed)?;
        }
    }
    close_order_refunding(ctx, order, reason)
}
