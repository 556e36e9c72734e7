//! Signed 18-place fixed point for topic scores and losses, and exact integer helpers. No
//! floats anywhere: an [`Fx`] is an `i128` count of 10^-18, like `Dec` but signed; every
//! product is floored toward −∞ (`div_euclid`), every step checked or bounded by the ranges
//! the topic rules guarantee (|values| ≤ [`MAX_TOPIC_VALUE`], so losses ≤ 4·10^18 and
//! fixed-point magnitudes ≤ 4·10^36 < 1.7·10^38).

use std::fmt;

use deai_framework::dec::{Dec, DEC_SCALE};

/// The largest |value| of a topic inference or ground-truth report: squared losses of two
/// such values (≤ 4·10^18) still fit an i64, and their fixed point an i128.
pub const MAX_TOPIC_VALUE: i64 = 1_000_000_000;

pub const SCALE: i128 = DEC_SCALE as i128;

/// The largest |score| a genesis may carry, in 10^-18 units (10^19): scores are EMAs of
/// gains, and a gain is at most the largest loss, 4·10^18, so every score the chain computes
/// is below it, and arithmetic on scores up to it cannot overflow.
pub const MAX_SCORE_UNITS: u128 = 10_000_000_000_000_000_000 * DEC_SCALE;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fx(pub i128);

impl Fx {
    pub const ZERO: Fx = Fx(0);

    pub fn from_int(v: i64) -> Fx {
        Fx(v as i128 * SCALE)
    }

    /// `[-]digits[.digits]`, at most 18 fractional digits.
    pub fn parse(s: &str) -> Result<Fx, String> {
        let (neg, body) = match s.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, s),
        };
        let d = Dec::parse(body)?;
        let v = i128::try_from(d.units()).map_err(|_| format!("decimal {s:?} out of range"))?;
        if neg && v == 0 {
            return Err(format!("negative zero {s:?}"));
        }
        Ok(Fx(if neg { -v } else { v }))
    }

    /// floor(self), an integer.
    pub fn floor(self) -> i128 {
        self.0.div_euclid(SCALE)
    }

    pub fn abs_units(self) -> u128 {
        self.0.unsigned_abs()
    }

    /// floor(self × d) for a fraction `d` in [0, 1]: with self = a·10^18 + b (0 ≤ b < 10^18),
    /// self·d = a·d + b·d/10^18, and only the last term is floored (exact floor).
    pub fn mul_frac(self, d: Dec) -> Fx {
        let a = self.0.div_euclid(SCALE);
        let b = self.0.rem_euclid(SCALE);
        let d = d.units().min(DEC_SCALE) as i128;
        Fx(a * d + (b * d).div_euclid(SCALE))
    }

    /// max(self, 0) as unsigned units.
    pub fn positive_units(self) -> u128 {
        if self.0 > 0 {
            self.0 as u128
        } else {
            0
        }
    }
}

impl fmt::Display for Fx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let u = self.0.unsigned_abs();
        write!(f, "{sign}{}", Dec::from_units(u))
    }
}

/// floor(a × b / d), exact through a 256-bit product; None when d is 0 or the quotient does
/// not fit 128 bits (the framework's wide divide).
pub fn mul_div(a: u128, b: u128, d: u128) -> Option<u128> {
    deai_framework::dec::mul_div_rem(a, b, d).map(|(q, _)| q)
}

/// The right shift that brings `max` below 2^bits (0 when it already is).
pub fn shift_for(max: u128, bits: u32) -> u32 {
    (128 - max.leading_zeros()).saturating_sub(bits)
}

/// Splits `amount` in proportion to `weights`: share_i = floor(amount × w_i / Σw), after
/// shifting every weight right by the same k so that the largest is below 2^100 (the sum of
/// at most 2^20 of them cannot overflow). Σ shares ≤ amount; all zero when Σw is 0.
pub fn proportional(amount: u128, weights: &[u128]) -> Vec<u128> {
    let k = shift_for(weights.iter().copied().max().unwrap_or(0), 100);
    let w: Vec<u128> = weights.iter().map(|x| x >> k).collect();
    let total: u128 = w.iter().sum();
    w.iter()
        .map(|x| mul_div(amount, *x, total).unwrap_or(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use deai_framework::dec::mul_wide;

    #[test]
    fn parses_and_renders_signed() {
        assert_eq!(Fx::parse("-1.5").unwrap(), Fx(-15 * SCALE / 10));
        assert_eq!(
            Fx::parse("-1.5").unwrap().to_string(),
            "-1.500000000000000000"
        );
        assert_eq!(Fx::parse("0").unwrap().to_string(), "0.000000000000000000");
        for bad in ["", "-", "--1", "-0", "+1", "1e2", "-.5"] {
            assert!(Fx::parse(bad).is_err(), "{bad}");
        }
        let x = Fx(-123_456_789_012_345_678_901);
        assert_eq!(Fx::parse(&x.to_string()).unwrap(), x);
    }

    #[test]
    fn floors_toward_minus_infinity() {
        assert_eq!(Fx::parse("-0.5").unwrap().floor(), -1);
        assert_eq!(Fx::parse("2.5").unwrap().floor(), 2);
        let third = Dec::from_units(DEC_SCALE / 3);
        // 1 × 0.333… = 0.333…333 exactly; −1 × 0.333… floors one unit down.
        assert_eq!(Fx::from_int(1).mul_frac(third).0, (DEC_SCALE / 3) as i128);
        assert_eq!(
            Fx::from_int(-1).mul_frac(third).0,
            -((DEC_SCALE / 3) as i128)
        );
        assert_eq!(Fx(-1).mul_frac(third).0, -1);
        assert_eq!(Fx(1).mul_frac(third).0, 0);
        let big = Fx(4 * SCALE * SCALE);
        assert_eq!(big.mul_frac(Dec::ONE), big);
    }

    #[test]
    fn mul_div_is_exact() {
        assert_eq!(mul_div(7, 3, 2), Some(10));
        assert_eq!(mul_div(u128::MAX, u128::MAX, u128::MAX), Some(u128::MAX));
        assert_eq!(mul_div(u128::MAX, 2, 3), Some(u128::MAX / 3 * 2));
        assert_eq!(mul_div(u128::MAX, 2, 1), None);
        assert_eq!(mul_div(1, 1, 0), None);
        let a = 10u128.pow(30) + 7;
        let b = 10u128.pow(20) + 3;
        let d = 10u128.pow(25) + 11;
        // a·b exceeds 2^128: q·d ≤ a·b < (q+1)·d, compared as 256-bit (high, low) pairs.
        let q = mul_div(a, b, d).unwrap();
        assert!(mul_wide(a, b).0 > 0);
        assert!(mul_wide(q, d) <= mul_wide(a, b) && mul_wide(a, b) < mul_wide(q + 1, d));
        assert_eq!(q, 10_000_000_000_000_000_000_299_989);
    }

    #[test]
    fn proportional_never_overpays() {
        assert_eq!(proportional(100, &[1, 1, 1]), vec![33, 33, 33]);
        assert_eq!(proportional(100, &[0, 0]), vec![0, 0]);
        assert_eq!(proportional(10, &[3, 1]), vec![7, 2]);
        let huge = [u128::MAX, u128::MAX / 2, 1];
        let s = proportional(1_000_000, &huge);
        assert!(s.iter().sum::<u128>() <= 1_000_000);
        assert_eq!(s[0], 666_666);
    }
}
