//! staking's messages: decoding and stateless validation (`TryFrom` the proto, the SDK's
//! `ValidateBasic`), then execution. Every loop here is over a bounded record (a pair's entries,
//! at most `max_entries`).

use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;
use cosmos_sdk_proto::Any;
use tendermint_proto::google::protobuf::Timestamp;

use deai_framework::authority;
use deai_framework::handler::{emit_all, required_coin, response, sender_event};
use deai_framework::{sdk, Address, Coin, Ctx, Event, Message, StateRead, StateWrite, TxError};

use crate::address::{val_from_bech32, val_to_bech32};
use crate::error::StakingError;
use crate::keeper::{
    consensus_address, min_self_delegation, pool_of, pubkey_any, pubkey_bytes, time_key, tokens,
    StakingRead, StakingWrite, BONDED, UNBONDED, UNBONDING,
};
use crate::math::{self, Dec};
use crate::params::Params;
use crate::{state_key, MODULE_NAME, NOT_BONDED_POOL};

/// The SDK's description limits.
pub const MAX_MONIKER_LEN: usize = 70;
pub const MAX_IDENTITY_LEN: usize = 3000;
pub const MAX_WEBSITE_LEN: usize = 140;
pub const MAX_SECURITY_CONTACT_LEN: usize = 140;
pub const MAX_DETAILS_LEN: usize = 280;
/// `MsgEditValidator`'s "leave this field as it is".
pub const DO_NOT_MODIFY: &str = "[do-not-modify]";
/// A commission rate may change once a day.
pub const COMMISSION_UPDATE_SECS: i64 = 24 * 60 * 60;

fn delegator(s: &str) -> Result<Address, TxError> {
    if s.is_empty() {
        return Err(StakingError::EmptyDelegatorAddr.into());
    }
    Address::from_bech32(s)
}

fn validator_addr(s: &str) -> Result<Address, TxError> {
    if s.is_empty() {
        return Err(StakingError::EmptyValidatorAddr.into());
    }
    val_from_bech32(s)
}

/// A positive amount (the SDK: "invalid delegation amount", ErrInvalidRequest).
fn positive_coin(
    c: Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>,
    what: &'static str,
) -> Result<Coin, TxError> {
    let c = required_coin(c, what)?;
    if c.amount == 0 {
        return Err(sdk::invalid_request(format!(
            "invalid {what}: must be positive"
        )));
    }
    Ok(c)
}

fn check_denom(c: &Coin, p: &Params) -> Result<(), TxError> {
    if c.denom != p.bond_denom {
        return Err(sdk::invalid_request(format!(
            "invalid coin denomination: got {}, expected {}",
            c.denom, p.bond_denom
        )));
    }
    Ok(())
}

fn positive_int(s: &str, what: &str) -> Result<u128, TxError> {
    let v = deai_framework::coins::parse_amount(s)
        .map_err(|_| sdk::invalid_request(format!("{what} must be a positive integer")))?;
    if v == 0 {
        return Err(sdk::invalid_request(format!(
            "{what} must be a positive integer"
        )));
    }
    Ok(v)
}

/// A rate string: the SDK's "negative" error for `-…`, then a LegacyDec.
fn rate(s: &str, negative: StakingError) -> Result<Dec, TxError> {
    if s.trim_start().starts_with('-') {
        return Err(negative.into());
    }
    math::parse_dec(s).map_err(sdk::invalid_request)
}

/// The SDK's `CommissionRates.Validate`.
pub fn validate_commission(c: &pb::CommissionRates) -> Result<(Dec, Dec, Dec), TxError> {
    let max_rate = rate(&c.max_rate, StakingError::CommissionNegative)?;
    if max_rate > Dec::ONE {
        return Err(StakingError::CommissionHuge.into());
    }
    let r = rate(&c.rate, StakingError::CommissionNegative)?;
    if r > max_rate {
        return Err(StakingError::CommissionGtMaxRate.into());
    }
    let change = rate(
        &c.max_change_rate,
        StakingError::CommissionChangeRateNegative,
    )?;
    if change > max_rate {
        return Err(StakingError::CommissionChangeRateGtMaxRate.into());
    }
    Ok((r, max_rate, change))
}

/// The SDK's `Description.EnsureLength`.
pub fn validate_description(d: &pb::Description) -> Result<(), TxError> {
    let checks = [
        ("moniker", &d.moniker, MAX_MONIKER_LEN),
        ("identity", &d.identity, MAX_IDENTITY_LEN),
        ("website", &d.website, MAX_WEBSITE_LEN),
        (
            "security contact",
            &d.security_contact,
            MAX_SECURITY_CONTACT_LEN,
        ),
        ("details", &d.details, MAX_DETAILS_LEN),
    ];
    for (name, v, max) in checks {
        if v.len() > max {
            return Err(StakingError::InvalidDescription(format!(
                "invalid {name} length; got: {}, max: {max}",
                v.len()
            ))
            .into());
        }
    }
    Ok(())
}

fn ts(secs: i64) -> Timestamp {
    Timestamp {
        seconds: secs,
        nanos: 0,
    }
}

