//! staking's queries at the SDK's gRPC paths (`/cosmos.staking.v1beta1.Query/...`), with the
//! framework's pagination (bounded pages).

use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse;
use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;

use deai_bank::BankRead;
use deai_framework::pagination::paginate;
use deai_framework::query::parse_address;
use deai_framework::{records, sdk, Address, Coin, Router, StateRead, TxError};

use crate::address::val_from_bech32;
use crate::error::StakingError;
use crate::keeper::{delegation_shares, shares, tokens, StakingRead};
use crate::math;
use crate::{state_key, BONDED_POOL, MODULE_NAME, NOT_BONDED_POOL};

const Q: &str = "/cosmos.staking.v1beta1.Query/";

fn val_arg(s: &str) -> Result<Address, TxError> {
    if s.is_empty() {
        return Err(sdk::invalid_address("empty validator address"));
    }
    val_from_bech32(s)
}

/// A validator as the SDK answers it: LegacyDec fields in their wire form (units).
fn wire_validator(mut v: pb::Validator) -> pb::Validator {
    v.delegator_shares = math::to_wire_dec(&v.delegator_shares);
    if let Some(r) = v
        .commission
        .as_mut()
        .and_then(|c| c.commission_rates.as_mut())
    {
        r.rate = math::to_wire_dec(&r.rate);
        r.max_rate = math::to_wire_dec(&r.max_rate);
        r.max_change_rate = math::to_wire_dec(&r.max_change_rate);
    }
    v
}

fn wire_delegation(mut d: pb::Delegation) -> pb::Delegation {
    d.shares = math::to_wire_dec(&d.shares);
    d
}

fn wire_red_entry(mut e: pb::RedelegationEntry) -> pb::RedelegationEntry {
    e.shares_dst = math::to_wire_dec(&e.shares_dst);
    e
}

fn delegation_response(
    s: &dyn StateRead,
    d: pb::Delegation,
) -> Result<pb::DelegationResponse, TxError> {
    let op = crate::address::stored_val(&d.validator_address)?;
    let v = s
        .validator(&op)?
        .ok_or_else(|| sdk::internal("delegation to a missing validator"))?;
    let (t, sh) = (tokens(&v)?, shares(&v)?);
    let balance = math::tokens_for_shares(t, sh, delegation_shares(&d)?)?;
    let denom = s.staking_params()?.bond_denom;
    Ok(pb::DelegationResponse {
        delegation: Some(wire_delegation(d)),
        balance: Some(Coin::new(denom, balance)?.to_proto()),
    })
}

/// Loads the validators named by a page of an index whose relative keys are one address.
fn validators_named(
    s: &dyn StateRead,
    keys: &[(Vec<u8>, Vec<u8>)],
) -> Result<Vec<pb::Validator>, TxError> {
    keys.iter()
        .map(|(k, _)| {
            let op = state_key::read_addrs(k, 1)?.remove(0);
            s.validator(&op)?
                .map(wire_validator)
                .ok_or_else(|| sdk::internal("index names a missing validator"))
        })
        .collect()
}

fn validators(
    s: &dyn StateRead,
    r: pb::QueryValidatorsRequest,
) -> Result<pb::QueryValidatorsResponse, TxError> {
    let (validators, pagination) = if r.status.is_empty() {
        let (page, resp) = paginate(s, &state_key::validators(), r.pagination)?;
        let vals = page
            .iter()
            .map(|(_, v)| records::decode(MODULE_NAME, v).map(wire_validator))
            .collect::<Result<Vec<_>, _>>()?;
        (vals, resp)
    } else {
        let status = pb::BondStatus::from_str_name(&r.status)
            .filter(|s| *s != pb::BondStatus::Unspecified)
            .ok_or_else(|| {
                sdk::invalid_request(format!("invalid validator status {}", r.status))
            })?;
        let (page, resp) = paginate(s, &state_key::status_prefix(status as i32), r.pagination)?;
        (validators_named(s, &page)?, resp)
    };
    Ok(pb::QueryValidatorsResponse {
        validators,
        pagination: Some(pagination),
    })
}

fn validator(
    s: &dyn StateRead,
    r: pb::QueryValidatorRequest,
) -> Result<pb::QueryValidatorResponse, TxError> {
    let op = val_arg(&r.validator_addr)?;
    Ok(pb::QueryValidatorResponse {
        validator: Some(wire_validator(s.must_validator(&op)?)),
    })
}

fn validator_delegations(
    s: &dyn StateRead,
    r: pb::QueryValidatorDelegationsRequest,
) -> Result<pb::QueryValidatorDelegationsResponse, TxError> {
    let op = val_arg(&r.validator_addr)?;
    let (page, pagination) = paginate(s, &state_key::delegations_to(&op), r.pagination)?;
    let mut out = Vec::with_capacity(page.len());
    for (k, _) in &page {
        let del = state_key::read_addrs(k, 1)?.remove(0);
        let d = s
            .delegation(&del, &op)?
            .ok_or_else(|| sdk::internal("index names a missing delegation"))?;
        out.push(delegation_response(s, d)?);
    }
    Ok(pb::QueryValidatorDelegationsResponse {
        delegation_responses: out,
        pagination: Some(pagination),
    })
}

