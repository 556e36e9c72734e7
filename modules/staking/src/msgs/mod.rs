//! staking's messages: decoding and stateless validation (`TryFrom` the proto, the SDK's
//! `ValidateBasic`), then execution. Every loop here is over a bounded record (a pair's entries,
//! at most `max_entries`).

use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;
use tendermint_proto::google::protobuf::Timestamp;

use deai_framework::handler::required_coin;
use deai_framework::{sdk, Address, Coin, Ctx, TxError};

use crate::address::val_from_bech32;
use crate::error::StakingError;
use crate::math::{self, Dec};
use crate::params::Params;

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
    math::parse_wire_dec(s).map_err(sdk::invalid_request)
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

mod delegation;
mod redelegation;
mod update_params;
mod validator;

pub use delegation::{Delegate, Undelegate};
pub use redelegation::{BeginRedelegate, CancelUnbondingDelegation};
pub use update_params::UpdateParams;
pub use validator::{CreateValidator, EditValidator};
