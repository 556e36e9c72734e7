//! Stateless input checks and the funds helpers that deai's contracts share. Each fails with
//! an [`InputError`], which a contract's error type holds as one transparent variant (same
//! message).

use cosmwasm_std::{MessageInfo, Uint128};
use thiserror::Error;

#[derive(Error, Debug, PartialEq)]
pub enum InputError {
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },

    #[error("expected exactly one coin of denom {denom}")]
    WrongFunds { denom: String },

    #[error("this message takes no funds")]
    UnexpectedFunds,
}

impl InputError {
    /// `field` fails a check for `reason`.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        InputError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

use InputError as E;

/// Text of 1..=max characters with no control characters.
pub fn text(field: &'static str, s: &str, max: usize) -> Result<(), InputError> {
    if s.trim().is_empty() {
        return Err(E::invalid(field, "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(E::invalid(field, format!("longer than {max} characters")));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(E::invalid(field, "contains control characters"));
    }
    Ok(())
}

/// A token of 1..=max visible ASCII characters (no whitespace).
pub fn token(field: &'static str, s: &str, max: usize) -> Result<(), InputError> {
    if s.is_empty() || s.len() > max {
        return Err(E::invalid(field, format!("must be 1..={max} characters")));
    }
    if !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(E::invalid(field, "must be visible ASCII without spaces"));
    }
    Ok(())
}

pub fn positive(field: &'static str, v: Uint128) -> Result<(), InputError> {
    if v.is_zero() {
        return Err(E::invalid(field, "must be greater than zero"));
    }
    Ok(())
}

/// A sha256 digest written as 64 lowercase hex characters.
pub fn sha256_hex(field: &'static str, s: &str) -> Result<(), InputError> {
    if s.len() != 64
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(E::invalid(
            field,
            "must be 64 lowercase hex characters (sha256)",
        ));
    }
    Ok(())
}

/// A bank denom: 3..=128 characters, a letter first, then letters, digits and `/:._-`.
pub fn denom(d: &str) -> Result<(), InputError> {
    let ok = (3..=128).contains(&d.len())
        && d.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && d.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/:._-".contains(&b));
    if !ok {
        return Err(E::invalid("denom", "not a valid bank denom"));
    }
    Ok(())
}

/// The single positive coin of `denom` sent with the message.
pub fn must_pay(info: &MessageInfo, denom: &str) -> Result<Uint128, InputError> {
    match info.funds.as_slice() {
        [c] if c.denom == denom && !c.amount.is_zero() => Ok(c.amount),
        _ => Err(InputError::WrongFunds {
            denom: denom.to_string(),
        }),
    }
}

pub fn no_funds(info: &MessageInfo) -> Result<(), InputError> {
    if info.funds.iter().any(|c| !c.amount.is_zero()) {
        return Err(InputError::UnexpectedFunds);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{coin, testing::message_info, Addr};

    #[test]
    fn text_and_token_bound_length_and_characters() {
        assert!(text("name", "a model", 7).is_ok());
        assert!(text("name", "a model!", 7).is_err());
        assert!(text("name", "  ", 7).is_err());
        assert!(text("name", "a\nb", 7).is_err());
        // Characters, not bytes: three 2-byte characters fit a limit of 3.
        assert!(text("name", "éàü", 3).is_ok());
        assert!(token("t", "abc", 3).is_ok());
        assert!(token("t", "a c", 3).is_err());
        assert!(token("t", "", 3).is_err());
        assert!(token("t", "abcd", 3).is_err());
    }

    #[test]
    fn digests_denoms_and_amounts() {
        assert!(sha256_hex("h", &"ab".repeat(32)).is_ok());
        assert!(sha256_hex("h", &"AB".repeat(32)).is_err());
        assert!(sha256_hex("h", &"ab".repeat(31)).is_err());
        assert!(denom("udeai").is_ok());
        assert!(denom("data/7").is_ok());
        assert!(denom("7up").is_err());
        assert!(denom("ud").is_err());
        assert!(positive("p", Uint128::zero()).is_err());
        assert!(positive("p", Uint128::one()).is_ok());
    }

    #[test]
    fn funds_must_be_exactly_one_positive_coin_or_none() {
        let sender = Addr::unchecked("sender");
        let one = message_info(&sender, &[coin(5, "udeai")]);
        assert_eq!(must_pay(&one, "udeai"), Ok(Uint128::new(5)));
        assert!(must_pay(&one, "uatom").is_err());
        let two = message_info(&sender, &[coin(5, "udeai"), coin(1, "uatom")]);
        assert!(must_pay(&two, "udeai").is_err());
        assert_eq!(no_funds(&one), Err(InputError::UnexpectedFunds));
        assert!(no_funds(&message_info(&sender, &[])).is_ok());
        assert!(no_funds(&message_info(&sender, &[coin(0, "udeai")])).is_ok());
    }
}
