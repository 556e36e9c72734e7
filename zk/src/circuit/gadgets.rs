//! Small R1CS gadgets written directly against the constraint system, so each
//! costs exactly the constraints stated (no hidden allocations).
//!
//! A [`Num`] is a linear combination plus its integer value (known when
//! proving, `None` during setup). Linear operations on `Num`s are free.

use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError, Variable};

use crate::field::{bit_len, fr_from_i128};

pub type Lc = LinearCombination<Fr>;

#[derive(Clone, Debug)]
pub struct Num {
    pub lc: Lc,
    pub val: Option<i128>,
}

impl Num {
    pub fn constant(c: i128) -> Self {
        let lc = if c == 0 {
            Lc::zero()
        } else {
            Lc::from((fr_from_i128(c), Variable::One))
        };
        Num { lc, val: Some(c) }
    }

    pub fn var(v: Variable, val: Option<i128>) -> Self {
        Num {
            lc: Lc::from(v),
            val,
        }
    }

    /// True for a constant zero (a dead neuron): lets callers skip work.
    pub fn is_zero_constant(&self) -> bool {
        self.lc.is_empty()
    }

    /// The variable, if this is exactly one variable (as [`mul`] returns).
    pub fn as_var(&self) -> Option<Variable> {
        match self.lc.0.as_slice() {
            [(c, v)] if *c == Fr::from(1u64) => Some(*v),
            _ => None,
        }
    }
}

pub fn pow2(k: u32) -> Fr {
    use ark_ff::Field;
    Fr::from(2u64).pow([k as u64])
}

fn missing() -> SynthesisError {
    SynthesisError::AssignmentMissing
}

pub fn witness(
    cs: &ConstraintSystemRef<Fr>,
    val: Option<i128>,
) -> Result<Variable, SynthesisError> {
    cs.new_witness_variable(|| val.map(fr_from_i128).ok_or_else(missing))
}

pub fn input(cs: &ConstraintSystemRef<Fr>, val: Option<Fr>) -> Result<Variable, SynthesisError> {
    cs.new_input_variable(|| val.ok_or_else(missing))
}

/// `a * b = c`.
pub fn enforce(cs: &ConstraintSystemRef<Fr>, a: Lc, b: Lc, c: Lc) -> Result<(), SynthesisError> {
    cs.enforce_r1cs_constraint(|| a, || b, || c)
}

/// `a = b`, one constraint.
pub fn enforce_eq(cs: &ConstraintSystemRef<Fr>, a: Lc, b: Lc) -> Result<(), SynthesisError> {
    enforce(cs, a - b, Lc::from(Variable::One), Lc::zero())
}

/// Allocates `width` boolean witnesses holding the bits of `val` (LSB first):
/// `width` constraints `b * (1 - b) = 0`. The caller ties them to a value.
pub fn alloc_bits(
    cs: &ConstraintSystemRef<Fr>,
    val: Option<u128>,
    width: u32,
) -> Result<Vec<Variable>, SynthesisError> {
    if let Some(v) = val {
        if bit_len(v) > width {
            // The witness does not fit: the statement is false, refuse to prove it.
            return Err(SynthesisError::Unsatisfiable);
        }
    }
    (0..width)
        .map(|i| {
            let b = witness(cs, val.map(|v| ((v >> i) & 1) as i128))?;
            enforce(cs, Lc::from(b), Lc::from(Variable::One) - b, Lc::zero())?;
            Ok(b)
        })
        .collect()
}

/// `sum_{i in range} bits[i] * 2^(i - range.start + at)`.
pub fn bits_lc(bits: &[Variable], range: std::ops::Range<usize>, at: u32) -> Lc {
    let start = range.start;
    lc_from_terms(
        range
            .map(|i| (pow2((i - start) as u32 + at), bits[i]))
            .collect(),
    )
}

/// Builds an LC from raw terms in O(n log n) (repeated `+=` would be quadratic).
pub fn lc_from_terms(terms: Vec<(Fr, Variable)>) -> Lc {
    let mut lc = LinearCombination(terms);
    lc.compactify();
    lc
}

