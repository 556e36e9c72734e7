//! staking genesis in the Cosmos SDK's JSON shape (`app_state.staking`, as `simd export`
//! writes it: proto field names, 64-bit integers as strings, enums by name, timestamps in
//! RFC 3339, durations as `"1814400s"`, the consensus key as
//! `{"@type": "/cosmos.crypto.ed25519.PubKey", "key": "<base64>"}`), so export → import →
//! export is exact.
//!
//! Import checks every record, that each validator's shares are the sum of its delegations,
//! that the last powers sum to `last_total_power`, and that the pools hold exactly what the
//! records say (bank's genesis, which runs first, funds them): the bonded pool the tokens of
//! the bonded validators, the not-bonded pool those of the others plus every unbonding entry's
//! balance. Validators from gentxs come later (see the crate docs).

use base64::Engine;
use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;
use tendermint_proto::google::protobuf::{Duration, Timestamp};

use deai_auth::{AuthWrite, BURNER};
use deai_bank::BankRead;
use deai_framework::{records, Address, StateRead, StateWrite, TxError};

use crate::address::{stored_val, val_from_bech32};
use crate::keeper::{
    consensus_address, delegation_shares, pubkey_any, pubkey_bytes, shares, time_key, tokens,
    StakingRead, StakingWrite, BONDED, UNBONDING,
};
use crate::math::Dec;
use crate::params::Params;
use crate::{state_key, BONDED_POOL, MODULE_NAME, NOT_BONDED_POOL};

pub use crate::genesis_json::*;

// ---- conversions ---------------------------------------------------------------------------

fn params_to_json(p: &Params) -> ParamsJson {
    ParamsJson {
        unbonding_time: format!("{}s", p.unbonding_secs),
        max_validators: p.max_validators,
        max_entries: p.max_entries,
        historical_entries: p.historical_entries,
        bond_denom: p.bond_denom.clone(),
        min_commission_rate: p.min_commission_rate.to_string(),
    }
}

fn params_from_json(p: &ParamsJson) -> Result<Params, TxError> {
    let secs = p
        .unbonding_time
        .strip_suffix('s')
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| invalid(format!("invalid unbonding_time {:?}", p.unbonding_time)))?;
    Ok(Params::from_proto(&pb::Params {
        unbonding_time: Some(Duration {
            seconds: secs,
            nanos: 0,
        }),
        max_validators: p.max_validators,
        max_entries: p.max_entries,
        historical_entries: p.historical_entries,
        bond_denom: p.bond_denom.clone(),
        min_commission_rate: p.min_commission_rate.clone(),
    })?)
}

fn status_name(s: i32) -> String {
    pb::BondStatus::try_from(s)
        .unwrap_or(pb::BondStatus::Unspecified)
        .as_str_name()
        .to_string()
}

fn validator_to_json(v: &pb::Validator) -> Result<ValidatorJson, TxError> {
    let key = crate::keeper::consensus_key(v)?;
    let d = v.description.clone().unwrap_or_default();
    let c = v.commission.clone().unwrap_or_default();
    let r = c.commission_rates.unwrap_or_default();
    Ok(ValidatorJson {
        operator_address: v.operator_address.clone(),
        consensus_pubkey: PubKeyJson {
            type_url: crate::keeper::ED25519_PUBKEY_URL.into(),
            key: base64::engine::general_purpose::STANDARD.encode(key),
        },
        jailed: v.jailed,
        status: status_name(v.status),
        tokens: v.tokens.clone(),
        delegator_shares: v.delegator_shares.clone(),
        description: DescriptionJson {
            moniker: d.moniker,
            identity: d.identity,
            website: d.website,
            security_contact: d.security_contact,
            details: d.details,
        },
        unbonding_height: v.unbonding_height.to_string(),
        unbonding_time: fmt_time(v.unbonding_time.as_ref().map_or(0, |t| t.seconds)),
        commission: CommissionJson {
            commission_rates: RatesJson {
                rate: r.rate,
                max_rate: r.max_rate,
                max_change_rate: r.max_change_rate,
            },
            update_time: fmt_time(c.update_time.as_ref().map_or(0, |t| t.seconds)),
        },
        min_self_delegation: v.min_self_delegation.clone(),
        unbonding_on_hold_ref_count: v.unbonding_on_hold_ref_count.to_string(),
        unbonding_ids: v.unbonding_ids.iter().map(u64::to_string).collect(),
    })
}

