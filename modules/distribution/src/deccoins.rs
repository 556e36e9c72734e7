//! DecCoins: per-denom amounts with 18 decimals (the SDK's `sdk.DecCoins`), for rewards,
//! commission, reward ratios and the community pool's dust.
//!
//! An amount is a count of 10^-18 units in a u128 (the framework's `Dec` precision), so the
//! largest is about 3.4e20 whole base units; every step is checked and an overflow is an
//! error, never a wrap. Products go through a 256-bit intermediate (staking's `mul_div`).
//! Every quotient and product is **floored**: a reward, a ratio, a commission or a stake is
//! never more than exact, so the pools never owe more than they hold. On the wire (protobuf)
//! an amount is the SDK's LegacyDec encoding: the integer count of units as a decimal string;
//! in genesis JSON it is the decimal form ("1.500000000000000000").

use std::collections::BTreeMap;

use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin;
use deai_framework::dec::{Dec, DEC_SCALE};
use deai_framework::{sdk, Coin, Coins, TxError};
use deai_staking::math::mul_div_floor;

/// A set of decimal coins; no zero amounts are kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecCoins(BTreeMap<String, u128>);

fn overflow() -> TxError {
    sdk::overflow("decimal coin arithmetic overflows")
}

impl DecCoins {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whole coins as decimals.
    pub fn from_coins(c: &Coins) -> Result<Self, TxError> {
        let mut out = Self::new();
        for c in c.iter() {
            out.add_units(
                &c.denom,
                c.amount.checked_mul(DEC_SCALE).ok_or_else(overflow)?,
            )?;
        }
        Ok(out)
    }

    pub fn units_of(&self, denom: &str) -> u128 {
        self.0.get(denom).copied().unwrap_or(0)
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &u128)> {
        self.0.iter()
    }

    pub fn add_units(&mut self, denom: &str, units: u128) -> Result<(), TxError> {
        if units == 0 {
            return Ok(());
        }
        let e = self.0.entry(denom.to_string()).or_insert(0);
        *e = e.checked_add(units).ok_or_else(overflow)?;
        Ok(())
    }

    pub fn add(&mut self, other: &DecCoins) -> Result<(), TxError> {
        for (d, u) in &other.0 {
            self.add_units(d, *u)?;
        }
        Ok(())
    }

    /// self − other; a negative result is an internal error (the SDK panics "negative coin").
    pub fn sub(&mut self, other: &DecCoins) -> Result<(), TxError> {
        for (d, u) in &other.0 {
            let have = self.units_of(d);
            let left = have
                .checked_sub(*u)
                .ok_or_else(|| sdk::internal(format!("negative decimal coin amount of {d}")))?;
            if left == 0 {
                self.0.remove(d);
            } else {
                self.0.insert(d.clone(), left);
            }
        }
        Ok(())
    }

    /// The per-denom minimum of both (the SDK's `Intersect`).
    pub fn intersect(&self, other: &DecCoins) -> DecCoins {
        DecCoins(
            self.0
                .iter()
                .filter_map(|(d, u)| {
                    let m = (*u).min(other.units_of(d));
                    (m > 0).then(|| (d.clone(), m))
                })
                .collect(),
        )
    }

    /// floor(self × d) per denom (`MulDecTruncate`).
    pub fn mul_dec_floor(&self, d: Dec) -> Result<DecCoins, TxError> {
        let mut out = DecCoins::new();
        for (denom, u) in &self.0 {
            out.add_units(denom, mul_div_floor(*u, d.units(), DEC_SCALE)?)?;
        }
        Ok(out)
    }

    /// floor(self ÷ n) per denom, n a whole number of tokens (`QuoDecTruncate(n)`).
    pub fn quo_int_floor(&self, n: u128) -> Result<DecCoins, TxError> {
        if n == 0 {
            return Err(sdk::internal("division of decimal coins by zero"));
        }
        let mut out = DecCoins::new();
        for (denom, u) in &self.0 {
            out.add_units(denom, u / n)?;
        }
        Ok(out)
    }

    /// The whole coins and the decimal remainder (`TruncateDecimal`).
    pub fn truncate(&self) -> Result<(Coins, DecCoins), TxError> {
        let mut whole = Vec::new();
        let mut rest = DecCoins::new();
        for (d, u) in &self.0 {
            if u / DEC_SCALE > 0 {
                whole.push(Coin {
                    denom: d.clone(),
                    amount: u / DEC_SCALE,
                });
            }
            rest.add_units(d, u % DEC_SCALE)?;
        }
        Ok((Coins::new(whole)?, rest))
    }