fn validator_unbonding_delegations(
    s: &dyn StateRead,
    r: pb::QueryValidatorUnbondingDelegationsRequest,
) -> Result<pb::QueryValidatorUnbondingDelegationsResponse, TxError> {
    let op = val_arg(&r.validator_addr)?;
    let prefix = deai_framework::keys::KeyBuilder::new(MODULE_NAME, "ubd_by_val")
        .addr(&op)
        .build();
    let (page, pagination) = paginate(s, &prefix, r.pagination)?;
    let mut out = Vec::with_capacity(page.len());
    for (k, _) in &page {
        let del = state_key::read_addrs(k, 1)?.remove(0);
        out.push(
            s.ubd(&del, &op)?
                .ok_or_else(|| sdk::internal("index names a missing unbonding delegation"))?,
        );
    }
    Ok(pb::QueryValidatorUnbondingDelegationsResponse {
        unbonding_responses: out,
        pagination: Some(pagination),
    })
}

fn delegation(
    s: &dyn StateRead,
    r: pb::QueryDelegationRequest,
) -> Result<pb::QueryDelegationResponse, TxError> {
    let del = parse_address(&r.delegator_addr)?;
    let op = val_arg(&r.validator_addr)?;
    let d = s
        .delegation(&del, &op)?
        .ok_or_else(|| TxError::from(StakingError::NoDelegation))?;
    Ok(pb::QueryDelegationResponse {
        delegation_response: Some(delegation_response(s, d)?),
    })
}

fn delegator_delegations(
    s: &dyn StateRead,
    r: pb::QueryDelegatorDelegationsRequest,
) -> Result<pb::QueryDelegatorDelegationsResponse, TxError> {
    let del = parse_address(&r.delegator_addr)?;
    let (page, pagination) = paginate(s, &state_key::delegations_of(&del), r.pagination)?;
    let mut out = Vec::with_capacity(page.len());
    for (_, v) in &page {
        out.push(delegation_response(s, records::decode(MODULE_NAME, v)?)?);
    }
    Ok(pb::QueryDelegatorDelegationsResponse {
        delegation_responses: out,
        pagination: Some(pagination),
    })
}

fn unbonding_delegation(
    s: &dyn StateRead,
    r: pb::QueryUnbondingDelegationRequest,
) -> Result<pb::QueryUnbondingDelegationResponse, TxError> {
    let del = parse_address(&r.delegator_addr)?;
    let op = val_arg(&r.validator_addr)?;
    let u = s
        .ubd(&del, &op)?
        .ok_or(StakingError::NoUnbondingDelegation)?;
    Ok(pb::QueryUnbondingDelegationResponse { unbond: Some(u) })
}

fn delegator_unbonding_delegations(
    s: &dyn StateRead,
    r: pb::QueryDelegatorUnbondingDelegationsRequest,
) -> Result<pb::QueryDelegatorUnbondingDelegationsResponse, TxError> {
    let del = parse_address(&r.delegator_addr)?;
    let (page, pagination) = paginate(s, &state_key::ubds_of(&del), r.pagination)?;
    let unbonding_responses = page
        .iter()
        .map(|(_, v)| records::decode(MODULE_NAME, v))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(pb::QueryDelegatorUnbondingDelegationsResponse {
        unbonding_responses,
        pagination: Some(pagination),
    })
}

fn red_response(r: pb::Redelegation) -> pb::RedelegationResponse {
    let entries = r
        .entries
        .iter()
        .map(|e| pb::RedelegationEntryResponse {
            redelegation_entry: Some(wire_red_entry(e.clone())),
            // No slashing yet: an entry's balance is its initial balance.
            balance: e.initial_balance.clone(),
        })
        .collect();
    let mut r = r;
    r.entries = r.entries.into_iter().map(wire_red_entry).collect();
    pb::RedelegationResponse {
        redelegation: Some(r),
        entries,
    }
}