fn validator_from_json(j: &ValidatorJson) -> Result<pb::Validator, TxError> {
    val_from_bech32(&j.operator_address)?;
    if j.consensus_pubkey.type_url != crate::keeper::ED25519_PUBKEY_URL {
        return Err(invalid(format!(
            "{}: consensus key must be ed25519",
            j.operator_address
        )));
    }
    let key = base64::engine::general_purpose::STANDARD
        .decode(&j.consensus_pubkey.key)
        .map_err(|e| invalid(format!("{}: consensus key: {e}", j.operator_address)))?;
    let any = pubkey_any(&key);
    pubkey_bytes(&any)?;
    let status = pb::BondStatus::from_str_name(&j.status)
        .filter(|s| *s != pb::BondStatus::Unspecified)
        .ok_or_else(|| {
            invalid(format!(
                "{}: invalid status {}",
                j.operator_address, j.status
            ))
        })?;
    let rates = pb::CommissionRates {
        rate: j.commission.commission_rates.rate.clone(),
        max_rate: j.commission.commission_rates.max_rate.clone(),
        max_change_rate: j.commission.commission_rates.max_change_rate.clone(),
    };
    let (r, max, change) = crate::msgs::validate_commission(&rates)?;
    let description = pb::Description {
        moniker: j.description.moniker.clone(),
        identity: j.description.identity.clone(),
        website: j.description.website.clone(),
        security_contact: j.description.security_contact.clone(),
        details: j.description.details.clone(),
    };
    crate::msgs::validate_description(&description)?;
    let v = pb::Validator {
        operator_address: j.operator_address.clone(),
        consensus_pubkey: Some(any),
        jailed: j.jailed,
        status: status as i32,
        tokens: parse_u128(&j.tokens, "tokens")?.to_string(),
        delegator_shares: parse_dec(&j.delegator_shares, "delegator_shares")?.to_string(),
        description: Some(description),
        unbonding_height: parse_i64(&j.unbonding_height, "unbonding_height")?,
        unbonding_time: Some(Timestamp {
            seconds: parse_time(&j.unbonding_time)?,
            nanos: 0,
        }),
        commission: Some(pb::Commission {
            commission_rates: Some(pb::CommissionRates {
                rate: r.to_string(),
                max_rate: max.to_string(),
                max_change_rate: change.to_string(),
            }),
            update_time: Some(Timestamp {
                seconds: parse_time(&j.commission.update_time)?,
                nanos: 0,
            }),
        }),
        min_self_delegation: parse_u128(&j.min_self_delegation, "min_self_delegation")?.to_string(),
        unbonding_on_hold_ref_count: parse_i64(
            &j.unbonding_on_hold_ref_count,
            "unbonding_on_hold_ref_count",
        )?,
        unbonding_ids: j
            .unbonding_ids
            .iter()
            .map(|s| {
                s.parse::<u64>()
                    .map_err(|_| invalid("invalid unbonding id"))
            })
            .collect::<Result<_, _>>()?,
    };
    // A round trip must be exact: the strings must already be canonical.
    if v.tokens != j.tokens || v.delegator_shares != j.delegator_shares {
        return Err(invalid(format!(
            "{}: tokens and shares must be canonical",
            j.operator_address
        )));
    }
    Ok(v)
}

// ---- init / export -------------------------------------------------------------------------