    /// The wire form: units as integer strings, sorted by denom.
    pub fn to_proto(&self) -> Vec<DecCoin> {
        self.0
            .iter()
            .map(|(d, u)| DecCoin {
                denom: d.clone(),
                amount: u.to_string(),
            })
            .collect()
    }

    /// Parses the wire form of a record this module wrote (corrupt: internal).
    pub fn from_stored(v: &[DecCoin]) -> Result<Self, TxError> {
        let mut out = DecCoins::new();
        for c in v {
            let u = deai_framework::coins::parse_amount(&c.amount)
                .map_err(|_| sdk::internal(format!("corrupt decimal coin {}", c.denom)))?;
            out.add_units(&c.denom, u)?;
        }
        Ok(out)
    }

    /// Parses the wire form from a user (a message): valid denoms, no duplicates.
    pub fn from_wire(v: &[DecCoin]) -> Result<Self, TxError> {
        let mut out = DecCoins::new();
        for c in v {
            deai_framework::coins::validate_denom(&c.denom)?;
            if out.0.contains_key(&c.denom) {
                return Err(sdk::invalid_coins(format!("duplicate denom {}", c.denom)));
            }
            out.add_units(&c.denom, deai_framework::coins::parse_amount(&c.amount)?)?;
        }
        Ok(out)
    }

    /// The JSON form: `[{"denom", "amount": "1.500000000000000000"}]`.
    pub fn to_json(&self) -> Vec<DecCoinJson> {
        self.0
            .iter()
            .map(|(d, u)| DecCoinJson {
                denom: d.clone(),
                amount: Dec::from_units(*u).to_string(),
            })
            .collect()
    }

    pub fn from_json(v: &[DecCoinJson]) -> Result<Self, String> {
        let mut out = DecCoins::new();
        for c in v {
            deai_framework::coins::validate_denom(&c.denom).map_err(|e| e.log)?;
            if out.0.contains_key(&c.denom) {
                return Err(format!("duplicate denom {}", c.denom));
            }
            let d = Dec::parse(&c.amount)?;
            out.add_units(&c.denom, d.units()).map_err(|e| e.log)?;
        }
        Ok(out)
    }
}

/// A DecCoin in genesis JSON.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecCoinJson {
    pub denom: String,
    pub amount: String,
}

/// The LegacyDec wire form of a decimal (its units as an integer string).
pub fn dec_wire(d: Dec) -> String {
    d.units().to_string()
}

/// Parses a LegacyDec wire string this module wrote.
pub fn dec_from_stored(s: &str, what: &str) -> Result<Dec, TxError> {
    deai_framework::coins::parse_amount(s)
        .map(Dec::from_units)
        .map_err(|_| sdk::internal(format!("corrupt {what}")))
}

/// The SDK's `DecCoins.String()`: `1.500000000000000000udeai,…` (empty for none).
impl std::fmt::Display for DecCoins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(d, u)| format!("{}{d}", Dec::from_units(*u)))
            .collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dc(pairs: &[(&str, u128)]) -> DecCoins {
        let mut d = DecCoins::new();
        for (k, u) in pairs {
            d.add_units(k, *u).unwrap();
        }
        d
    }

    #[test]
    fn arithmetic_floors_and_checks() {
        let a = dc(&[("udeai", 3 * DEC_SCALE + 7)]);
        let (whole, rest) = a.truncate().unwrap();
        assert_eq!(whole.amount_of("udeai"), 3);
        assert_eq!(rest.units_of("udeai"), 7);
        assert_eq!(
            a.quo_int_floor(2).unwrap().units_of("udeai"),
            (3 * DEC_SCALE + 7) / 2
        );
        let half = Dec::parse("0.5").unwrap();
        assert_eq!(
            a.mul_dec_floor(half).unwrap().units_of("udeai"),
            (3 * DEC_SCALE + 7) / 2
        );
        let mut b = a.clone();
        assert!(b.sub(&dc(&[("udeai", 4 * DEC_SCALE)])).is_err());
        b.sub(&a).unwrap();
        assert!(b.is_zero());
        assert_eq!(
            a.intersect(&dc(&[("udeai", 5), ("uatom", 9)])),
            dc(&[("udeai", 5)])
        );
        let j = a.to_json();
        assert_eq!(j[0].amount, "3.000000000000000007");
        assert_eq!(DecCoins::from_json(&j).unwrap(), a);
        assert_eq!(a.to_proto()[0].amount, (3 * DEC_SCALE + 7).to_string());
    }
}
