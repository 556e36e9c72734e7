//! The exchange-rate arithmetic of tokens and delegator shares.
//!
//! Shares are the SDK's `LegacyDec`: 18 decimal places. deai stores them as the framework's
//! [`Dec`] (an unsigned count of 10^-18 units in a u128: the same precision; shares are never
//! negative, and 2^128 units is 3.4e20 whole shares, beyond any supply of udeai deai mints).
//! Tokens are u128 base units.
//!
//! Every product goes through a 256-bit intermediate ([`mul_div`]), so `shares × tokens` never
//! overflows, and every quotient is rounded in the pool's favour:
//! - shares issued for a delegation: floor (the delegator gets at most what they paid for);
//! - tokens paid for removed shares: floor (never more than the shares are worth);
//! - shares taken for an undelegation of a token amount: ceiling, capped at the delegation
//!   (the delegator gives up at least what the tokens are worth).
//!
//! The SDK rounds some of these at the 18th decimal (`Quo` rounds half up) before truncating to
//! an integer; deai floors in one step, which can differ from the SDK by at most one base unit
//! and only ever in the pool's favour.

pub use deai_framework::dec::{Dec, DEC_SCALE};
use deai_framework::{sdk, TxError};

/// floor(a × b / c) and whether a remainder was left (the framework's wide divide).
fn mul_div_rem(a: u128, b: u128, c: u128) -> Option<(u128, bool)> {
    deai_framework::dec::mul_div_rem(a, b, c).map(|(q, r)| (q, r != 0))
}

/// floor(a × b / c); an overflow or a zero divisor is an internal error (the callers rule both
/// out from state invariants).
pub fn mul_div_floor(a: u128, b: u128, c: u128) -> Result<u128, TxError> {
    mul_div_rem(a, b, c)
        .map(|(q, _)| q)
        .ok_or_else(|| sdk::overflow("exchange-rate arithmetic overflows"))
}

/// ceil(a × b / c).
pub fn mul_div_ceil(a: u128, b: u128, c: u128) -> Result<u128, TxError> {
    let (q, rem) =
        mul_div_rem(a, b, c).ok_or_else(|| sdk::overflow("exchange-rate arithmetic overflows"))?;
    if rem {
        q.checked_add(1)
            .ok_or_else(|| sdk::overflow("exchange-rate arithmetic overflows"))
    } else {
        Ok(q)
    }
}

/// `tokens` as shares at the initial rate of 1 share per token.
pub fn tokens_as_shares(tokens: u128) -> Result<Dec, TxError> {
    tokens
        .checked_mul(DEC_SCALE)
        .map(Dec::from_units)
        .ok_or_else(|| sdk::overflow("share amount overflows"))
}

/// Shares issued for `amount` tokens delegated to a validator holding `tokens` tokens and
/// `shares` delegator shares (floor). The first delegation (no shares) is 1:1.
pub fn shares_for_delegation(tokens: u128, shares: Dec, amount: u128) -> Result<Dec, TxError> {
    if shares == Dec::ZERO {
        return tokens_as_shares(amount);
    }
    Ok(Dec::from_units(mul_div_floor(
        shares.units(),
        amount,
        tokens,
    )?))
}

/// Shares that an undelegation of `amount` tokens removes (ceiling).
pub fn shares_for_unbond(tokens: u128, shares: Dec, amount: u128) -> Result<Dec, TxError> {
    Ok(Dec::from_units(mul_div_ceil(
        shares.units(),
        amount,
        tokens,
    )?))
}

/// Tokens worth `remove` of a validator's `shares` (floor; all tokens for all shares).
pub fn tokens_for_shares(tokens: u128, shares: Dec, remove: Dec) -> Result<u128, TxError> {
    if remove == shares {
        return Ok(tokens);
    }
    mul_div_floor(remove.units(), tokens, shares.units())
}

/// Parses a LegacyDec string as the SDK writes it (`"1.000000000000000000"`); a leading `-`
/// is reported separately so callers can give the SDK's "negative" error.
pub fn parse_dec(s: &str) -> Result<Dec, String> {
    Dec::parse(s.trim())
}

/// Parses a LegacyDec a message carries: the SDK's wire form is the integer count of 10^-18
/// units (`"100000000000000000"` is 0.1, what cosmjs and Keplr send); a string with a decimal
/// point (`"0.1"`, what deai's CLI sends) is read as a decimal. A leading `-` is reported by
/// the callers first.
pub fn parse_wire_dec(s: &str) -> Result<Dec, String> {
    let s = s.trim();
    if s.contains('.') {
        return Dec::parse(s);
    }
    if s.is_empty() || s.len() > 39 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("invalid decimal {s:?}"));
    }
    s.parse::<u128>()
        .map(Dec::from_units)
        .map_err(|_| format!("invalid decimal {s:?}"))
}

/// A stored decimal (`"0.100000000000000000"`) in the SDK's wire form (units,
/// `"100000000000000000"`), for query answers; a string that does not parse is left as it is.
pub fn to_wire_dec(s: &str) -> String {
    match Dec::parse(s.trim()) {
        Ok(d) => d.units().to_string(),
        Err(_) => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_mul_div_matches_small_cases_and_big_ones() {
        assert_eq!(mul_div_floor(7, 3, 2).unwrap(), 10);
        assert_eq!(mul_div_ceil(7, 3, 2).unwrap(), 11);
        assert_eq!(mul_div_ceil(6, 3, 2).unwrap(), 9);
        assert_eq!(
            mul_div_floor(u128::MAX, u128::MAX, u128::MAX).unwrap(),
            u128::MAX
        );
        assert_eq!(
            mul_div_floor(u128::MAX, 1 << 100, 1 << 101).unwrap(),
            u128::MAX >> 1
        );
        assert!(mul_div_floor(u128::MAX, 2, 1).is_err());
        assert!(mul_div_floor(1, 1, 0).is_err());
        let a = 123_456_789_012_345_678_901_234_567u128;
        let b = 987_654_321_098_765_432u128;
        let c = 555_555_555_555_555_555_555u128;
        // Check against a split computation: a*b/c with a = a1*c + a0.
        let (a1, a0) = (a / c, a % c);
        let want = a1 * b + (a0 * (b % c) + a0 * (b / c) * c) / c;
        assert_eq!(mul_div_floor(a, b, c).unwrap(), want);
    }

    #[test]
    fn wire_decimals_are_units_and_decimals_are_accepted_too() {
        let tenth = Dec::parse("0.1").unwrap();
        assert_eq!(parse_wire_dec("100000000000000000").unwrap(), tenth);
        assert_eq!(parse_wire_dec("0.100000000000000000").unwrap(), tenth);
        assert!(parse_wire_dec("-1").is_err());
        assert!(parse_wire_dec("").is_err());
        assert_eq!(to_wire_dec("0.100000000000000000"), "100000000000000000");
        assert_eq!(to_wire_dec(&tenth.to_string()), tenth.units().to_string());
    }
}
