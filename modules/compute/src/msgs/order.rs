//! Orders: create (deposit escrowed in the module account, recorded in the order's escrow
//! account), deposit (top up; settles a leased order at most every settle_interval blocks),
//! close (owner only; leases are settled and closed, then the unspent escrow and the deposits
//! of open bids are refunded).

use cosmos_sdk_proto::Any;
use sha2::{Digest, Sha256};

use deai_bank::BankWrite;
use deai_framework::{Address, Coin, Ctx, Message, TxError};
use deai_proto::compute::v1::{self as pb, BidState, EscrowState, OrderState, VerificationMode};

use super::bid::close_bid;
use super::{canonical_attributes, coins_of, emit_all, required_coin, response, sender_event};
use crate::error::ComputeError;
use crate::keeper::{ComputeRead, ComputeWrite};
use crate::params::{MAX_REDUNDANCY, MAX_SPEC_BYTES};
use crate::{events, MODULE_NAME};
use deai_framework::dec::Dec;

/// Most auditors an order may name.
pub const MAX_AUDITORS: usize = 16;
/// The counter of order ids.
pub const ORDER_SEQ: &str = "order";

/// Checks an auditor requirement and returns it with its auditors sorted.
fn canonical_auditors(
    a: Option<pb::AuditorRequirement>,
) -> Result<pb::AuditorRequirement, TxError> {
    let mut a = a.unwrap_or_default();
    let bad = |s: &str| -> TxError { ComputeError::InvalidAuditors(s.to_string()).into() };
    if a.auditors.len() > MAX_AUDITORS {
        return Err(bad("too many auditors"));
    }
    if pb::AuditorMatch::try_from(a.r#match).is_err() {
        return Err(bad("unknown match"));
    }
    for s in &a.auditors {
        Address::from_bech32(s)?;
    }
    a.auditors.sort();
    if a.auditors.windows(2).any(|w| w[0] == w[1]) {
        return Err(bad("duplicate auditor"));
    }
    Ok(a)
}

fn check_verification(v: &pb::Verification, redundancy: u32) -> Result<(), ComputeError> {
    let bad = |s: &str| ComputeError::InvalidVerification(s.to_string());
    match VerificationMode::try_from(v.mode) {
        Ok(VerificationMode::SpotCheck) => {
            let rate = Dec::parse(&v.spot_check_rate).map_err(|e| bad(&e))?;
            if rate == Dec::ZERO || rate > Dec::ONE {
                return Err(bad("spot_check_rate must be in (0, 1]"));
            }
        }
        Ok(mode) => {
            if !v.spot_check_rate.is_empty() {
                return Err(bad("spot_check_rate is only for spot_check"));
            }
            if mode == VerificationMode::Redundant && redundancy < 2 {
                return Err(bad("redundant verification needs redundancy >= 2"));
            }
        }
        Err(_) => return Err(bad("unknown mode")),
    }
    Ok(())
}

fn load_open(ctx: &Ctx, id: u64) -> Result<(pb::Order, pb::EscrowAccount), TxError> {
    let order = ctx.get_order(id)?.ok_or(ComputeError::OrderNotFound(id))?;
    if matches!(
        OrderState::try_from(order.state),
        Ok(OrderState::Closed | OrderState::Completed)
    ) {
        return Err(ComputeError::OrderClosed(id).into());
    }
    let escrow = ctx.get_escrow(id)?.ok_or_else(|| {
        deai_framework::sdk::internal(format!("order {id} has no escrow account"))
    })?;
    Ok((order, escrow))
}

fn escrow_balance(e: &pb::EscrowAccount) -> Result<Coin, TxError> {
    let c = e
        .balance
        .as_ref()
        .ok_or_else(|| deai_framework::sdk::internal("escrow account without balance"))?;
    Coin::from_proto(c)
}

#[derive(Debug)]
pub struct CreateOrder {
    pub owner: Address,
    pub spec: Vec<u8>,
    pub spec_sha256: Vec<u8>,
    pub required_attributes: Vec<pb::Attribute>,
    pub auditors: pb::AuditorRequirement,
    pub resources: pb::Resources,
    pub max_price_per_block: Coin,
    pub deposit: Coin,
    pub redundancy: u32,
    pub verification: pb::Verification,
    pub bid_window: u64,
    pub max_blocks: u64,
    /// Compute-to-data: the dataset the job runs next to (0: none).
    pub dataset_id: u64,
    /// Compute-to-data: the most the access may cost (its denom is the deposit's).
    pub max_access_fee: Option<Coin>,
}

