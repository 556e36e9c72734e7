//! Coins: an amount of one denom, and sorted sets of them.
//!
//! Amounts are `u128` in state. The SDK uses 256-bit integers; 2^128 base units is far beyond
//! any supply deai mints, and every addition is checked, so an overflow is an error, never a wrap.

use std::fmt;

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

use crate::error::{sdk, TxError};

/// Most distinct denoms accepted in one coin set from the wire.
pub const MAX_COINS_PER_SET: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Coin {
    pub denom: String,
    pub amount: u128,
}

impl Coin {
    pub fn new(denom: impl Into<String>, amount: u128) -> Result<Self, TxError> {
        let denom = denom.into();
        validate_denom(&denom)?;
        Ok(Self { denom, amount })
    }

    pub fn to_proto(&self) -> ProtoCoin {
        ProtoCoin {
            denom: self.denom.clone(),
            amount: self.amount.to_string(),
        }
    }

    pub fn from_proto(c: &ProtoCoin) -> Result<Self, TxError> {
        Self::new(c.denom.clone(), parse_amount(&c.amount)?)
    }
}

impl fmt::Display for Coin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

/// The SDK's denom rule: `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`.
pub fn validate_denom(denom: &str) -> Result<(), TxError> {
    let bytes = denom.as_bytes();
    let ok = (3..=128).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"/:._-".contains(b));
    if ok {
        Ok(())
    } else {
        Err(sdk::invalid_coins(format!("invalid denom: {denom:?}")))
    }
}

/// Parses a decimal amount; rejects signs, blanks and anything that does not fit u128.
pub fn parse_amount(s: &str) -> Result<u128, TxError> {
    if s.is_empty() || s.len() > 39 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(sdk::invalid_coins(format!("invalid amount: {s:?}")));
    }
    s.parse::<u128>()
        .map_err(|_| sdk::overflow(format!("amount {s} overflows 128 bits")))
}

/// A set of coins, sorted by denom, without duplicates or zero amounts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Coins(Vec<Coin>);

impl Coins {
    pub fn empty() -> Self {
        Self(Vec::new())
    }

    /// Builds a valid set: sorted, no duplicate denoms, no zero amounts.
    pub fn new(mut coins: Vec<Coin>) -> Result<Self, TxError> {
        if coins.len() > MAX_COINS_PER_SET {
            return Err(sdk::invalid_coins(format!(
                "too many denoms: {} > {MAX_COINS_PER_SET}",
                coins.len()
            )));
        }
        coins.sort_by(|a, b| a.denom.cmp(&b.denom));
        for w in coins.windows(2) {
            if w[0].denom == w[1].denom {
                return Err(sdk::invalid_coins(format!(
                    "duplicate denom {}",
                    w[0].denom
                )));
            }
        }
        if let Some(c) = coins.iter().find(|c| c.amount == 0) {
            return Err(sdk::invalid_coins(format!("zero amount of {}", c.denom)));
        }
        Ok(Self(coins))
    }

    pub fn from_proto(coins: &[ProtoCoin]) -> Result<Self, TxError> {
        if coins.len() > MAX_COINS_PER_SET {
            return Err(sdk::invalid_coins("too many denoms"));
        }
        Self::new(
            coins
                .iter()
                .map(Coin::from_proto)
                .collect::<Result<_, _>>()?,
        )
    }

    pub fn to_proto(&self) -> Vec<ProtoCoin> {
        self.0.iter().map(Coin::to_proto).collect()
    }

    /// Parses the CLI form `100udeai,5data/1`.
    pub fn parse(s: &str) -> Result<Self, TxError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(Self::empty());
        }
        let mut coins = Vec::new();
        for part in s.split(',') {
            let part = part.trim();
            let split = part
                .find(|c: char| !c.is_ascii_digit())
                .ok_or_else(|| sdk::invalid_coins(format!("coin {part:?} has no denom")))?;
            let (amount, denom) = part.split_at(split);
            coins.push(Coin::new(denom, parse_amount(amount)?)?);
        }
        Self::new(coins)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Coin> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn amount_of(&self, denom: &str) -> u128 {
        self.0
            .iter()
            .find(|c| c.denom == denom)
            .map_or(0, |c| c.amount)
    }

    /// Checked sum of two sets.
    pub fn checked_add(&self, other: &Coins) -> Result<Coins, TxError> {
        let mut out = self.0.clone();
        for c in &other.0 {
            match out.iter_mut().find(|o| o.denom == c.denom) {
                Some(o) => {
                    o.amount = o
                        .amount
                        .checked_add(c.amount)
                        .ok_or_else(|| sdk::overflow(format!("sum of {} overflows", c.denom)))?;
                }
                None => out.push(c.clone()),
            }
        }
        Coins::new(out)
    }
}

impl fmt::Display for Coins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|c| c.to_string()).collect();
        f.write_str(&parts.join(","))
    }
}

impl IntoIterator for Coins {
    type Item = Coin;
    type IntoIter = std::vec::IntoIter<Coin>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_sorts() {
        let c = Coins::parse("5zeta,100udeai").unwrap();
        assert_eq!(c.to_string(), "100udeai,5zeta");
        assert_eq!(c.amount_of("udeai"), 100);
    }

    #[test]
    fn rejects_bad_coins() {
        for bad in [
            "udeai",
            "-5udeai",
            "5u",
            "5udeai,6udeai",
            "0udeai",
            "1.5udeai",
        ] {
            assert!(Coins::parse(bad).is_err(), "{bad} should be rejected");
        }
        let huge = format!("{}udeai", u128::MAX);
        assert!(Coins::parse(&huge).is_ok());
        let over = "340282366920938463463374607431768211456udeai";
        assert_eq!(Coins::parse(over).unwrap_err().code, sdk::OVERFLOW);
    }

    #[test]
    fn checked_add_overflows_cleanly() {
        let a = Coins::parse(&format!("{}udeai", u128::MAX)).unwrap();
        let b = Coins::parse("1udeai").unwrap();
        assert_eq!(a.checked_add(&b).unwrap_err().code, sdk::OVERFLOW);
    }
}
