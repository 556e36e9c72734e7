//! MsgCreateValidator and MsgEditValidator.

use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;
use cosmos_sdk_proto::Any;

use deai_framework::handler::{emit_all, response, sender_event};
use deai_framework::{sdk, Address, Coin, Ctx, Event, Message, StateWrite, TxError};

use crate::address::val_to_bech32;
use crate::error::StakingError;
use crate::hooks::{delegate_with, SharedHooks};
use crate::keeper::{
    consensus_address, min_self_delegation, pubkey_any, pubkey_bytes, tokens, StakingRead,
    StakingWrite, UNBONDED,
};
use crate::math::{self, Dec};
use crate::{state_key, MODULE_NAME};

use super::*;

/// MsgCreateValidator: a new validator with an ed25519 consensus key, commission rates and a
/// minimum self-delegation, and its operator's first (self-)delegation.
#[derive(Debug)]
pub struct CreateValidator {
    pub operator: Address,
    pub description: pb::Description,
    pub rates: (Dec, Dec, Dec),
    pub min_self_delegation: u128,
    pub pubkey: Vec<u8>,
    pub value: Coin,
    pub hooks: SharedHooks,
}

impl TryFrom<pb::MsgCreateValidator> for CreateValidator {
    type Error = TxError;
    fn try_from(m: pb::MsgCreateValidator) -> Result<Self, TxError> {
        let operator = validator_addr(&m.validator_address)?;
        let any = m.pubkey.ok_or(StakingError::EmptyValidatorPubKey)?;
        let pubkey = pubkey_bytes(&any)?;
        let value = positive_coin(m.value, "delegation amount")?;
        let description = m
            .description
            .ok_or_else(|| sdk::invalid_request("empty description"))?;
        if description == pb::Description::default() {
            return Err(sdk::invalid_request("empty description"));
        }
        validate_description(&description)?;
        let commission = m
            .commission
            .ok_or_else(|| sdk::invalid_request("empty commission"))?;
        let rates = validate_commission(&commission)?;
        let min_self_delegation = positive_int(&m.min_self_delegation, "minimum self delegation")?;
        if value.amount < min_self_delegation {
            return Err(StakingError::SelfDelegationBelowMinimum.into());
        }
        Ok(Self {
            operator,
            description,
            rates,
            min_self_delegation,
            pubkey,
            value,
            hooks: SharedHooks::default(),
        })
    }
}

impl Message for CreateValidator {
    fn signers(&self) -> Vec<Address> {
        vec![self.operator.clone()]
    }
    fn module(&self) -> &'static str {
        MODULE_NAME
    }
    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let p = ctx.staking_params()?;
        check_denom(&self.value, &p)?;
        if self.rates.0 < p.min_commission_rate {
            return Err(
                StakingError::CommissionLtMinRate(p.min_commission_rate.to_string()).into(),
            );
        }
        if ctx.validator(&self.operator)?.is_some() {
            return Err(StakingError::ValidatorOwnerExists.into());
        }
        let cons = consensus_address(&self.pubkey);
        if ctx.validator_by_cons(&cons)?.is_some() {
            return Err(StakingError::ValidatorPubKeyExists.into());
        }
        let (r, max, change) = self.rates;
        let mut v = pb::Validator {
            operator_address: val_to_bech32(&self.operator),
            consensus_pubkey: Some(pubkey_any(&self.pubkey)),
            jailed: false,
            status: UNBONDED,
            tokens: "0".into(),
            delegator_shares: Dec::ZERO.to_string(),
            description: Some(self.description.clone()),
            unbonding_height: 0,
            unbonding_time: Some(ts(0)),
            commission: Some(pb::Commission {
                commission_rates: Some(pb::CommissionRates {
                    rate: r.to_string(),
                    max_rate: max.to_string(),
                    max_change_rate: change.to_string(),
                }),
                update_time: Some(ts(now(ctx))),
            }),
            min_self_delegation: self.min_self_delegation.to_string(),
            unbonding_on_hold_ref_count: 0,
            unbonding_ids: Vec::new(),
        };
        ctx.put_validator(&v)?;
        ctx.put(state_key::by_cons(&cons), self.operator.as_bytes().to_vec())?;
        self.hooks
            .get()
            .after_validator_created(ctx, &self.operator)?;
        let mut events = Vec::new();
        delegate_with(
            ctx,
            self.hooks.get(),
            &self.operator,
            &mut v,
            self.value.amount,
            None,
            &mut events,
        )?;
        events.push(
            Event::new(crate::events::CREATE_VALIDATOR)
                .attr("validator", &v.operator_address)
                .attr("amount", coin_str(self.value.amount, &self.value.denom)),
        );
        events.push(sender_event(&self.operator));
        emit_all(ctx, events);
        Ok(response(pb::MsgCreateValidatorResponse {}))
    }
}

// ---------------------------------------------------------------------------------------------