impl TryFrom<pb::MsgCreateOrder> for CreateOrder {
    type Error = TxError;
    fn try_from(m: pb::MsgCreateOrder) -> Result<Self, TxError> {
        let owner = Address::from_bech32(&m.owner)?;
        if m.spec.is_empty() || m.spec.len() > MAX_SPEC_BYTES as usize {
            return Err(ComputeError::SpecSize {
                got: m.spec.len(),
                max: MAX_SPEC_BYTES,
            }
            .into());
        }
        if m.spec_sha256.len() != 32 {
            return Err(ComputeError::BadHashLength(m.spec_sha256.len()).into());
        }
        let digest: [u8; 32] = Sha256::digest(&m.spec).into();
        if digest[..] != m.spec_sha256[..] {
            return Err(ComputeError::SpecHashMismatch.into());
        }
        if !(1..=MAX_REDUNDANCY).contains(&m.redundancy) {
            return Err(ComputeError::BadRedundancy {
                got: m.redundancy,
                max: MAX_REDUNDANCY,
            }
            .into());
        }
        let price = required_coin(m.max_price_per_block, "max_price_per_block")?;
        let deposit = required_coin(m.deposit, "deposit")?;
        if price.amount == 0 {
            return Err(ComputeError::ZeroAmount("max_price_per_block").into());
        }
        if deposit.amount == 0 {
            return Err(ComputeError::ZeroAmount("deposit").into());
        }
        if price.denom != deposit.denom {
            return Err(ComputeError::DenomMismatch(format!(
                "deposit in {} but max_price_per_block in {}",
                deposit.denom, price.denom
            ))
            .into());
        }
        let verification = m.verification.unwrap_or_default();
        check_verification(&verification, m.redundancy)?;
        let max_access_fee = if m.dataset_id != 0 {
            crate::c2d::check_terms(m.redundancy, &verification)?;
            let max = required_coin(m.max_access_fee, "max_access_fee")?;
            if max.denom != deposit.denom {
                return Err(ComputeError::DenomMismatch(format!(
                    "deposit in {} but max_access_fee in {}",
                    deposit.denom, max.denom
                ))
                .into());
            }
            Some(max)
        } else {
            None
        };
        Ok(Self {
            owner,
            spec: m.spec,
            spec_sha256: m.spec_sha256,
            required_attributes: canonical_attributes(m.required_attributes)?,
            auditors: canonical_auditors(m.auditors)?,
            resources: m.resources.unwrap_or_default(),
            max_price_per_block: price,
            deposit,
            redundancy: m.redundancy,
            verification,
            bid_window: m.bid_window,
            max_blocks: m.max_blocks,
            dataset_id: m.dataset_id,
            max_access_fee,
        })
    }
}

