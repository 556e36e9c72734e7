//! MsgBeginRedelegate and MsgCancelUnbondingDelegation.

use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;
use cosmos_sdk_proto::Any;

use deai_framework::handler::{emit_all, response, sender_event};
use deai_framework::{sdk, Address, Coin, Ctx, Event, Message, StateWrite, TxError};

use crate::address::val_to_bech32;
use crate::error::StakingError;
use crate::hooks::{delegate_with, unbond_with, SharedHooks};
use crate::keeper::{pool_of, time_key, tokens, StakingRead, StakingWrite, BONDED, UNBONDING};
use crate::math::Dec;
use crate::{state_key, MODULE_NAME, NOT_BONDED_POOL};

use super::*;

/// MsgBeginRedelegate: move a delegation to another validator without waiting; the moved
/// tokens stay slashable for the source's infractions until the entry matures.
#[derive(Debug)]
pub struct BeginRedelegate {
    pub delegator: Address,
    pub src: Address,
    pub dst: Address,
    pub amount: Coin,
    pub hooks: SharedHooks,
}

impl TryFrom<pb::MsgBeginRedelegate> for BeginRedelegate {
    type Error = TxError;
    fn try_from(m: pb::MsgBeginRedelegate) -> Result<Self, TxError> {
        let src = validator_addr(&m.validator_src_address)?;
        let dst = validator_addr(&m.validator_dst_address)?;
        if src == dst {
            return Err(StakingError::SelfRedelegation.into());
        }
        Ok(Self {
            delegator: delegator(&m.delegator_address)?,
            src,
            dst,
            amount: positive_coin(m.amount, "shares amount")?,
            hooks: SharedHooks::default(),
        })
    }
}

impl Message for BeginRedelegate {
    fn signers(&self) -> Vec<Address> {
        vec![self.delegator.clone()]
    }
    fn module(&self) -> &'static str {
        MODULE_NAME
    }
    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let p = ctx.staking_params()?;
        check_denom(&self.amount, &p)?;
        let mut src = ctx.must_validator(&self.src)?;
        if ctx.validator(&self.dst)?.is_none() {
            return Err(StakingError::BadRedelegationDst.into());
        }
        if ctx.has_receiving_redelegation(&self.delegator, &self.src)? {
            return Err(StakingError::TransitiveRedelegation.into());
        }
        let existing = ctx.red(&self.delegator, &self.src, &self.dst)?;
        let h = height(ctx);
        if let Some(r) = &existing {
            if r.entries.len() >= p.max_entries as usize
                && !r.entries.iter().any(|e| e.creation_height == h)
            {
                return Err(StakingError::MaxRedelegationEntries.into());
            }
        }
        let remove = ctx.shares_to_unbond(&self.delegator, &src, self.amount.amount)?;
        let src_status = src.status;
        let src_unbonding_time = src.unbonding_time.as_ref().map_or(0, |t| t.seconds);
        let amount = unbond_with(ctx, self.hooks.get(), &self.delegator, &mut src, remove)?;
        if amount == 0 {
            return Err(StakingError::TinyRedelegationAmount.into());
        }
        let mut dst = ctx.must_validator(&self.dst)?;
        let mut events = Vec::new();
        let issued = delegate_with(
            ctx,
            self.hooks.get(),
            &self.delegator,
            &mut dst,
            amount,
            Some(pool_of(src_status)),
            &mut events,
        )?;
        // As the SDK: from a bonded source the entry matures after the unbonding time, from an
        // unbonding one when the source finishes unbonding, from an unbonded one at once.
        let completion = match src_status {
            BONDED => completion(ctx, &p)?,
            UNBONDING => src_unbonding_time,
            _ => now(ctx),
        };
        if completion > now(ctx) {
            let mut r = existing.unwrap_or_else(|| pb::Redelegation {
                delegator_address: self.delegator.to_bech32(),
                validator_src_address: val_to_bech32(&self.src),
                validator_dst_address: val_to_bech32(&self.dst),
                entries: Vec::new(),
            });
            if r.entries.len() >= p.max_entries as usize {
                return Err(StakingError::MaxRedelegationEntries.into());
            }
            r.entries.push(pb::RedelegationEntry {
                creation_height: h,
                completion_time: Some(ts(completion)),
                initial_balance: amount.to_string(),
                shares_dst: issued.to_string(),
                unbonding_id: 0,
                unbonding_on_hold_ref_count: 0,
            });
            ctx.put_red(&self.delegator, &self.src, &self.dst, &r)?;
            ctx.put(
                state_key::red_queue(time_key(completion), &self.delegator, &self.src, &self.dst),
                Vec::new(),
            )?;
        }
        events.push(
            Event::new(crate::events::REDELEGATE)
                .attr("source_validator", val_to_bech32(&self.src))
                .attr("destination_validator", val_to_bech32(&self.dst))
                .attr("delegator", &self.delegator)
                .attr("amount", coin_str(amount, &p.bond_denom))
                .attr("completion_time", completion),
        );
        events.push(sender_event(&self.delegator));
        emit_all(ctx, events);
        Ok(response(pb::MsgBeginRedelegateResponse {
            completion_time: Some(ts(completion)),
        }))
    }
}