fn now(ctx: &Ctx) -> i64 {
    ctx.block.time_unix
}

fn height(ctx: &Ctx) -> i64 {
    i64::try_from(ctx.block.height).unwrap_or(i64::MAX)
}

fn completion(ctx: &Ctx, p: &Params) -> Result<i64, TxError> {
    now(ctx)
        .checked_add(p.unbonding_secs)
        .ok_or_else(|| sdk::overflow("completion time overflows"))
}

fn coin_str(amount: u128, denom: &str) -> String {
    format!("{amount}{denom}")
}

// ---------------------------------------------------------------------------------------------

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
        let mut events = Vec::new();
        ctx.delegate(&self.operator, &mut v, self.value.amount, None, &mut events)?;
        events.push(
            Event::new("create_validator")
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
            let r = math::parse_dec(&m.commission_rate).map_err(sdk::invalid_request)?;
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
            Event::new("edit_validator")
                .attr("commission_rate", rate_str)
                .attr("min_self_delegation", &v.min_self_delegation),
        );
        ctx.emit(sender_event(&self.operator));
        Ok(response(pb::MsgEditValidatorResponse {}))
    }
}

// ---------------------------------------------------------------------------------------------

/// MsgDelegate: bond tokens to a validator for shares at its exchange rate.
#[derive(Debug)]
pub struct Delegate {
    pub delegator: Address,
    pub validator: Address,
    pub amount: Coin,
}

impl TryFrom<pb::MsgDelegate> for Delegate {
    type Error = TxError;
    fn try_from(m: pb::MsgDelegate) -> Result<Self, TxError> {
        Ok(Self {
            delegator: delegator(&m.delegator_address)?,
            validator: validator_addr(&m.validator_address)?,
            amount: positive_coin(m.amount, "delegation amount")?,
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
        let issued = ctx.delegate(
            &self.delegator,
            &mut v,
            self.amount.amount,
            None,
            &mut events,
        )?;
        events.push(
            Event::new("delegate")
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
}

impl TryFrom<pb::MsgUndelegate> for Undelegate {
    type Error = TxError;
    fn try_from(m: pb::MsgUndelegate) -> Result<Self, TxError> {
        Ok(Self {
            delegator: delegator(&m.delegator_address)?,
            validator: validator_addr(&m.validator_address)?,
            amount: positive_coin(m.amount, "shares amount")?,
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
        let amount = ctx.unbond(&self.delegator, &mut v, remove)?;
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
            Event::new("unbond")
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

// ---------------------------------------------------------------------------------------------

/// MsgBeginRedelegate: move a delegation to another validator without waiting; the moved
/// tokens stay slashable for the source's infractions until the entry matures.
#[derive(Debug)]
pub struct BeginRedelegate {
    pub delegator: Address,
    pub src: Address,
    pub dst: Address,
    pub amount: Coin,
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
        let amount = ctx.unbond(&self.delegator, &mut src, remove)?;
        if amount == 0 {
            return Err(StakingError::TinyRedelegationAmount.into());
        }
        let mut dst = ctx.must_validator(&self.dst)?;
        let mut events = Vec::new();
        let issued = ctx.delegate(
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
            Event::new("redelegate")
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
        ctx.delegate(
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
            Event::new("cancel_unbonding_delegation")
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

// ---------------------------------------------------------------------------------------------

/// MsgUpdateParams: replaces every staking param; only the module's authority may sign it.
#[derive(Debug)]
pub struct UpdateParams {
    pub authority: Address,
    pub params: Params,
}

impl TryFrom<pb::MsgUpdateParams> for UpdateParams {
    type Error = TxError;
    fn try_from(m: pb::MsgUpdateParams) -> Result<Self, TxError> {
        let (authority, params) = authority::update_params_from(
            &m.authority,
            m.params,
            |p| -> Result<Params, TxError> { Ok(Params::from_proto(p)?) },
        )?;
        Ok(Self { authority, params })
    }
}

impl Message for UpdateParams {
    fn signers(&self) -> Vec<Address> {
        vec![self.authority.clone()]
    }
    fn module(&self) -> &'static str {
        MODULE_NAME
    }
    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let old = ctx.staking_params()?;
        if old.bond_denom != self.params.bond_denom
            && (ctx.last_total_power()? > 0 || shares_exist(ctx)?)
        {
            return Err(StakingError::InvalidParams(
                "bond_denom cannot change while tokens are bonded".into(),
            )
            .into());
        }
        authority::update_params(
            ctx,
            &state_key::authority(),
            &self.authority,
            |ctx| ctx.set_staking_params(&self.params),
            Event::new("update_params").attr("module", MODULE_NAME),
            pb::MsgUpdateParamsResponse {},
        )
    }
}

/// Whether any validator exists (the bond denom is then fixed).
fn shares_exist(ctx: &Ctx) -> Result<bool, TxError> {
    let prefix = state_key::validators();
    let end = deai_framework::keys::prefix_end(&prefix);
    Ok(!ctx.scan(&prefix, end.as_deref(), false, 1)?.is_empty())
}
