//! Bids: a registered, unjailed provider offers to serve an open order at a price at most the
//! order's `max_price_per_block`, escrowing a deposit (at least `params.bid_min_deposit`) in
//! the module account. Closing an open bid refunds its deposit.
//!
//! An order holds at most `params.order_max_bids` bids, counting every bid ever placed on it
//! (closed ones too), so that every scan of an order's bids is bounded by that param.

use cosmos_sdk_proto::Any;

use deai_bank::BankWrite;
use deai_framework::{Address, Coin, Ctx, Message, TxError};
use deai_proto::compute::v1::{self as pb, AuditorMatch, BidState, OrderState};

use super::{coins_of, emit_all, required_coin, response, sender_event};
use crate::error::ComputeError;
use crate::keeper::{ComputeRead, ComputeWrite};
use crate::{events, MODULE_NAME};

/// The counter of bid ids.
pub const BID_SEQ: &str = "bid";

/// `free = capacity - in_use` covers `need` in every dimension.
pub(crate) fn has_capacity(p: &pb::Provider, need: &pb::Resources) -> bool {
    let cap = p.capacity.unwrap_or_default();
    let used = p.in_use.unwrap_or_default();
    let free = |c: u64, u: u64, n: u64| c.checked_sub(u).is_some_and(|f| f >= n);
    free(cap.cpu_millis, used.cpu_millis, need.cpu_millis)
        && free(cap.memory_bytes, used.memory_bytes, need.memory_bytes)
        && free(
            u64::from(cap.gpus),
            u64::from(used.gpus),
            u64::from(need.gpus),
        )
        && free(cap.storage_bytes, used.storage_bytes, need.storage_bytes)
}

/// The provider offers every required attribute, and the order's auditors (all of them, or
/// any one, per its match) have signed all of them for this provider.
pub(crate) fn check_match(ctx: &Ctx, p: &pb::Provider, order: &pb::Order) -> Result<(), TxError> {
    for a in &order.required_attributes {
        if !p.attributes.contains(a) {
            return Err(ComputeError::AttributeUnmatched(format!("{}={}", a.key, a.value)).into());
        }
    }
    let req = order.auditors.clone().unwrap_or_default();
    if req.auditors.is_empty() {
        return Ok(());
    }
    let provider = crate::keeper::stored_addr(&p.owner)?;
    let mut signed = 0usize;
    for auditor in &req.auditors {
        let auditor = crate::keeper::stored_addr(auditor)?;
        let covers = ctx
            .get_signed_attributes(&provider, &auditor)?
            .is_some_and(|s| {
                order
                    .required_attributes
                    .iter()
                    .all(|a| s.attributes.contains(a))
            });
        if covers {
            signed = signed.saturating_add(1);
        }
    }
    let ok = match AuditorMatch::try_from(req.r#match) {
        Ok(AuditorMatch::AnyOf) => signed >= 1,
        _ => signed == req.auditors.len(),
    };
    if !ok {
        return Err(ComputeError::AuditorUnmatched(format!(
            "{signed} of {} auditors signed",
            req.auditors.len()
        ))
        .into());
    }
    Ok(())
}

/// Refunds a bid's deposit to its provider and records the bid in `state`.
pub(crate) fn close_bid(ctx: &mut Ctx, bid: &mut pb::Bid, state: BidState) -> Result<(), TxError> {
    let deposit = Coin::from_proto(
        bid.deposit
            .as_ref()
            .ok_or_else(|| deai_framework::sdk::internal("bid without deposit"))?,
    )?;
    let provider = crate::keeper::stored_addr(&bid.provider)?;
    if deposit.amount > 0 {
        let transfers = ctx.send_from_module(MODULE_NAME, &provider, &coins_of(&deposit)?)?;
        emit_all(ctx, transfers);
    }
    bid.state = state as i32;
    ctx.put_bid(bid)?;
    ctx.emit(events::bid_closed(bid, &deposit));
    Ok(())
}

#[derive(Debug)]
pub struct CreateBid {
    pub provider: Address,
    pub order_id: u64,
    pub price: Coin,
    pub deposit: Coin,
}

impl TryFrom<pb::MsgCreateBid> for CreateBid {
    type Error = TxError;
    fn try_from(m: pb::MsgCreateBid) -> Result<Self, TxError> {
        let price = required_coin(m.price, "price")?;
        let deposit = required_coin(m.deposit, "deposit")?;
        if price.amount == 0 {
            return Err(ComputeError::ZeroAmount("price").into());
        }
        if deposit.amount == 0 {
            return Err(ComputeError::ZeroAmount("deposit").into());
        }
        Ok(Self {
            provider: Address::from_bech32(&m.provider)?,
            order_id: m.order_id,
            price,
            deposit,
        })
    }
}

