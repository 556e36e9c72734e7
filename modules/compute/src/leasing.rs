//! Leasing: turning bids into leases, by the order's owner (MsgCreateLease) or, at the bid
//! deadline, by `end_block` (the `redundancy` cheapest eligible bids, ties by bid id).
//!
//! Won bids become `active` and their deposits stay escrowed in the module account for as
//! long as the lease runs (they are refunded when it ends); every other open bid of the
//! order is `lost` and refunded at once. Each lease adds the order's resources to its
//! provider's `in_use` and one to its `active_leases`.
//!
//! `end_block` reads only the bid-deadline index (`deadline/<height><order_id>`, open orders
//! only), at most [`MAX_LEASINGS_PER_BLOCK`] orders a block, oldest deadline first; an order it
//! cannot lease (no eligible bid) is closed and its escrow refunded, so it leaves the index.

use deai_framework::{sdk, Coin, Ctx, StateRead, TxError};
use deai_proto::compute::v1::{self as pb, BidState, LeaseState, OrderState};

use crate::error::ComputeError;
use crate::events;
use crate::keeper::{stored_addr, ComputeRead, ComputeWrite};
use crate::msgs::{close_bid, close_order_refunding, has_capacity};
use crate::state_key;

/// Most orders `end_block` leases in one block; the rest wait for the next blocks.
pub const MAX_LEASINGS_PER_BLOCK: usize = 64;
/// The counter of lease ids.
pub const LEASE_SEQ: &str = "lease";

pub(crate) fn bid_price(b: &pb::Bid) -> Result<Coin, TxError> {
    Coin::from_proto(
        b.price
            .as_ref()
            .ok_or_else(|| sdk::internal("bid without price"))?,
    )
}

/// Why `bid`'s provider cannot take a lease of `order` now, if it cannot.
pub(crate) fn ineligible(
    ctx: &Ctx,
    bid: &pb::Bid,
    order: &pb::Order,
) -> Result<Option<ComputeError>, TxError> {
    let owner = stored_addr(&bid.provider)?;
    let Some(p) = ctx.get_provider(&owner)? else {
        return Ok(Some(ComputeError::ProviderNotFound(bid.provider.clone())));
    };
    if p.jailed {
        return Ok(Some(ComputeError::ProviderJailed(bid.provider.clone())));
    }
    if !has_capacity(&p, &order.resources.unwrap_or_default()) {
        return Ok(Some(ComputeError::NoCapacity));
    }
    Ok(None)
}

fn add_resources(a: &pb::Resources, b: &pb::Resources) -> Result<pb::Resources, TxError> {
    let over = || sdk::overflow("resources in use overflow");
    Ok(pb::Resources {
        cpu_millis: a.cpu_millis.checked_add(b.cpu_millis).ok_or_else(over)?,
        memory_bytes: a
            .memory_bytes
            .checked_add(b.memory_bytes)
            .ok_or_else(over)?,
        gpus: a.gpus.checked_add(b.gpus).ok_or_else(over)?,
        storage_bytes: a
            .storage_bytes
            .checked_add(b.storage_bytes)
            .ok_or_else(over)?,
    })
}

/// Leases `winners` (open bids of `order`, eligible) and loses every other open bid; the
/// order becomes `leased`. Returns the lease ids.
pub(crate) fn lease_order(
    ctx: &mut Ctx,
    mut order: pb::Order,
    winners: &[u64],
    automatic: bool,
) -> Result<Vec<u64>, TxError> {
    let height = ctx.block.height;
    let resources = order.resources.unwrap_or_default();
    let mut lease_ids = Vec::with_capacity(winners.len());
    for mut bid in ctx.bids_of_order(order.id)? {
        if bid.state != BidState::Open as i32 {
            continue;
        }
        if !winners.contains(&bid.id) {
            close_bid(ctx, &mut bid, BidState::Lost)?;
            continue;
        }
        let owner = stored_addr(&bid.provider)?;
        let mut p = ctx
            .get_provider(&owner)?
            .ok_or_else(|| sdk::internal("leased bid without provider"))?;
        p.in_use = Some(add_resources(&p.in_use.unwrap_or_default(), &resources)?);
        p.active_leases = p
            .active_leases
            .checked_add(1)
            .ok_or_else(|| sdk::overflow("active leases overflow"))?;
        ctx.put_provider(&owner, &p)?;
        bid.state = BidState::Active as i32;
        ctx.put_bid(&bid)?;
        let price = bid_price(&bid)?;
        let id = ctx.next_id(LEASE_SEQ)?;
        let lease = pb::Lease {
            id,
            order_id: order.id,
            bid_id: bid.id,
            provider: bid.provider.clone(),
            price: Some(price.to_proto()),
            state: LeaseState::Active as i32,
            created_at: height,
            settled_at: height,
            closed_at: 0,
            unwithdrawn: Some(Coin::new(price.denom.clone(), 0)?.to_proto()),
            withdrawn: Some(Coin::new(price.denom, 0)?.to_proto()),
        };
        ctx.put_lease(&lease)?;
        ctx.emit(events::lease_created(&lease));
        lease_ids.push(id);
    }
    // Compute-to-data: the provider is now committed to the job; the access is paid.
    crate::c2d::pay_access(ctx, &mut order)?;
    order.state = OrderState::Leased as i32;
    ctx.put_order(&order)?;
    ctx.emit(events::order_leased(order.id, lease_ids.clone(), automatic));
    Ok(lease_ids)
}

/// The `redundancy` cheapest eligible open bids of an order (ties by bid id).
fn cheapest(ctx: &Ctx, order: &pb::Order) -> Result<Vec<u64>, TxError> {
    let mut open = Vec::new();
    for b in ctx.bids_of_order(order.id)? {
        if b.state == BidState::Open as i32 {
            open.push((bid_price(&b)?.amount, b.id, b));
        }
    }
    open.sort_by_key(|b| (b.0, b.1));
    let k = order.redundancy as usize;
    let mut winners = Vec::with_capacity(k);
    for (_, id, b) in &open {
        if winners.len() >= k {
            break;
        }
        if ineligible(ctx, b, order)?.is_none() {
            winners.push(*id);
        }
    }
    Ok(winners)
}

/// Leases (or, without an eligible bid, closes) the open orders whose bid deadline is at or
/// before this block, at most [`MAX_LEASINGS_PER_BLOCK`] of them.
pub fn end_block(ctx: &mut Ctx) -> Result<(), TxError> {
    let start = state_key::deadlines();
    let end = state_key::deadlines_through(ctx.block.height);
    let due = ctx.scan(&start, Some(&end), false, MAX_LEASINGS_PER_BLOCK)?;
    for (k, _) in due {
        let id =
            state_key::trailing_id(&k).ok_or_else(|| sdk::internal("corrupt deadline index"))?;
        let order = ctx
            .get_order(id)?
            .ok_or_else(|| sdk::internal(format!("deadline index names missing order {id}")))?;
        if order.state != OrderState::Open as i32 {
            return Err(sdk::internal(format!(
                "deadline index names order {id}, not open"
            )));
        }
        let winners = cheapest(ctx, &order)?;
        if winners.is_empty() {
            close_order_refunding(ctx, order, "no eligible bid at the bid deadline")?;
        } else {
            lease_order(ctx, order, &winners, true)?;
        }
    }
    Ok(())
}
