//! MsgDelegate and MsgUndelegate.

use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;
use cosmos_sdk_proto::Any;

use deai_framework::handler::{emit_all, response, sender_event};
use deai_framework::{sdk, Address, Coin, Ctx, Event, Message, StateWrite, TxError};

use crate::address::val_to_bech32;
use crate::error::StakingError;
use crate::hooks::{delegate_with, unbond_with, SharedHooks};
use crate::keeper::{pool_of, time_key, StakingRead, StakingWrite};
use crate::params::Params;
use crate::{state_key, MODULE_NAME, NOT_BONDED_POOL};

use super::*;

/// MsgDelegate: bond tokens to a validator for shares at its exchange rate.
#[derive(Debug)]
pub struct Delegate {
    pub delegator: Address,
    pub validator: Address,
    pub amount: Coin,
    pub hooks: SharedHooks,
}

impl TryFrom<pb::MsgDelegate> for Delegate {
    type Error = TxError;
    fn try_from(m: pb::MsgDelegate) -> Result<Self, TxError> {
        Ok(Self {
            delegator: delegator(&m.delegator_address)?,
            validator: validator_addr(&m.validator_address)?,
            amount: positive_coin(m.amount, "delegation amount")?,
            hooks: SharedHooks::default(),
        })
    }
}

impl Message for Delegate {
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
        let mut events = Vec::new();
        let issued = delegate_with(
            ctx,
            self.hooks.get(),
            &self.delegator,
            &mut v,
            self.amount.amount,
            None,
            &mut events,
        )?;
        events.push(
            Event::new(crate::events::DELEGATE)
                .attr("validator", &v.operator_address)
                .attr("delegator", &self.delegator)
                .attr("amount", coin_str(self.amount.amount, &p.bond_denom))
                .attr("new_shares", issued),
        );
        events.push(sender_event(&self.delegator));
        emit_all(ctx, events);
        Ok(response(pb::MsgDelegateResponse {}))
    }
}

// ---------------------------------------------------------------------------------------------

/// MsgUndelegate: unbond tokens; they reach the delegator after the unbonding time.
#[derive(Debug)]
pub struct Undelegate {
    pub delegator: Address,
    pub validator: Address,
    pub amount: Coin,
    pub hooks: SharedHooks,
}

impl TryFrom<pb::MsgUndelegate> for Undelegate {
    type Error = TxError;
    fn try_from(m: pb::MsgUndelegate) -> Result<Self, TxError> {
        Ok(Self {
            delegator: delegator(&m.delegator_address)?,
            validator: validator_addr(&m.validator_address)?,
            amount: positive_coin(m.amount, "shares amount")?,
            hooks: SharedHooks::default(),
        })
    }
}

/// Adds an unbonding entry (merged with one made at the same height), refusing past
/// max_entries, and queues its maturity.
fn add_ubd_entry(
    ctx: &mut Ctx,
    p: &Params,
    del: &Address,
    val: &Address,
    amount: u128,
    completion: i64,
) -> Result<(), TxError> {
    let mut u = ctx
        .ubd(del, val)?
        .unwrap_or_else(|| pb::UnbondingDelegation {
            delegator_address: del.to_bech32(),
            validator_address: val_to_bech32(val),
            entries: Vec::new(),
        });
    let h = height(ctx);
    match u.entries.iter_mut().find(|e| {
        e.creation_height == h && e.completion_time.as_ref().map(|t| t.seconds) == Some(completion)
    }) {
        Some(e) => {
            let add = |s: &str| -> Result<String, TxError> {
                let v = deai_framework::coins::parse_amount(s)
                    .map_err(|_| sdk::internal("corrupt unbonding entry"))?;
                v.checked_add(amount)
                    .map(|x| x.to_string())
                    .ok_or_else(|| sdk::overflow("unbonding entry overflows"))
            };
            e.initial_balance = add(&e.initial_balance)?;
            e.balance = add(&e.balance)?;
        }
        None => {
            if u.entries.len() >= p.max_entries as usize {
                return Err(StakingError::MaxUnbondingDelegationEntries.into());
            }
            u.entries.push(pb::UnbondingDelegationEntry {
                creation_height: h,
                completion_time: Some(ts(completion)),
                initial_balance: amount.to_string(),
                balance: amount.to_string(),
                unbonding_id: 0,
                unbonding_on_hold_ref_count: 0,
            });
        }
    }
    ctx.put_ubd(del, val, &u)?;
    ctx.put(
        state_key::ubd_queue(time_key(completion), del, val),
        Vec::new(),
    )
}

impl Message for Undelegate {
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
        if let Some(u) = ctx.ubd(&self.delegator, &self.validator)? {
            let h = height(ctx);
            if u.entries.len() >= p.max_entries as usize
                && !u.entries.iter().any(|e| e.creation_height == h)
            {
                return Err(StakingError::MaxUnbondingDelegationEntries.into());
            }
        }
        let remove = ctx.shares_to_unbond(&self.delegator, &v, self.amount.amount)?;
        let was = v.status;
        let amount = unbond_with(ctx, self.hooks.get(), &self.delegator, &mut v, remove)?;
        if amount == 0 {
            return Err(sdk::invalid_request(
                "amount too small to undelegate: it is worth zero tokens",
            ));
        }
        let mut events = Vec::new();
        ctx.move_pool(pool_of(was), NOT_BONDED_POOL, amount, &mut events)?;
        let completion = completion(ctx, &p)?;
        add_ubd_entry(
            ctx,
            &p,
            &self.delegator,
            &self.validator,
            amount,
            completion,
        )?;
        events.push(
            Event::new(crate::events::UNBOND)
                .attr("validator", val_to_bech32(&self.validator))
                .attr("delegator", &self.delegator)
                .attr("amount", coin_str(amount, &p.bond_denom))
                .attr("completion_time", completion),
        );
        events.push(sender_event(&self.delegator));
        emit_all(ctx, events);
        Ok(response(pb::MsgUndelegateResponse {
            completion_time: Some(ts(completion)),
            amount: Some(Coin::new(&p.bond_denom, amount)?.to_proto()),
        }))
    }
}
