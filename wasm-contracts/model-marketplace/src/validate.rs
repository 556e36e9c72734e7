//! Stateless input checks and the funds helpers.

use cosmwasm_std::{MessageInfo, Uint128};

use crate::error::ContractError;

pub const MAX_NAME: usize = 64;
pub const MAX_URI: usize = 512;

/// Text of 1..=max characters with no control characters.
pub fn text(field: &'static str, s: &str, max: usize) -> Result<(), ContractError> {
    if s.trim().is_empty() {
        return Err(ContractError::invalid(field, "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(ContractError::invalid(
            field,
            format!("longer than {max} characters"),
        ));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(ContractError::invalid(field, "contains control characters"));
    }
    Ok(())
}

/// A token of 1..=max visible ASCII characters (no whitespace).
pub fn token(field: &'static str, s: &str, max: usize) -> Result<(), ContractError> {
    if s.is_empty() || s.len() > max {
        return Err(ContractError::invalid(
            field,
            format!("must be 1..={max} characters"),
        ));
    }
    if !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ContractError::invalid(
            field,
            "must be visible ASCII without spaces",
        ));
    }
    Ok(())
}

pub fn positive(field: &'static str, v: Uint128) -> Result<(), ContractError> {
    if v.is_zero() {
        return Err(ContractError::invalid(field, "must be greater than zero"));
    }
    Ok(())
}

/// A bank denom: 3..=128 characters, a letter first, then letters, digits and `/:._-`.
pub fn denom(d: &str) -> Result<(), ContractError> {
    let ok = (3..=128).contains(&d.len())
        && d.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && d.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/:._-".contains(&b));
    if !ok {
        return Err(ContractError::invalid("denom", "not a valid bank denom"));
    }
    Ok(())
}

/// The single positive coin of `denom` sent with the message.
pub fn must_pay(info: &MessageInfo, denom: &str) -> Result<Uint128, ContractError> {
    match info.funds.as_slice() {
        [c] if c.denom == denom && !c.amount.is_zero() => Ok(c.amount),
        _ => Err(ContractError::WrongFunds {
            denom: denom.to_string(),
        }),
    }
}

pub fn no_funds(info: &MessageInfo) -> Result<(), ContractError> {
    if info.funds.iter().any(|c| !c.amount.is_zero()) {
        return Err(ContractError::UnexpectedFunds);
    }
    Ok(())
}
