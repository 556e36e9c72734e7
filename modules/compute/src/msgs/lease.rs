//! MsgCreateLease: the order's owner picks 1..=redundancy of its open bids before the bid
//! window ends (see `crate::leasing`). MsgWithdrawLease: the provider collects what its lease
//! has earned (see `crate::settle`).

use cosmos_sdk_proto::Any;

use deai_framework::{Address, Coin, Ctx, Message, TxError};
use deai_proto::compute::v1::{self as pb, BidState, LeaseState, OrderState};

use super::{response, sender_event};
use crate::error::ComputeError;
use crate::keeper::ComputeRead;
use crate::keeper::ComputeWrite;
use crate::leasing::{ineligible, lease_order};
use crate::params::MAX_REDUNDANCY;
use crate::settle::{payout, settle_order};
use crate::MODULE_NAME;

#[derive(Debug)]
pub struct CreateLease {
    pub owner: Address,
    pub order_id: u64,
    /// Sorted, unique, 1..=5 of them.
    pub bid_ids: Vec<u64>,
}

impl TryFrom<pb::MsgCreateLease> for CreateLease {
    type Error = TxError;
    fn try_from(m: pb::MsgCreateLease) -> Result<Self, TxError> {
        let mut bid_ids = m.bid_ids;
        if bid_ids.is_empty() || bid_ids.len() > MAX_REDUNDANCY as usize {
            return Err(ComputeError::BadLeaseBids(format!(
                "pick 1..={MAX_REDUNDANCY} bids, got {}",
                bid_ids.len()
            ))
            .into());
        }
        bid_ids.sort_unstable();
        if bid_ids.windows(2).any(|w| w[0] == w[1]) {
            return Err(ComputeError::BadLeaseBids("duplicate bid".into()).into());
        }
        Ok(Self {
            owner: Address::from_bech32(&m.owner)?,
            order_id: m.order_id,
            bid_ids,
        })
    }
}

impl Message for CreateLease {
    fn signers(&self) -> Vec<Address> {
        vec![self.owner.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let order = ctx
            .get_order(self.order_id)?
            .ok_or(ComputeError::OrderNotFound(self.order_id))?;
        if order.owner != self.owner.to_bech32() {
            return Err(ComputeError::NotOwner {
                signer: self.owner.to_bech32(),
                what: format!("order {}", self.order_id),
            }
            .into());
        }
        if order.state != OrderState::Open as i32 {
            return Err(ComputeError::OrderNotOpen(self.order_id).into());
        }
        if ctx.block.height > order.bid_deadline {
            return Err(ComputeError::BidWindowClosed {
                order: order.id,
                deadline: order.bid_deadline,
            }
            .into());
        }
        if self.bid_ids.len() > order.redundancy as usize {
            return Err(ComputeError::BadLeaseBids(format!(
                "order {} takes at most {} leases",
                order.id, order.redundancy
            ))
            .into());
        }
        for id in &self.bid_ids {
            let bid = ctx.get_bid(*id)?.ok_or(ComputeError::BidNotFound(*id))?;
            if bid.order_id != order.id {
                return Err(ComputeError::BadLeaseBids(format!(
                    "bid {id} is not of order {}",
                    order.id
                ))
                .into());
            }
            if bid.state != BidState::Open as i32 {
                return Err(ComputeError::BidNotOpen(*id).into());
            }
            if let Some(e) = ineligible(ctx, &bid, &order)? {
                return Err(e.into());
            }
        }
        let lease_ids = lease_order(ctx, order, &self.bid_ids, false)?;
        ctx.emit(sender_event(&self.owner));
        Ok(response(pb::MsgCreateLeaseResponse { lease_ids }))
    }
}

/// The provider of an active lease settles its order and collects what the lease has earned
/// and not yet been paid (net of the take); the response's amount is what it received.
#[derive(Debug)]
pub struct WithdrawLease {
    pub provider: Address,
    pub lease_id: u64,
}

impl TryFrom<pb::MsgWithdrawLease> for WithdrawLease {
    type Error = TxError;
    fn try_from(m: pb::MsgWithdrawLease) -> Result<Self, TxError> {
        Ok(Self {
            provider: Address::from_bech32(&m.provider)?,
            lease_id: m.lease_id,
        })
    }
}

impl Message for WithdrawLease {
    fn signers(&self) -> Vec<Address> {
        vec![self.provider.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let lease = ctx
            .get_lease(self.lease_id)?
            .ok_or(ComputeError::LeaseNotFound(self.lease_id))?;
        if lease.provider != self.provider.to_bech32() {
            return Err(ComputeError::NotLessee {
                signer: self.provider.to_bech32(),
                lease: self.lease_id,
            }
            .into());
        }
        if lease.state != LeaseState::Active as i32 {
            return Err(ComputeError::LeaseNotActive(self.lease_id).into());
        }
        let withdrawn = |l: &pb::Lease| -> Result<Coin, TxError> {
            Coin::from_proto(
                l.withdrawn
                    .as_ref()
                    .ok_or_else(|| deai_framework::sdk::internal("lease without withdrawn"))?,
            )
        };
        let before = withdrawn(&lease)?;
        settle_order(ctx, lease.order_id)?;
        let mut lease = ctx.get_lease(self.lease_id)?.ok_or_else(|| {
            deai_framework::sdk::internal(format!("lease {} vanished", self.lease_id))
        })?;
        // Settlement may have ended the lease (an overdraft), which paid it out already.
        if lease.state == LeaseState::Active as i32 {
            payout(ctx, &mut lease)?;
            ctx.put_lease(&lease)?;
        }
        let mut amount = withdrawn(&lease)?;
        amount.amount = amount.amount.saturating_sub(before.amount);
        ctx.emit(sender_event(&self.provider));
        Ok(response(pb::MsgWithdrawLeaseResponse {
            amount: Some(amount.to_proto()),
        }))
    }
}
