//! Fixed-point decimal fractions (take rates, slash fractions, spot-check rates), with no
//! floats; shared by every market.
//!
//! A [`Dec`] is an integer count of 10^-18 units (the SDK's `LegacyDec` precision): "0.02" is
//! 20_000_000_000_000_000. Parsing accepts `digits[.digits]` with at most 18 fractional digits;
//! the canonical string, used in genesis export and queries, is the SDK's: 18 fractional
//! digits ("0.020000000000000000"). Products round down (floor) and every step is checked.

use std::fmt;

/// Fractional digits of a [`Dec`].
pub const DEC_PLACES: u32 = 18;
/// 10^18: the [`Dec`] of 1.
pub const DEC_SCALE: u128 = 1_000_000_000_000_000_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dec(u128);

impl Dec {
    pub const ZERO: Dec = Dec(0);
    pub const ONE: Dec = Dec(DEC_SCALE);

    /// The decimal `units` × 10^-18.
    pub fn from_units(units: u128) -> Self {
        Dec(units)
    }

    pub fn units(self) -> u128 {
        self.0
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("invalid decimal {s:?}");
        if s.is_empty() || s.len() > 60 {
            return Err(bad());
        }
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty()
            || !digits(int)
            || !digits(frac)
            || frac.len() > DEC_PLACES as usize
            || (s.contains('.') && frac.is_empty())
        {
            return Err(bad());
        }
        let int: u128 = int.parse().map_err(|_| bad())?;
        let mut f: u128 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| bad())?
        };
        for _ in frac.len()..DEC_PLACES as usize {
            f = f.checked_mul(10).ok_or_else(bad)?;
        }
        int.checked_mul(DEC_SCALE)
            .and_then(|v| v.checked_add(f))
            .map(Dec)
            .ok_or_else(bad)
    }

    /// floor(amount × self), or None on overflow. Exact: with amount = q·10^18 + r,
    /// amount·d / 10^18 = q·d + r·d / 10^18, and only the last term is floored.
    pub fn mul_floor(self, amount: u128) -> Option<u128> {
        let q = amount / DEC_SCALE;
        let r = amount % DEC_SCALE;
        q.checked_mul(self.0)?
            .checked_add(r.checked_mul(self.0)? / DEC_SCALE)
    }
}

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:018}", self.0 / DEC_SCALE, self.0 % DEC_SCALE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_renders() {
        assert_eq!(Dec::parse("0.02").unwrap().units(), 20_000_000_000_000_000);
        assert_eq!(Dec::parse("1").unwrap(), Dec::ONE);
        assert_eq!(
            Dec::parse("0.02").unwrap().to_string(),
            "0.020000000000000000"
        );
        assert_eq!(
            Dec::parse("0.020000000000000000").unwrap(),
            Dec::parse("0.02").unwrap()
        );
        for bad in [
            "",
            ".5",
            "5.",
            "-1",
            "1e3",
            "0.0000000000000000001",
            "a",
            "1.2.3",
        ] {
            assert!(Dec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mul_floors_and_checks() {
        let d = Dec::parse("0.02").unwrap();
        assert_eq!(d.mul_floor(149), Some(2));
        assert_eq!(d.mul_floor(150), Some(3));
        assert_eq!(Dec::ONE.mul_floor(u128::MAX), Some(u128::MAX));
        assert_eq!(d.mul_floor(u128::MAX), Some(u128::MAX / 50));
        assert_eq!(Dec::parse("2").unwrap().mul_floor(u128::MAX), None);
    }
}
