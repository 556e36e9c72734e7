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

/// The 256-bit product a × b as (high, low) halves; tuples compare as the product does.
pub fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    let mask = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & mask);
    let (b1, b0) = (b >> 64, b & mask);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & mask) + (p10 & mask);
    let lo = (p00 & mask) | ((mid & mask) << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

/// (floor(a × b / c), (a × b) mod c), exact through the 256-bit product (bitwise long
/// division), or None when c is 0 or the quotient needs more than 128 bits. The chain's one
/// wide multiply-divide: exchange rates, rewards, inflation, tallies and fixed-point scores
/// all go through it.
pub fn mul_div_rem(a: u128, b: u128, c: u128) -> Option<(u128, u128)> {
    if c == 0 {
        return None;
    }
    let (hi, lo) = mul_wide(a, b);
    if hi == 0 {
        return Some((lo / c, lo % c));
    }
    if hi >= c {
        return None;
    }
    let mut rem = hi;
    let mut q: u128 = 0;
    for i in (0..128).rev() {
        let carry = rem >> 127;
        rem = (rem << 1) | ((lo >> i) & 1);
        q <<= 1;
        if carry == 1 || rem >= c {
            rem = rem.wrapping_sub(c);
            q |= 1;
        }
    }
    Some((q, rem))
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
    fn wide_mul_div_is_exact() {
        assert_eq!(mul_div_rem(7, 3, 2), Some((10, 1)));
        assert_eq!(
            mul_div_rem(u128::MAX, u128::MAX, u128::MAX),
            Some((u128::MAX, 0))
        );
        assert_eq!(
            mul_div_rem(u128::MAX, 1 << 100, 1 << 101),
            Some((u128::MAX >> 1, 1 << 100))
        );
        assert_eq!(mul_div_rem(u128::MAX, 2, 1), None);
        assert_eq!(mul_div_rem(1, 1, 0), None);
        let (a, b, c) = (
            123_456_789_012_345_678_901_234_567u128,
            987_654_321_098_765_432u128,
            555_555_555_555_555_555_555u128,
        );
        let (q, r) = mul_div_rem(a, b, c).unwrap();
        // q·c + r == a·b, compared as 256-bit numbers.
        let (qh, ql) = mul_wide(q, c);
        let (lo, carry) = ql.overflowing_add(r);
        assert_eq!((qh + carry as u128, lo), mul_wide(a, b));
        assert!(r < c);
    }

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