pub fn init(state: &mut dyn StateWrite, json: &serde_json::Value) -> Result<(), TxError> {
    let g: GenesisJson = if json.is_null() {
        GenesisJson::default()
    } else {
        serde_json::from_value(json.clone()).map_err(|e| invalid(format!("cannot parse: {e}")))?
    };
    let params = match &g.params {
        Some(p) => params_from_json(p)?,
        None => Params::default(),
    };
    state.set_staking_params(&params)?;
    deai_framework::authority::init(state, &state_key::authority(), g.authority.as_deref())?;
    state.ensure_module_account_with(BONDED_POOL, &[BURNER])?;
    state.ensure_module_account_with(NOT_BONDED_POOL, &[BURNER])?;

    let (mut bonded, mut not_bonded) = (0u128, 0u128);
    let add = |acc: &mut u128, v: u128| -> Result<(), TxError> {
        *acc = acc
            .checked_add(v)
            .ok_or_else(|| invalid("pool sum overflows"))?;
        Ok(())
    };
    let mut share_sums: std::collections::BTreeMap<Address, u128> = Default::default();
    for j in &g.validators {
        let v = validator_from_json(j)?;
        let op = stored_val(&v.operator_address)?;
        if state.validator(&op)?.is_some() {
            return Err(invalid(format!(
                "duplicate validator {}",
                j.operator_address
            )));
        }
        let cons = consensus_address(&crate::keeper::consensus_key(&v)?);
        if state.validator_by_cons(&cons)?.is_some() {
            return Err(invalid(format!(
                "duplicate consensus key of {}",
                j.operator_address
            )));
        }
        let t = tokens(&v)?;
        if v.status == BONDED {
            add(&mut bonded, t)?;
        } else {
            add(&mut not_bonded, t)?;
        }
        if v.status == UNBONDING {
            let at = v.unbonding_time.as_ref().map_or(0, |t| t.seconds);
            state.put(state_key::val_queue(time_key(at), &op), Vec::new())?;
        }
        state.put_validator(&v)?;
        state.put(state_key::by_cons(&cons), op.as_bytes().to_vec())?;
        share_sums.insert(op, 0);
    }
    for d in &g.delegations {
        let del = Address::from_bech32(&d.delegator_address)?;
        let val = val_from_bech32(&d.validator_address)?;
        let s = parse_dec(&d.shares, "delegation shares")?;
        if s == Dec::ZERO || s.to_string() != d.shares || state.delegation(&del, &val)?.is_some() {
            return Err(invalid(format!(
                "bad or duplicate delegation {} → {}",
                d.delegator_address, d.validator_address
            )));
        }
        let sum = share_sums.get_mut(&val).ok_or_else(|| {
            invalid(format!(
                "delegation to unknown validator {}",
                d.validator_address
            ))
        })?;
        *sum = sum
            .checked_add(s.units())
            .ok_or_else(|| invalid("shares overflow"))?;
        state.put_delegation(&del, &val, s)?;
    }
    for (op, sum) in &share_sums {
        let v = state.must_validator(op)?;
        if shares(&v)?.units() != *sum {
            return Err(invalid(format!(
                "shares of {} are not the sum of its delegations",
                v.operator_address
            )));
        }
    }
    for u in &g.unbonding_delegations {
        let del = Address::from_bech32(&u.delegator_address)?;
        let val = val_from_bech32(&u.validator_address)?;
        if u.entries.is_empty()
            || u.entries.len() > params.max_entries as usize
            || state.ubd(&del, &val)?.is_some()
        {
            return Err(invalid(format!(
                "bad unbonding delegation of {}",
                u.delegator_address
            )));
        }
        let mut rec = pb::UnbondingDelegation {
            delegator_address: u.delegator_address.clone(),
            validator_address: u.validator_address.clone(),
            entries: Vec::new(),
        };
        for e in &u.entries {
            let balance = parse_u128(&e.balance, "balance")?;
            add(&mut not_bonded, balance)?;
            let at = parse_time(&e.completion_time)?;
            rec.entries.push(pb::UnbondingDelegationEntry {
                creation_height: parse_i64(&e.creation_height, "creation_height")?,
                completion_time: Some(Timestamp {
                    seconds: at,
                    nanos: 0,
                }),
                initial_balance: parse_u128(&e.initial_balance, "initial_balance")?.to_string(),
                balance: balance.to_string(),
                unbonding_id: parse_i64(&e.unbonding_id, "unbonding_id")? as u64,
                unbonding_on_hold_ref_count: parse_i64(
                    &e.unbonding_on_hold_ref_count,
                    "ref count",
                )?,
            });
            state.put(state_key::ubd_queue(time_key(at), &del, &val), Vec::new())?;
        }
        state.put_ubd(&del, &val, &rec)?;
    }
    for r in &g.redelegations {
        let del = Address::from_bech32(&r.delegator_address)?;
        let src = val_from_bech32(&r.validator_src_address)?;
        let dst = val_from_bech32(&r.validator_dst_address)?;
        if r.entries.is_empty()
            || r.entries.len() > params.max_entries as usize
            || src == dst
            || state.red(&del, &src, &dst)?.is_some()
        {
            return Err(invalid(format!(
                "bad redelegation of {}",
                r.delegator_address
            )));
        }
        let mut rec = pb::Redelegation {
            delegator_address: r.delegator_address.clone(),
            validator_src_address: r.validator_src_address.clone(),
            validator_dst_address: r.validator_dst_address.clone(),
            entries: Vec::new(),
        };
        for e in &r.entries {
            let at = parse_time(&e.completion_time)?;
            rec.entries.push(pb::RedelegationEntry {
                creation_height: parse_i64(&e.creation_height, "creation_height")?,
                completion_time: Some(Timestamp {
                    seconds: at,
                    nanos: 0,
                }),
                initial_balance: parse_u128(&e.initial_balance, "initial_balance")?.to_string(),
                shares_dst: parse_dec(&e.shares_dst, "shares_dst")?.to_string(),
                unbonding_id: parse_i64(&e.unbonding_id, "unbonding_id")? as u64,
                unbonding_on_hold_ref_count: parse_i64(
                    &e.unbonding_on_hold_ref_count,
                    "ref count",
                )?,
            });
            state.put(
                state_key::red_queue(time_key(at), &del, &src, &dst),
                Vec::new(),
            )?;
        }
        state.put_red(&del, &src, &dst, &rec)?;
    }
    let mut total = 0i64;
    for lp in &g.last_validator_powers {
        let op = val_from_bech32(&lp.address)?;
        let p = parse_i64(&lp.power, "power")?;
        if p <= 0 || state.validator(&op)?.is_none() || state.last_power(&op)? != 0 {
            return Err(invalid(format!(
                "bad last validator power of {}",
                lp.address
            )));
        }
        total = total
            .checked_add(p)
            .ok_or_else(|| invalid("last total power overflows"))?;
        state.set_last_power(&op, p)?;
    }
    if parse_i64(&g.last_total_power, "last_total_power")? != total {
        return Err(invalid(
            "last_total_power is not the sum of last_validator_powers",
        ));
    }
    state.set_last_total_power(total)?;
    let denom = &params.bond_denom;
    if state.module_balance(BONDED_POOL, denom)? != bonded {
        return Err(invalid(format!(
            "bonded pool must hold {bonded}{denom}, the bonded validators' tokens"
        )));
    }
    if state.module_balance(NOT_BONDED_POOL, denom)? != not_bonded {
        return Err(invalid(format!(
            "not-bonded pool must hold {not_bonded}{denom}, the other validators' tokens and the unbonding balances"
        )));
    }
    Ok(())
}