impl Message for CreateBid {
    fn signers(&self) -> Vec<Address> {
        vec![self.provider.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.compute_params()?;
        let provider = ctx
            .get_provider(&self.provider)?
            .ok_or_else(|| ComputeError::ProviderNotFound(self.provider.to_bech32()))?;
        if provider.jailed {
            return Err(ComputeError::ProviderJailed(provider.owner).into());
        }
        let mut order = ctx
            .get_order(self.order_id)?
            .ok_or(ComputeError::OrderNotFound(self.order_id))?;
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
        let max = Coin::from_proto(
            order
                .max_price_per_block
                .as_ref()
                .ok_or_else(|| deai_framework::sdk::internal("order without max price"))?,
        )?;
        if self.price.denom != max.denom {
            return Err(ComputeError::DenomMismatch(format!(
                "order {} is priced in {}, bid in {}",
                order.id, max.denom, self.price.denom
            ))
            .into());
        }
        if self.price.amount > max.amount {
            return Err(ComputeError::BidAboveMax {
                price: self.price.to_string(),
                max: max.to_string(),
            }
            .into());
        }
        let min = &params.bid_min_deposit;
        if self.deposit.denom != min.denom {
            return Err(ComputeError::DenomMismatch(format!(
                "bid deposit must be in {}, got {}",
                min.denom, self.deposit.denom
            ))
            .into());
        }
        if self.deposit.amount < min.amount {
            return Err(ComputeError::BidDepositTooLow {
                got: self.deposit.to_string(),
                min: min.to_string(),
            }
            .into());
        }
        crate::c2d::check_bidder(ctx, &order, &self.provider)?;
        check_match(ctx, &provider, &order)?;
        if !has_capacity(&provider, &order.resources.unwrap_or_default()) {
            return Err(ComputeError::NoCapacity.into());
        }
        if ctx.open_bid_of(order.id, &self.provider)?.is_some() {
            return Err(ComputeError::DuplicateBid {
                order: order.id,
                provider: self.provider.to_bech32(),
            }
            .into());
        }
        // `>=`, not Akash's `>`: the bid that would be number order_max_bids + 1 is refused.
        if order.bid_count >= params.order_max_bids {
            return Err(ComputeError::TooManyBids {
                order: order.id,
                max: params.order_max_bids,
            }
            .into());
        }
        let transfers =
            ctx.send_to_module(&self.provider, MODULE_NAME, &coins_of(&self.deposit)?)?;
        emit_all(ctx, transfers);
        let id = ctx.next_id(BID_SEQ)?;
        let bid = pb::Bid {
            id,
            order_id: order.id,
            provider: self.provider.to_bech32(),
            price: Some(self.price.to_proto()),
            deposit: Some(self.deposit.to_proto()),
            state: BidState::Open as i32,
            created_at: ctx.block.height,
        };
        ctx.put_bid(&bid)?;
        order.bid_count = order.bid_count.saturating_add(1);
        ctx.put_order(&order)?;
        ctx.emit(events::bid_created(&bid));
        ctx.emit(sender_event(&self.provider));
        Ok(response(pb::MsgCreateBidResponse { bid_id: id }))
    }
}

/// The bidder withdraws an open bid; its deposit is refunded.
#[derive(Debug)]
pub struct CloseBid {
    pub provider: Address,
    pub bid_id: u64,
}

impl TryFrom<pb::MsgCloseBid> for CloseBid {
    type Error = TxError;
    fn try_from(m: pb::MsgCloseBid) -> Result<Self, TxError> {
        Ok(Self {
            provider: Address::from_bech32(&m.provider)?,
            bid_id: m.bid_id,
        })
    }
}

impl Message for CloseBid {
    fn signers(&self) -> Vec<Address> {
        vec![self.provider.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let mut bid = ctx
            .get_bid(self.bid_id)?
            .ok_or(ComputeError::BidNotFound(self.bid_id))?;
        if bid.provider != self.provider.to_bech32() {
            return Err(ComputeError::NotBidder {
                signer: self.provider.to_bech32(),
                bid: self.bid_id,
            }
            .into());
        }
        if bid.state != BidState::Open as i32 {
            return Err(ComputeError::BidNotOpen(self.bid_id).into());
        }
        close_bid(ctx, &mut bid, BidState::Closed)?;
        ctx.emit(sender_event(&self.provider));
        Ok(response(pb::MsgCloseBidResponse {}))
    }
}
