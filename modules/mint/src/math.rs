//! deai-mint's integer arithmetic: 256-bit `a × b / c`, the SDK's `LegacyDec` rounding, an
//! integer square root, and the x/mint formulas on the framework's unsigned [`Dec`].
//!
//! `LegacyDec` is signed; the framework's [`Dec`] is not. The one signed quantity of x/mint,
//! the inflation change `(1 − bonded/goal) × rate_change / blocks_per_year`, is carried as a
//! sign and a magnitude ([`Signed`]). The SDK's `chopPrecisionAndRound` rounds a negative
//! value by rounding its magnitude (banker's rounding) and negating, and `big.Int.Quo`
//! truncates toward zero, so every rounding of the magnitude is the SDK's rounding of the
//! signed value: the results are the SDK's to the last 10^-18.

pub use deai_framework::dec::mul_div_rem;
pub use deai_framework::dec::{Dec, DEC_SCALE};
use deai_framework::{sdk, TxError};

fn overflow(what: &str) -> TxError {
    sdk::internal(format!("mint arithmetic overflows: {what}"))
}

/// floor(a × b / c); an overflow or a zero divisor is an internal error.
pub fn mul_div_floor(a: u128, b: u128, c: u128) -> Result<u128, TxError> {
    mul_div_rem(a, b, c)
        .map(|(q, _)| q)
        .ok_or_else(|| overflow("a × b / c"))
}

/// The SDK's `chopPrecisionAndRound` of `q × 10^18 + r` (r < 10^18): banker's rounding.
fn round_half_even(q: u128, r: u128) -> Result<u128, TxError> {
    let half = DEC_SCALE / 2;
    let up = r > half || (r == half && q % 2 == 1);
    if up {
        q.checked_add(1).ok_or_else(|| overflow("rounding"))
    } else {
        Ok(q)
    }
}

/// `LegacyDec.Mul`: a × b rounded half to even at the 18th decimal.
pub fn dec_mul(a: Dec, b: Dec) -> Result<Dec, TxError> {
    let (q, r) = mul_div_rem(a.units(), b.units(), DEC_SCALE).ok_or_else(|| overflow("mul"))?;
    Ok(Dec::from_units(round_half_even(q, r)?))
}

/// `LegacyDec.Quo`: floor(a × 10^36 / b), then rounded half to even at the 18th decimal.
/// Computed in two 18-digit steps (q18 and the next 18 digits), which is that exactly.
pub fn dec_quo(a: Dec, b: Dec) -> Result<Dec, TxError> {
    let (q, rem) = mul_div_rem(a.units(), DEC_SCALE, b.units()).ok_or_else(|| overflow("quo"))?;
    // rem < b, so rem × 10^18 / b < 10^18.
    let (next, _) = mul_div_rem(rem, DEC_SCALE, b.units()).ok_or_else(|| overflow("quo"))?;
    Ok(Dec::from_units(round_half_even(q, next)?))
}

/// A signed decimal: `neg` and the magnitude.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signed {
    pub neg: bool,
    pub mag: Dec,
}

/// The SDK's `BondedRatio`: floor(bonded × 10^18 / supply) units (`QuoInt` truncates); zero
/// when the supply is zero.
pub fn bonded_ratio(bonded: u128, supply: u128) -> Result<Dec, TxError> {
    if supply == 0 {
        return Ok(Dec::ZERO);
    }
    Ok(Dec::from_units(mul_div_floor(bonded, DEC_SCALE, supply)?))
}

/// The SDK's per-block inflation change `(1 − bonded/goal) × rate_change / blocks_per_year`,
/// with `LegacyDec`'s roundings (Quo, Mul, Quo), as a sign and a magnitude.
pub fn inflation_change(
    bonded_ratio: Dec,
    goal_bonded: Dec,
    rate_change: Dec,
    blocks_per_year: u64,
) -> Result<Signed, TxError> {
    let ratio = dec_quo(bonded_ratio, goal_bonded)?;
    let (neg, gap) = if ratio <= Dec::ONE {
        (false, Dec::ONE.units() - ratio.units())
    } else {
        (true, ratio.units() - Dec::ONE.units())
    };
    let per_year = dec_mul(Dec::from_units(gap), rate_change)?;
    let blocks = u128::from(blocks_per_year)
        .checked_mul(DEC_SCALE)
        .ok_or_else(|| overflow("blocks per year"))?;
    let mag = dec_quo(per_year, Dec::from_units(blocks))?;
    Ok(Signed {
        neg: neg && mag != Dec::ZERO,
        mag,
    })
}