/// MsgEditValidator: description fields (unless `[do-not-modify]`), the commission rate (once a
/// day, within max_rate and max_change_rate) and a higher min self-delegation.
#[derive(Debug)]
pub struct EditValidator {
    pub operator: Address,
    pub description: pb::Description,
    pub rate: Option<Dec>,
    pub min_self_delegation: Option<u128>,
}

impl TryFrom<pb::MsgEditValidator> for EditValidator {
    type Error = TxError;
    fn try_from(m: pb::MsgEditValidator) -> Result<Self, TxError> {
        let operator = validator_addr(&m.validator_address)?;
        let description = m
            .description
            .ok_or_else(|| sdk::invalid_request("empty description"))?;
        if description == pb::Description::default() {
            return Err(sdk::invalid_request("empty description"));
        }
        // The SDK's ValidateBasic: a rate outside [0, 1] is an invalid request.
        let rate = if m.commission_rate.is_empty() {
            None
        } else {
            let bad =
                || sdk::invalid_request("commission rate must be between 0 and 1 (inclusive)");
            if m.commission_rate.trim_start().starts_with('-') {
                return Err(bad());
            }
            let r = math::parse_wire_dec(&m.commission_rate).map_err(sdk::invalid_request)?;
            if r > Dec::ONE {
                return Err(bad());
            }
            Some(r)
        };
        let min_self_delegation = if m.min_self_delegation.is_empty() {
            None
        } else {
            Some(positive_int(
                &m.min_self_delegation,
                "minimum self delegation",
            )?)
        };
        Ok(Self {
            operator,
            description,
            rate,
            min_self_delegation,
        })
    }
}

fn merge(old: &str, new: &str) -> String {
    if new == DO_NOT_MODIFY {
        old.to_string()
    } else {
        new.to_string()
    }
}

impl Message for EditValidator {
    fn signers(&self) -> Vec<Address> {
        vec![self.operator.clone()]
    }
    fn module(&self) -> &'static str {
        MODULE_NAME
    }
    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let p = ctx.staking_params()?;
        if let Some(r) = self.rate {
            // The SDK's msg server: an invalid request, before the validator is looked up.
            if r < p.min_commission_rate {
                return Err(sdk::invalid_request(format!(
                    "commission rate cannot be less than the min commission rate {}",
                    p.min_commission_rate
                )));
            }
        }
        let mut v = ctx.must_validator(&self.operator)?;
        let old = v.description.clone().unwrap_or_default();
        let d = &self.description;
        let description = pb::Description {
            moniker: merge(&old.moniker, &d.moniker),
            identity: merge(&old.identity, &d.identity),
            website: merge(&old.website, &d.website),
            security_contact: merge(&old.security_contact, &d.security_contact),
            details: merge(&old.details, &d.details),
        };
        validate_description(&description)?;
        v.description = Some(description);
        let mut commission = v.commission.clone().unwrap_or_default();
        let mut rates = commission.commission_rates.clone().unwrap_or_default();
        if let Some(new_rate) = self.rate {
            let (old_rate, max_rate, max_change) = validate_commission(&rates)
                .map_err(|e| sdk::internal(format!("corrupt stored commission: {}", e.log)))?;
            let last = commission.update_time.as_ref().map_or(0, |t| t.seconds);
            if now(ctx).saturating_sub(last) < COMMISSION_UPDATE_SECS {
                return Err(StakingError::CommissionUpdateTime.into());
            }
            if new_rate > max_rate {
                return Err(StakingError::CommissionGtMaxRate.into());
            }
            // As the SDK's ValidateNewRate: only an increase is bounded by max_change_rate.
            if new_rate.units().saturating_sub(old_rate.units()) > max_change.units() {
                return Err(StakingError::CommissionGtMaxChangeRate.into());
            }
            rates.rate = new_rate.to_string();
            commission.commission_rates = Some(rates);
            commission.update_time = Some(ts(now(ctx)));
            v.commission = Some(commission);
        }
        if let Some(min) = self.min_self_delegation {
            if min <= min_self_delegation(&v)? {
                return Err(StakingError::MinSelfDelegationDecreased.into());
            }
            if min > tokens(&v)? {
                return Err(StakingError::SelfDelegationBelowMinimum.into());
            }
            v.min_self_delegation = min.to_string();
        }
        ctx.put_validator(&v)?;
        let rate_str = v
            .commission
            .as_ref()
            .and_then(|c| c.commission_rates.as_ref())
            .map(|r| r.rate.clone())
            .unwrap_or_default();
        ctx.emit(
            Event::new(crate::events::EDIT_VALIDATOR)
                .attr("commission_rate", rate_str)
                .attr("min_self_delegation", &v.min_self_delegation),
        );
        ctx.emit(sender_event(&self.operator));
        Ok(response(pb::MsgEditValidatorResponse {}))
    }
}