/// Redelegations of a delegator: all of them, those from one source, or the one pair. (The
/// SDK's source-only form, without a delegator, is not served: it needs an index by source.)
fn redelegations(
    s: &dyn StateRead,
    r: pb::QueryRedelegationsRequest,
) -> Result<pb::QueryRedelegationsResponse, TxError> {
    let del = parse_address(&r.delegator_addr)?;
    if !r.src_validator_addr.is_empty() && !r.dst_validator_addr.is_empty() {
        let src = val_arg(&r.src_validator_addr)?;
        let dst = val_arg(&r.dst_validator_addr)?;
        let red = s
            .red(&del, &src, &dst)?
            .ok_or(StakingError::NoRedelegation)?;
        return Ok(pb::QueryRedelegationsResponse {
            redelegation_responses: vec![red_response(red)],
            pagination: Some(PageResponse::default()),
        });
    }
    let prefix = if r.src_validator_addr.is_empty() {
        state_key::reds_of(&del)
    } else {
        state_key::reds_of_from(&del, &val_arg(&r.src_validator_addr)?)
    };
    let (page, pagination) = paginate(s, &prefix, r.pagination)?;
    let redelegation_responses = page
        .iter()
        .map(|(_, v)| records::decode(MODULE_NAME, v).map(red_response))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(pb::QueryRedelegationsResponse {
        redelegation_responses,
        pagination: Some(pagination),
    })
}

fn delegator_validators(
    s: &dyn StateRead,
    r: pb::QueryDelegatorValidatorsRequest,
) -> Result<pb::QueryDelegatorValidatorsResponse, TxError> {
    let del = parse_address(&r.delegator_addr)?;
    let (page, pagination) = paginate(s, &state_key::delegations_of(&del), r.pagination)?;
    let mut validators = Vec::with_capacity(page.len());
    for (_, v) in &page {
        let d: pb::Delegation = records::decode(MODULE_NAME, v)?;
        let op = crate::address::stored_val(&d.validator_address)?;
        validators.push(
            s.validator(&op)?
                .map(wire_validator)
                .ok_or_else(|| sdk::internal("delegation to a missing validator"))?,
        );
    }
    Ok(pb::QueryDelegatorValidatorsResponse {
        validators,
        pagination: Some(pagination),
    })
}

fn delegator_validator(
    s: &dyn StateRead,
    r: pb::QueryDelegatorValidatorRequest,
) -> Result<pb::QueryDelegatorValidatorResponse, TxError> {
    let del = parse_address(&r.delegator_addr)?;
    let op = val_arg(&r.validator_addr)?;
    if s.delegation(&del, &op)?.is_none() {
        return Err(StakingError::NoDelegation.into());
    }
    Ok(pb::QueryDelegatorValidatorResponse {
        validator: Some(wire_validator(s.must_validator(&op)?)),
    })
}

fn pool(s: &dyn StateRead, _: pb::QueryPoolRequest) -> Result<pb::QueryPoolResponse, TxError> {
    let denom = s.staking_params()?.bond_denom;
    Ok(pb::QueryPoolResponse {
        pool: Some(pb::Pool {
            not_bonded_tokens: s.module_balance(NOT_BONDED_POOL, &denom)?.to_string(),
            bonded_tokens: s.module_balance(BONDED_POOL, &denom)?.to_string(),
        }),
    })
}

fn params(
    s: &dyn StateRead,
    _: pb::QueryParamsRequest,
) -> Result<pb::QueryParamsResponse, TxError> {
    Ok(pb::QueryParamsResponse {
        params: Some(s.staking_params()?.to_proto()),
    })
}

fn historical_info(
    s: &dyn StateRead,
    r: pb::QueryHistoricalInfoRequest,
) -> Result<pb::QueryHistoricalInfoResponse, TxError> {
    if r.height < 0 {
        return Err(sdk::invalid_request("height cannot be negative"));
    }
    let hist = s
        .historical_info(r.height as u64)?
        .ok_or(StakingError::NoHistoricalInfo(r.height))?;
    let mut hist = hist;
    hist.valset = hist.valset.into_iter().map(wire_validator).collect();
    Ok(pb::QueryHistoricalInfoResponse { hist: Some(hist) })
}

pub fn register(router: &mut Router) {
    router.add_query(&format!("{Q}Validators"), validators);
    router.add_query(&format!("{Q}Validator"), validator);
    router.add_query(&format!("{Q}ValidatorDelegations"), validator_delegations);
    router.add_query(
        &format!("{Q}ValidatorUnbondingDelegations"),
        validator_unbonding_delegations,
    );
    router.add_query(&format!("{Q}Delegation"), delegation);
    router.add_query(&format!("{Q}DelegatorDelegations"), delegator_delegations);
    router.add_query(&format!("{Q}UnbondingDelegation"), unbonding_delegation);
    router.add_query(
        &format!("{Q}DelegatorUnbondingDelegations"),
        delegator_unbonding_delegations,
    );
    router.add_query(&format!("{Q}Redelegations"), redelegations);
    router.add_query(&format!("{Q}DelegatorValidators"), delegator_validators);
    router.add_query(&format!("{Q}DelegatorValidator"), delegator_validator);
    router.add_query(&format!("{Q}Pool"), pool);
    router.add_query(&format!("{Q}Params"), params);
    router.add_query(&format!("{Q}HistoricalInfo"), historical_info);
}