/// Range check `0 <= x.val < 2^width`: `width + 1` constraints.
pub fn range_check(
    cs: &ConstraintSystemRef<Fr>,
    x: &Num,
    width: u32,
) -> Result<Vec<Variable>, SynthesisError> {
    let val = match x.val {
        Some(v) if v < 0 => return Err(SynthesisError::Unsatisfiable),
        v => v.map(|v| v as u128),
    };
    let bits = alloc_bits(cs, val, width)?;
    enforce_eq(cs, bits_lc(&bits, 0..bits.len(), 0), x.lc.clone())?;
    Ok(bits)
}

/// The witnesses of one [`relu_shift`] (for tests that tamper with them).
#[derive(Clone, Debug, Default)]
pub struct ReluVars {
    /// The bit decomposition: of `acc` (`lo >= 0`), or of `acc + 2^k` with the sign
    /// bit last. The bits below `shift` are the requantization remainder.
    pub bits: Vec<Variable>,
    /// The output witness `y = sign * high bits` (signed case only; otherwise `y` is
    /// the linear combination of the high bits).
    pub y: Option<Variable>,
}

/// Fused ReLU and requantization: `y = max(acc, 0) >> shift`, for an
/// accumulator statically known to lie in `[lo, hi]`.
///
/// - `hi >> shift == 0`: `y = 0`, no constraints (dead neuron).
/// - `lo >= 0`: decompose `acc` into `k = bits(hi)` bits; `y` is the LC of the bits
///   at and above `shift`. `k + 1` constraints.
/// - otherwise: decompose `acc + 2^k` into `k + 1` bits (`k` covers both `hi` and
///   `-lo - 1`); the top bit is `acc >= 0`, and `y = top * (bits >= shift)`:
///   `k + 3` constraints.
///
/// In both decompositions the bits below `shift` are the range-checked remainder.
pub fn relu_shift(
    cs: &ConstraintSystemRef<Fr>,
    acc: &Num,
    lo: i128,
    hi: i128,
    shift: u32,
) -> Result<(Num, ReluVars), SynthesisError> {
    if hi < 0 || (hi >> shift) == 0 {
        return Ok((Num::constant(0), ReluVars::default()));
    }
    let y_val = acc.val.map(|a| a.max(0) >> shift);
    if lo >= 0 {
        let k = bit_len(hi as u128) as usize;
        let bits = range_check(cs, acc, k as u32)?;
        let y = Num {
            lc: bits_lc(&bits, shift as usize..k, 0),
            val: y_val,
        };
        return Ok((y, ReluVars { bits, y: None }));
    }
    let k = bit_len(hi as u128).max(bit_len((-lo - 1) as u128)) as usize;
    let offset = 1i128 << k;
    let shifted = Num {
        lc: acc.lc.clone() + (pow2(k as u32), Variable::One),
        val: match acc.val {
            Some(a) => Some(a.checked_add(offset).ok_or(SynthesisError::Unsatisfiable)?),
            None => None,
        },
    };
    let bits = range_check(cs, &shifted, k as u32 + 1)?;
    let high = bits_lc(&bits, (shift as usize).min(k)..k, 0);
    let y = witness(cs, y_val)?;
    enforce(cs, Lc::from(bits[k]), high, Lc::from(y))?;
    Ok((Num::var(y, y_val), ReluVars { bits, y: Some(y) }))
}

/// Decomposes `v` into `b >= 1` bits at `b` constraints: the low `b - 1` bits are
/// boolean witnesses, and the top bit is implied, `t = (v - low) / 2^(b-1)`, made
/// boolean by `(v - low) * (2^(b-1) - (v - low)) = 0`. Returns the low bits and
/// `v - low` (`= t * 2^(b-1)`). Sound: `v = low + t 2^(b-1)` with `low < 2^(b-1)`.
fn decompose_implied_top(
    cs: &ConstraintSystemRef<Fr>,
    v: &Num,
    b: u32,
) -> Result<(Vec<Variable>, Lc), SynthesisError> {
    let val = match v.val {
        Some(x) if x < 0 || bit_len(x as u128) > b => return Err(SynthesisError::Unsatisfiable),
        x => x.map(|x| x as u128),
    };
    let low = alloc_bits(cs, val.map(|x| x & ((1u128 << (b - 1)) - 1)), b - 1)?;
    let top = v.lc.clone() - bits_lc(&low, 0..low.len(), 0);
    let half = Lc::from((pow2(b - 1), Variable::One));
    enforce(cs, top.clone(), half - top.clone(), Lc::zero())?;
    Ok((low, top))
}

