//! Minimal signed fixed-point types with the rounding of `substrate_fixed` v0.6.0
//! (the `fixed` crate family) as subtensor uses them:
//!
//! * `a * b`  = floor(a·b / 2^F)  (arithmetic shift; negatives floor too)
//! * `a / b`  = trunc((a·2^F) / b) (toward zero); division by zero returns 0 (`safe_div`)
//! * `+`, `-` are exact; every operation saturates at the type's bounds
//! * narrowing conversions (I64F64 → I32F32, fixed → integer) floor
//!
//! Implemented on the raw integer bits, so no panic and no floating point.

// Named like the fixed crate's saturating methods, not the std operator traits.
#![allow(clippy::should_implement_trait)]

/// 32 integer bits, 32 fractional bits (raw `i64`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct I32F32(pub i64);

const FRAC: u32 = 32;

fn sat_i64(v: i128) -> i64 {
    if v > i64::MAX as i128 {
        i64::MAX
    } else if v < i64::MIN as i128 {
        i64::MIN
    } else {
        v as i64
    }
}

impl I32F32 {
    pub const ZERO: I32F32 = I32F32(0);
    pub const ONE: I32F32 = I32F32(1 << FRAC);
    pub const MAX: I32F32 = I32F32(i64::MAX);

    /// Integer → fixed, saturating.
    pub fn from_int(v: i64) -> Self {
        I32F32(sat_i64((v as i128) << FRAC))
    }
    pub fn add(self, o: Self) -> Self {
        I32F32(self.0.saturating_add(o.0))
    }
    pub fn sub(self, o: Self) -> Self {
        I32F32(self.0.saturating_sub(o.0))
    }
    /// floor(a·b/2^32), saturating.
    pub fn mul(self, o: Self) -> Self {
        I32F32(sat_i64(((self.0 as i128) * (o.0 as i128)) >> FRAC))
    }
    /// trunc(a·2^32/b) toward zero, saturating; b = 0 gives 0.
    pub fn div(self, o: Self) -> Self {
        if o.0 == 0 {
            return I32F32::ZERO;
        }
        I32F32(sat_i64(((self.0 as i128) << FRAC) / (o.0 as i128)))
    }
    /// Exact value as f64 (raw / 2^32; exact for |raw| < 2^53, which every
    /// output in [0, 1] and every bounded intermediate satisfies).
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / 4294967296.0
    }
    /// floor(self · 65535) clamped to the u16 range (subtensor's
    /// `fixed_proportion_to_u16`: a fixed multiplication, then a flooring cast).
    pub fn to_u16_proportion(self) -> u16 {
        let v = self.mul(I32F32::from_int(65535)).0 >> FRAC;
        v.clamp(0, 65535) as u16
    }
    /// floor(self · rao) computed as I96F32 (no overflow for any u64 rao), clamped to u64.
    pub fn mul_rao(self, rao: u64) -> u64 {
        if self.0 <= 0 {
            return 0;
        }
        let v = ((self.0 as u128) * (rao as u128)) >> FRAC;
        v.min(u64::MAX as u128) as u64
    }
}

/// Saturating sum in iteration order (fixed-point addition is exact, so the
/// result is order-independent unless it saturates).
pub fn sum(v: &[I32F32]) -> I32F32 {
    v.iter().fold(I32F32::ZERO, |a, b| a.add(*b))
}

/// exp(x) as `substrate_fixed::transcendental::exp` computes it for I32F32,
/// through subtensor's `safe_exp` clamp to [-20, 20]:
/// x = 0 → 1; x = 1 → the I9F23 constant e; x < 0 → 1/exp(-x);
/// otherwise the Taylor series Σ_{k=0}^{31} x^k/k!, each term built as
/// term_{k} = term_{k-1}·x/k with the type's truncation.
///
/// This is the documented algorithm; it is not bit-verified against the crate
/// (see docs/yuma.md). Its error is a few quanta, far inside the tolerance.
pub fn safe_exp(x: I32F32) -> I32F32 {
    let lo = I32F32::from_int(-20);
    let hi = I32F32::from_int(20);
    let x = if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    };
    exp(x)
}

fn exp(x: I32F32) -> I32F32 {
    if x == I32F32::ZERO {
        return I32F32::ONE;
    }
    if x == I32F32::ONE {
        // e as I9F23 (raw 22802601 / 2^23), widened to I32F32.
        return I32F32(22_802_601i64 << 9);
    }
    if x < I32F32::ZERO {
        return I32F32::ONE.div(exp(I32F32(x.0.saturating_neg())));
    }
    let mut term = I32F32::ONE;
    let mut acc = I32F32::ONE;
    for k in 1..32i64 {
        term = term.mul(x).div(I32F32::from_int(k));
        acc = acc.add(term);
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn rounding() {
        let third = I32F32::ONE.div(I32F32::from_int(3));
        assert_eq!(third.0, 1431655765); // truncated
        assert_eq!(third.to_u16_proportion(), 21844);
        let neg = I32F32(-1).mul(I32F32(1)); // -2^-64 floors to -2^-32
        assert_eq!(neg.0, -1);
        assert_eq!(I32F32::ONE.div(I32F32::ZERO), I32F32::ZERO);
        assert_eq!(I32F32::MAX.mul(I32F32::MAX), I32F32::MAX);
        assert_eq!(safe_exp(I32F32::ZERO), I32F32::ONE);
        let e = safe_exp(I32F32::from_int(2)).to_f64();
        assert!((e - 2f64.exp()).abs() < 1e-6, "{e}");
        let e = safe_exp(I32F32::from_int(-3)).to_f64();
        assert!((e - (-3f64).exp()).abs() < 1e-6, "{e}");
    }
}