/// The SDK's `NextInflationRate`: the inflation plus the change, clamped to [min, max]. A
/// negative result (possible only below a zero min) is clamped to min like any other.
pub fn next_inflation(
    inflation: Dec,
    change: Signed,
    inflation_min: Dec,
    inflation_max: Dec,
) -> Result<Dec, TxError> {
    let next = if change.neg {
        // Below zero is below min (min ≥ 0): clamp there.
        Dec::from_units(inflation.units().saturating_sub(change.mag.units()))
    } else {
        Dec::from_units(
            inflation
                .units()
                .checked_add(change.mag.units())
                .ok_or_else(|| overflow("inflation"))?,
        )
    };
    Ok(next.min(inflation_max).max(inflation_min))
}

/// The SDK's `NextAnnualProvisions`: inflation × supply, exact (`MulInt` does not round).
pub fn annual_provisions(inflation: Dec, supply: u128) -> Result<Dec, TxError> {
    inflation
        .units()
        .checked_mul(supply)
        .map(Dec::from_units)
        .ok_or_else(|| overflow("annual provisions"))
}

/// The SDK's `BlockProvision`: annual_provisions / blocks_per_year (`QuoInt` truncates the
/// 10^-18 units) truncated to an integer. floor(floor(x / b) / 10^18) = floor(x / (b·10^18)).
pub fn block_provision(annual: Dec, blocks_per_year: u64) -> u128 {
    if blocks_per_year == 0 {
        return 0;
    }
    annual.units() / u128::from(blocks_per_year) / DEC_SCALE
}

/// floor(√n), exact (Newton's method on integers).
pub fn isqrt(n: u128) -> u128 {
    if n < 2 {
        return n;
    }
    // An initial guess above the root: 2^ceil(bits/2).
    let bits = 128 - n.leading_zeros();
    let mut x: u128 = 1u128 << bits.div_ceil(2);
    loop {
        let y = (x + n / x) / 2;
        if y >= x {
            return x;
        }
        x = y;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dec {
        Dec::parse(s).unwrap()
    }

    #[test]
    fn legacy_dec_rounding() {
        // 1/3 = 0.333…333|333… rounds down; 2/3 rounds up.
        assert_eq!(
            dec_quo(d("1"), d("3")).unwrap().to_string(),
            "0.333333333333333333"
        );
        assert_eq!(
            dec_quo(d("2"), d("3")).unwrap().to_string(),
            "0.666666666666666667"
        );
        // Banker's rounding at exactly half: 0.000000000000000001 × 0.5.
        let tiny = Dec::from_units(1);
        assert_eq!(dec_mul(tiny, d("0.5")).unwrap(), Dec::ZERO);
        assert_eq!(
            dec_mul(Dec::from_units(3), d("0.5")).unwrap(),
            Dec::from_units(2)
        );
        assert_eq!(dec_quo(tiny, d("2")).unwrap(), Dec::ZERO);
        assert_eq!(
            dec_quo(Dec::from_units(3), d("2")).unwrap(),
            Dec::from_units(2)
        );
    }

    #[test]
    fn isqrt_is_the_floor() {
        for n in [0u128, 1, 2, 3, 4, 15, 16, 17, 99, 100, 1 << 64, u128::MAX] {
            let r = isqrt(n);
            assert!(r * r <= n, "{n}");
            assert!((r + 1).checked_mul(r + 1).is_none_or(|sq| sq > n), "{n}");
        }
        assert_eq!(isqrt(u128::MAX), u64::MAX as u128);
    }

    #[test]
    fn mul_div_is_exact() {
        assert_eq!(
            mul_div_rem(u128::MAX, u128::MAX, u128::MAX),
            Some((u128::MAX, 0))
        );
        assert_eq!(mul_div_rem(7, 3, 2), Some((10, 1)));
        assert_eq!(mul_div_rem(u128::MAX, 2, 1), None);
        assert_eq!(mul_div_rem(1, 1, 0), None);
    }
}
