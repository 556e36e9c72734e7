//! `end_block`: refunds of encrypted grants whose key was not delivered by the deadline, read
//! from a deadline-ordered index, a bounded number a block; what is left waits for the next
//! blocks (nothing due is ever skipped).

use deai_bank::BankWrite;
use deai_framework::{sdk, Coin, Ctx, StateRead, TxError};

use crate::keeper::{DataRead, DataWrite};
use crate::msgs::{coins_of, emit_all};
use crate::{events, state_key, MODULE_ACCOUNT};

/// Most missed deliveries refunded in one block.
pub const MAX_REFUNDS_PER_BLOCK: usize = 256;

pub(crate) fn end_block(ctx: &mut Ctx) -> Result<(), TxError> {
    refunds(ctx)?;
    crate::settle::end_block(ctx)
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