/// Exact range check `0 <= v <= span` (an input minus its minimum), with
/// `b = bits(max(span, 1))`: `b` constraints when `span = 2^b - 1`, `b + 1` when
/// `span = 2^(b-1)` (`t * low = 0`), else `2b` (`span - v` is decomposed too).
/// Returns the witness bits: those of `v`, then those of `span - v` if used.
pub fn range_check_span(
    cs: &ConstraintSystemRef<Fr>,
    v: &Num,
    span: u128,
) -> Result<Vec<Variable>, SynthesisError> {
    if let Some(x) = v.val {
        if x < 0 || x as u128 > span {
            return Err(SynthesisError::Unsatisfiable);
        }
    }
    let b = bit_len(span.max(1));
    let (mut bits, top) = decompose_implied_top(cs, v, b)?;
    if span == (1u128 << b) - 1 {
        return Ok(bits);
    }
    if b >= 2 && span == 1u128 << (b - 1) {
        enforce(cs, top, bits_lc(&bits, 0..bits.len(), 0), Lc::zero())?;
        return Ok(bits);
    }
    let rest = Num {
        lc: Lc::from((fr_from_i128(span as i128), Variable::One)) - v.lc.clone(),
        val: v.val.map(|x| span as i128 - x),
    };
    bits.extend(decompose_implied_top(cs, &rest, b)?.0);
    Ok(bits)
}

/// The upper end of an exact range check for a value already decomposed into `b`
/// boolean bits (a packed input): nothing if `span = 2^b - 1`, else as in
/// [`range_check_span`]. Returns the extra witness bits.
pub fn enforce_at_most(
    cs: &ConstraintSystemRef<Fr>,
    v: &Num,
    bits: &[Variable],
    span: u128,
) -> Result<Vec<Variable>, SynthesisError> {
    let b = bits.len() as u32;
    if b == 0 || span >= (1u128 << b) - 1 {
        return Ok(Vec::new());
    }
    if b >= 2 && span == 1u128 << (b - 1) {
        let low = bits_lc(bits, 0..bits.len() - 1, 0);
        enforce(cs, Lc::from(bits[bits.len() - 1]), low, Lc::zero())?;
        return Ok(Vec::new());
    }
    let rest = Num {
        lc: Lc::from((fr_from_i128(span as i128), Variable::One)) - v.lc.clone(),
        val: v.val.map(|x| span as i128 - x),
    };
    Ok(decompose_implied_top(cs, &rest, b)?.0)
}

/// `a * b` as a new witness: one constraint (none if either is a constant zero).
pub fn mul(cs: &ConstraintSystemRef<Fr>, a: &Num, b: &Num) -> Result<Num, SynthesisError> {
    if a.is_zero_constant() || b.is_zero_constant() {
        return Ok(Num::constant(0));
    }
    let val = match (a.val, b.val) {
        (Some(x), Some(y)) => Some(x.checked_mul(y).ok_or(SynthesisError::Unsatisfiable)?),
        _ => None,
    };
    let p = witness(cs, val)?;
    enforce(cs, a.lc.clone(), b.lc.clone(), Lc::from(p))?;
    Ok(Num::var(p, val))
}

/// Sum of `Num`s (free). A value overflowing `i128` cannot be a true statement's.
pub fn sum<'a>(
    items: impl IntoIterator<Item = &'a Num>,
    constant: i128,
) -> Result<Num, SynthesisError> {
    let mut terms = Vec::new();
    let mut val = Some(constant);
    for n in items {
        terms.extend_from_slice(&n.lc.0);
        val = match (val, n.val) {
            (Some(a), Some(b)) => Some(a.checked_add(b).ok_or(SynthesisError::Unsatisfiable)?),
            _ => None,
        };
    }
    if constant != 0 {
        terms.push((fr_from_i128(constant), Variable::One));
    }
    Ok(Num {
        lc: lc_from_terms(terms),
        val,
    })
}