fn all<M: prost::Message + Default>(s: &dyn StateRead, prefix: &[u8]) -> Result<Vec<M>, TxError> {
    // Genesis export is node-local work over the whole state: not bounded by a tx.
    records::all_under(MODULE_NAME, s, prefix, usize::MAX)
}

pub fn export_json(s: &dyn StateRead) -> Result<GenesisJson, TxError> {
    let params = s.staking_params()?;
    let validators = all::<pb::Validator>(s, &state_key::validators())?
        .iter()
        .map(validator_to_json)
        .collect::<Result<Vec<_>, _>>()?;
    let delegations = all::<pb::Delegation>(s, &state_key::all_delegations())?
        .into_iter()
        .map(|d| {
            delegation_shares(&d)?;
            Ok(DelegationJson {
                delegator_address: d.delegator_address,
                validator_address: d.validator_address,
                shares: d.shares,
            })
        })
        .collect::<Result<Vec<_>, TxError>>()?;
    let ts = |t: &Option<Timestamp>| fmt_time(t.as_ref().map_or(0, |t| t.seconds));
    let unbonding_delegations = all::<pb::UnbondingDelegation>(s, &state_key::all_ubds())?
        .into_iter()
        .map(|u| UbdJson {
            delegator_address: u.delegator_address,
            validator_address: u.validator_address,
            entries: u
                .entries
                .iter()
                .map(|e| UbdEntryJson {
                    creation_height: e.creation_height.to_string(),
                    completion_time: ts(&e.completion_time),
                    initial_balance: e.initial_balance.clone(),
                    balance: e.balance.clone(),
                    unbonding_id: e.unbonding_id.to_string(),
                    unbonding_on_hold_ref_count: e.unbonding_on_hold_ref_count.to_string(),
                })
                .collect(),
        })
        .collect();
    let redelegations = all::<pb::Redelegation>(s, &state_key::all_reds())?
        .into_iter()
        .map(|r| RedJson {
            delegator_address: r.delegator_address,
            validator_src_address: r.validator_src_address,
            validator_dst_address: r.validator_dst_address,
            entries: r
                .entries
                .iter()
                .map(|e| RedEntryJson {
                    creation_height: e.creation_height.to_string(),
                    completion_time: ts(&e.completion_time),
                    initial_balance: e.initial_balance.clone(),
                    shares_dst: e.shares_dst.clone(),
                    unbonding_id: e.unbonding_id.to_string(),
                    unbonding_on_hold_ref_count: e.unbonding_on_hold_ref_count.to_string(),
                })
                .collect(),
        })
        .collect();
    let last_validator_powers = s
        .last_powers(usize::MAX)?
        .into_iter()
        .map(|(op, p)| LastPowerJson {
            address: crate::address::val_to_bech32(&op),
            power: p.to_string(),
        })
        .collect();
    let authority = deai_framework::authority::get(s, &state_key::authority())?;
    Ok(GenesisJson {
        params: Some(params_to_json(&params)),
        last_total_power: s.last_total_power()?.to_string(),
        last_validator_powers,
        validators,
        delegations,
        unbonding_delegations,
        redelegations,
        exported: true,
        authority: Some(authority.to_bech32()),
    })
}

pub fn export(s: &dyn StateRead) -> Result<serde_json::Value, TxError> {
    serde_json::to_value(export_json(s)?)
        .map_err(|e| deai_framework::sdk::internal(format!("cannot write staking genesis: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips() {
        for secs in [
            0i64,
            1,
            86_399,
            86_400,
            1_700_000_000,
            1_814_400,
            -1,
            253_402_300_799,
        ] {
            assert_eq!(parse_time(&fmt_time(secs)).unwrap(), secs, "{secs}");
        }
        assert_eq!(fmt_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(fmt_time(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(parse_time("0001-01-01T00:00:00Z").unwrap(), -62_135_596_800);
        assert!(parse_time("2023-11-14T22:13:20.5Z").is_err());
        assert!(parse_time("2023-11-14 22:13:20Z").is_err());
        assert!(parse_time("2023-11-14T22:13:2éZ").is_err());
        assert!(parse_time("2023-11-14T22:13:20éZ").is_err());
    }
}