// ---------------------------------------------------------------------------------------------

/// MsgCancelUnbondingDelegation: re-delegate (part of) a maturing unbonding entry to its
/// validator.
#[derive(Debug)]
pub struct CancelUnbondingDelegation {
    pub delegator: Address,
    pub validator: Address,
    pub amount: Coin,
    pub creation_height: i64,
    pub hooks: SharedHooks,
}

impl TryFrom<pb::MsgCancelUnbondingDelegation> for CancelUnbondingDelegation {
    type Error = TxError;
    fn try_from(m: pb::MsgCancelUnbondingDelegation) -> Result<Self, TxError> {
        if m.creation_height <= 0 {
            return Err(sdk::invalid_request("invalid height"));
        }
        Ok(Self {
            delegator: delegator(&m.delegator_address)?,
            validator: validator_addr(&m.validator_address)?,
            amount: positive_coin(m.amount, "amount")?,
            creation_height: m.creation_height,
            hooks: SharedHooks::default(),
        })
    }
}

impl Message for CancelUnbondingDelegation {
    fn signers(&self) -> Vec<Address> {
        vec![self.delegator.clone()]
    }
    fn module(&self) -> &'static str {
        MODULE_NAME
    }
    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let p = ctx.staking_params()?;
        check_denom(&self.amount, &p)?;
        let mut v = ctx.must_validator(&self.validator)?;
        if tokens(&v)? == 0 && crate::keeper::shares(&v)? != Dec::ZERO {
            return Err(StakingError::DelegatorShareExRateInvalid.into());
        }
        if v.jailed {
            return Err(StakingError::ValidatorJailed(v.operator_address.clone()).into());
        }
        let mut u = ctx
            .ubd(&self.delegator, &self.validator)?
            .ok_or(StakingError::NoUnbondingDelegation)?;
        let i = u
            .entries
            .iter()
            .position(|e| e.creation_height == self.creation_height)
            .ok_or_else(|| {
                TxError::new(
                    sdk::CODESPACE,
                    crate::error::SDK_NOT_FOUND,
                    format!(
                        "unbonding delegation entry is not found at block height {}",
                        self.creation_height
                    ),
                )
            })?;
        let entry = &u.entries[i];
        let parse = |s: &str| {
            deai_framework::coins::parse_amount(s)
                .map_err(|_| sdk::internal("corrupt unbonding entry"))
        };
        let balance = parse(&entry.balance)?;
        let initial = parse(&entry.initial_balance)?;
        if self.amount.amount > balance {
            return Err(sdk::invalid_request(
                "amount is greater than the unbonding delegation entry balance",
            ));
        }
        // As the SDK: an entry that matured before this block is gone (end_block pays it).
        if entry.completion_time.as_ref().map_or(0, |t| t.seconds) < now(ctx) {
            return Err(sdk::invalid_request(
                "unbonding delegation is already processed",
            ));
        }
        let mut events = Vec::new();
        delegate_with(
            ctx,
            self.hooks.get(),
            &self.delegator,
            &mut v,
            self.amount.amount,
            Some(NOT_BONDED_POOL),
            &mut events,
        )?;
        let left = balance - self.amount.amount;
        if left == 0 {
            u.entries.remove(i);
        } else {
            u.entries[i].balance = left.to_string();
            u.entries[i].initial_balance = initial.saturating_sub(self.amount.amount).to_string();
        }
        ctx.put_ubd(&self.delegator, &self.validator, &u)?;
        events.push(
            Event::new(crate::events::CANCEL_UNBONDING_DELEGATION)
                .attr("validator", val_to_bech32(&self.validator))
                .attr("delegator", &self.delegator)
                .attr("amount", coin_str(self.amount.amount, &p.bond_denom))
                .attr("creation_height", self.creation_height),
        );
        events.push(sender_event(&self.delegator));
        emit_all(ctx, events);
        Ok(response(pb::MsgCancelUnbondingDelegationResponse {}))
    }
}