impl Message for CreateOrder {
    fn signers(&self) -> Vec<Address> {
        vec![self.owner.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.compute_params()?;
        if self.spec.len() > params.max_spec_bytes as usize {
            return Err(ComputeError::SpecSize {
                got: self.spec.len(),
                max: params.max_spec_bytes,
            }
            .into());
        }
        if self.redundancy > params.max_redundancy {
            return Err(ComputeError::BadRedundancy {
                got: self.redundancy,
                max: params.max_redundancy,
            }
            .into());
        }
        if self.bid_window < params.min_bid_window || self.bid_window > params.max_bid_window {
            return Err(ComputeError::BadBidWindow {
                got: self.bid_window,
                min: params.min_bid_window,
                max: params.max_bid_window,
            }
            .into());
        }
        if self.max_blocks == 0 || self.max_blocks > params.max_order_blocks {
            return Err(ComputeError::BadMaxBlocks {
                got: self.max_blocks,
                max: params.max_order_blocks,
            }
            .into());
        }
        let height = ctx.block.height;
        // bid_window <= max_bid_window (a u64 param), so saturating only at the end of time.
        let bid_deadline = height.saturating_add(self.bid_window);
        // Compute-to-data: one access is escrowed on top of the deposit (paid at leasing).
        let access_fee = match self.dataset_id {
            0 => None,
            id => Some(crate::c2d::access_fee(
                ctx,
                id,
                &self.spec,
                &self.deposit.denom,
                self.max_access_fee.as_ref(),
            )?),
        };
        let mut escrowed = self.deposit.clone();
        if let Some(fee) = &access_fee {
            escrowed.amount = escrowed
                .amount
                .checked_add(fee.amount)
                .ok_or_else(|| deai_framework::sdk::overflow("deposit + access fee overflows"))?;
        }
        let transfers = ctx.send_to_module(&self.owner, MODULE_NAME, &coins_of(&escrowed)?)?;
        emit_all(ctx, transfers);
        let id = ctx.next_id(ORDER_SEQ)?;
        let order = pb::Order {
            id,
            owner: self.owner.to_bech32(),
            spec: self.spec.clone(),
            spec_sha256: self.spec_sha256.clone(),
            required_attributes: self.required_attributes.clone(),
            auditors: Some(self.auditors.clone()),
            resources: Some(self.resources),
            max_price_per_block: Some(self.max_price_per_block.to_proto()),
            redundancy: self.redundancy,
            verification: Some(self.verification.clone()),
            bid_window: self.bid_window,
            max_blocks: self.max_blocks,
            state: OrderState::Open as i32,
            created_at: height,
            bid_deadline,
            bid_count: 0,
            result_hash: Vec::new(),
            dataset_id: self.dataset_id,
            access_fee: access_fee.as_ref().map(Coin::to_proto),
            access_paid_at: 0,
        };
        ctx.put_order(&order)?;
        ctx.put_escrow(&pb::EscrowAccount {
            order_id: id,
            owner: order.owner.clone(),
            balance: Some(escrowed.to_proto()),
            transferred: Some(Coin::new(self.deposit.denom.clone(), 0)?.to_proto()),
            settled_at: height,
            state: EscrowState::Open as i32,
        })?;
        ctx.emit(events::order_created(&order, &self.deposit));
        ctx.emit(sender_event(&self.owner));
        Ok(response(pb::MsgCreateOrderResponse { order_id: id }))
    }
}

/// Anyone may top up an order that is not closed or completed; the coins join its escrow.
#[derive(Debug)]
pub struct DepositOrder {
    pub depositor: Address,
    pub order_id: u64,
    pub amount: Coin,
}

impl TryFrom<pb::MsgDepositOrder> for DepositOrder {
    type Error = TxError;
    fn try_from(m: pb::MsgDepositOrder) -> Result<Self, TxError> {
        let amount = required_coin(m.amount, "amount")?;
        if amount.amount == 0 {
            return Err(ComputeError::ZeroAmount("amount").into());
        }
        Ok(Self {
            depositor: Address::from_bech32(&m.depositor)?,
            order_id: m.order_id,
            amount,
        })
    }
}

impl Message for DepositOrder {
    fn signers(&self) -> Vec<Address> {
        vec![self.depositor.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let (_, mut escrow) = load_open(ctx, self.order_id)?;
        let mut balance = escrow_balance(&escrow)?;
        if balance.denom != self.amount.denom {
            return Err(ComputeError::DenomMismatch(format!(
                "order {} escrows {}, got {}",
                self.order_id, balance.denom, self.amount.denom
            ))
            .into());
        }
        balance.amount = balance
            .amount
            .checked_add(self.amount.amount)
            .ok_or_else(|| deai_framework::sdk::overflow("escrow balance overflows"))?;
        let transfers =
            ctx.send_to_module(&self.depositor, MODULE_NAME, &coins_of(&self.amount)?)?;
        emit_all(ctx, transfers);
        escrow.balance = Some(balance.to_proto());
        ctx.put_escrow(&escrow)?;
        ctx.emit(events::order_deposited(
            self.order_id,
            &self.depositor,
            &self.amount,
            &balance,
        ));
        // A touch: a leased order settles if settle_interval blocks have passed.
        crate::settle::settle_if_due(ctx, self.order_id)?;
        ctx.emit(sender_event(&self.depositor));
        Ok(response(pb::MsgDepositOrderResponse {}))
    }
}

/// The owner closes an order; what is left in its escrow goes back to the owner.
#[derive(Debug)]
pub struct CloseOrder {
    pub owner: Address,
    pub order_id: u64,
}

impl TryFrom<pb::MsgCloseOrder> for CloseOrder {
    type Error = TxError;
    fn try_from(m: pb::MsgCloseOrder) -> Result<Self, TxError> {
        Ok(Self {
            owner: Address::from_bech32(&m.owner)?,
            order_id: m.order_id,
        })
    }
}

impl Message for CloseOrder {
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
        load_open(ctx, self.order_id)?;
        if order.state == OrderState::Disputed as i32 {
            return Err(ComputeError::OrderDisputed(self.order_id).into());
        }
        crate::settle::settle_and_close(ctx, self.order_id, "closed by owner")?;
        ctx.emit(sender_event(&self.owner));
        Ok(response(pb::MsgCloseOrderResponse {}))
    }
}

/// Closes an order: its open bids are refunded, and so is what is left in its escrow (to the
/// owner). Returns the refund.
pub(crate) fn close_order_refunding(
    ctx: &mut Ctx,
    mut order: pb::Order,
    reason: &str,
) -> Result<Coin, TxError> {
    let owner = crate::keeper::stored_addr(&order.owner)?;
    let mut escrow = ctx.get_escrow(order.id)?.ok_or_else(|| {
        deai_framework::sdk::internal(format!("order {} has no escrow account", order.id))
    })?;
    // Open bids are refunded (at most order_max_bids of them).
    for mut bid in ctx.bids_of_order(order.id)? {
        if bid.state == BidState::Open as i32 {
            close_bid(ctx, &mut bid, BidState::Closed)?;
        }
    }
    let mut balance = escrow_balance(&escrow)?;
    let refunded = balance.clone();
    if refunded.amount > 0 {
        let transfers = ctx.send_from_module(MODULE_NAME, &owner, &coins_of(&refunded)?)?;
        emit_all(ctx, transfers);
    }
    balance.amount = 0;
    escrow.balance = Some(balance.to_proto());
    escrow.settled_at = ctx.block.height;
    if escrow.state != EscrowState::Overdrawn as i32 {
        escrow.state = EscrowState::Closed as i32;
    }
    ctx.put_escrow(&escrow)?;
    order.state = OrderState::Closed as i32;
    ctx.put_order(&order)?;
    ctx.emit(events::order_closed(order.id, reason, &refunded));
    Ok(refunded)
}
