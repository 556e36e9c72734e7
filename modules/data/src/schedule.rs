//! `end_block`: refunds of encrypted grants whose key was not delivered by the deadline, then
//! deletion of expired grants, then pool settlements; each read from a height-ordered index,
//! a bounded number a block; what is left waits for the next blocks (nothing due is ever
//! skipped).

use deai_bank::BankWrite;
use deai_framework::{sdk, Coin, Ctx, StateRead, TxError};

use crate::keeper::{DataRead, DataWrite};
use crate::msgs::{coins_of, emit_all};
use crate::{events, state_key, MODULE_ACCOUNT};

/// Most missed deliveries refunded in one block.
pub const MAX_REFUNDS_PER_BLOCK: usize = 256;
/// Most expired grants deleted in one block.
pub const MAX_PRUNES_PER_BLOCK: usize = 256;

pub(crate) fn end_block(ctx: &mut Ctx) -> Result<(), TxError> {
    refunds(ctx)?;
    prune(ctx)?;
    crate::settle::end_block(ctx)
}

/// Deletes the grants due for deletion (expired, and past any delivery deadline) with all
/// their index entries. One whose refund is still queued (a refund backlog) keeps its entry
/// and is deleted in a later block, once refunded: a refund is never lost to pruning.
fn prune(ctx: &mut Ctx) -> Result<(), TxError> {
    let start = state_key::grant_expiry_queue();
    let end = state_key::grant_expiry_queue_through(ctx.block.height);
    let mut pruned = Vec::new();
    for (k, _) in ctx.scan(&start, Some(&end), false, MAX_PRUNES_PER_BLOCK)? {
        let id = state_key::trailing_id(&k).ok_or_else(|| sdk::internal("corrupt expiry key"))?;
        let g = ctx
            .get_grant(id)?
            .ok_or_else(|| sdk::internal(format!("expiry index names missing grant {id}")))?;
        if awaits_refund(&g) {
            continue;
        }
        ctx.remove_grant(&g)?;
        pruned.push(id);
    }
    if !pruned.is_empty() {
        ctx.emit(events::grants_pruned(pruned));
    }
    Ok(())
}

/// An encrypted grant whose key never came and whose refund is not paid yet.
fn awaits_refund(g: &deai_proto::data::v1::Grant) -> bool {
    g.delivery_deadline > 0 && g.delivered_at == 0 && !g.refunded
}

fn refunds(ctx: &mut Ctx) -> Result<(), TxError> {
    let start = state_key::delivery_queue();
    let end = state_key::delivery_queue_through(ctx.block.height);
    for (k, _) in ctx.scan(&start, Some(&end), false, MAX_REFUNDS_PER_BLOCK)? {
        let id = state_key::trailing_id(&k).ok_or_else(|| sdk::internal("corrupt delivery key"))?;
        let mut g = ctx
            .get_grant(id)?
            .ok_or_else(|| sdk::internal(format!("delivery index names missing grant {id}")))?;
        let mut d = ctx
            .get_dataset(g.dataset_id)?
            .ok_or_else(|| sdk::internal(format!("grant {id} names a missing dataset")))?;
        let price = g.price.as_ref().map(Coin::from_proto).transpose()?;
        let deposit = d.deposit.as_ref().map(Coin::from_proto).transpose()?;
        // One token's price at redemption, as far as the deposit goes.
        let refund = match (price, deposit) {
            (Some(p), Some(dep)) if p.denom == dep.denom => {
                let amount = p.amount.min(dep.amount);
                let left = dep.amount.saturating_sub(amount);
                d.deposit = Some(Coin::new(dep.denom.clone(), left)?.to_proto());
                Coin::new(dep.denom, amount)?
            }
            _ => {
                return Err(sdk::internal(format!(
                    "grant {id}: price or deposit missing"
                )))
            }
        };
        if refund.amount > 0 {
            let grantee = crate::keeper::stored_addr(&g.grantee)?;
            let paid = ctx.send_from_module(MODULE_ACCOUNT, &grantee, &coins_of(&refund)?)?;
            emit_all(ctx, paid);
            ctx.put_dataset(&d)?;
        }
        g.refunded = true;
        ctx.put_grant(&g)?; // also drops the index entry
        ctx.emit(events::delivery_refunded(&g, &refund));
    }
    Ok(())
}
