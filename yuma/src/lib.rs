//! deai Yuma Consensus: one dense epoch with subtensor's `epoch_dense_mechanism`
//! semantics (see `/shared/yuma/README.md` and `docs/yuma.md`), in emulated
//! substrate_fixed I32F32 / I64F64 arithmetic. Pure: no state, no I/O.
//!
//! Entry point: [`epoch`]. Serde types match the vector schema
//! `{"params": {...}, "inputs": {...}}` → [`Outputs`].

pub mod fixed;

use fixed::{safe_exp, sum, I32F32};
use serde::{Deserialize, Serialize};

type Z = I32F32;

fn d_kappa() -> u16 {
    32767
}
fn d_bma() -> u64 {
    900_000
}
fn d_bp() -> u16 {
    65535
}
fn d_alow() -> u16 {
    45875
}
fn d_ahigh() -> u16 {
    58982
}
fn d_steep() -> i16 {
    1000
}
fn d_rao() -> u64 {
    1_000_000_000
}
fn d_maxval() -> u16 {
    128
}

/// u16-scaled parameters with subtensor's runtime defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    #[serde(default = "d_kappa")]
    pub kappa_u16: u16,
    #[serde(default = "d_bma")]
    pub bonds_moving_average: u64,
    #[serde(default = "d_bp")]
    pub bonds_penalty_u16: u16,
    #[serde(default)]
    pub yuma3: bool,
    #[serde(default)]
    pub liquid_alpha: bool,
    #[serde(default = "d_alow")]
    pub alpha_low_u16: u16,
    #[serde(default = "d_ahigh")]
    pub alpha_high_u16: u16,
    #[serde(default = "d_steep")]
    pub alpha_sigmoid_steepness: i16,
    #[serde(default = "d_rao")]
    pub rao_emission: u64,
    #[serde(default)]
    pub min_stake: u64,
    #[serde(default = "d_maxval")]
    pub max_allowed_validators: u16,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            kappa_u16: d_kappa(),
            bonds_moving_average: d_bma(),
            bonds_penalty_u16: d_bp(),
            yuma3: false,
            liquid_alpha: false,
            alpha_low_u16: d_alow(),
            alpha_high_u16: d_ahigh(),
            alpha_sigmoid_steepness: d_steep(),
            rao_emission: d_rao(),
            min_stake: 0,
            max_allowed_validators: d_maxval(),
        }
    }
}

/// Epoch inputs. Vectors shorter than `n` are padded (0 / false / all-active
/// for `active`), longer ones are cut to `n`, so no shape mismatch panics.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct Inputs {
    pub n: usize,
    pub stake: Vec<u64>,
    pub weights: Vec<Vec<u16>>,
    pub validator_permit: Vec<bool>,
    pub bonds_prev: Vec<Vec<u16>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<Vec<bool>>,
}

/// `{"params": {...}, "inputs": {...}}`.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct Vector {
    #[serde(default)]
    pub params: Params,
    pub inputs: Inputs,
}

/// Epoch outputs; floats are exact I32F32 values (raw / 2^32).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outputs {
    pub consensus: Vec<f64>,
    pub incentive: Vec<f64>,
    pub dividends: Vec<f64>,
    pub bonds: Vec<Vec<f64>>,
    pub validator_trust: Vec<f64>,
    pub miner_emission: Vec<u64>,
    pub validator_emission: Vec<u64>,
    pub miner_emission_normalized: Vec<f64>,
    pub validator_emission_normalized: Vec<f64>,
    pub combined_emission: Vec<u64>,
    pub consensus_u16: Vec<u16>,
    pub incentive_u16: Vec<u16>,
    pub dividends_u16: Vec<u16>,
    pub validator_trust_u16: Vec<u16>,
    pub stake_weight_u16: Vec<u16>,
    pub bonds_u16: Vec<Vec<u16>>,
    pub bonds_stored_u16: Vec<Vec<u16>>,
    pub new_validator_permit: Vec<bool>,
}

// ---------- vector / matrix helpers (subtensor math.rs semantics) ----------

fn normalize(v: &mut [Z]) {
    let s = sum(v);
    if s == Z::ZERO {
        return;
    }
    for x in v.iter_mut() {
        *x = x.div(s);
    }
}

fn row_normalize(m: &mut [Vec<Z>]) {
    for row in m.iter_mut() {
        let s = sum(row);
        if s > Z::ZERO {
            for x in row.iter_mut() {
                *x = x.div(s);
            }
        }
    }
}

fn col_normalize(m: &mut [Vec<Z>], n: usize) {
    for j in 0..n {
        let s = m.iter().fold(Z::ZERO, |a, r| a.add(r[j]));
        if s == Z::ZERO {
            continue;
        }
        for r in m.iter_mut() {
            r[j] = r[j].div(s);
        }
    }
}

fn col_max_upscale(m: &mut [Vec<Z>], n: usize) {
    for j in 0..n {
        let mx = m.iter().fold(Z::ZERO, |a, r| a.max(r[j]));
        if mx == Z::ZERO {
            continue;
        }
        for r in m.iter_mut() {
            r[j] = r[j].div(mx);
        }
    }
}

/// out_i = Σ_j m_ij · v_j
fn mat_vec(m: &[Vec<Z>], v: &[Z]) -> Vec<Z> {
    m.iter()
        .map(|r| r.iter().zip(v).fold(Z::ZERO, |a, (x, y)| a.add(x.mul(*y))))
        .collect()
}

/// out_j = Σ_i v_i · m_ij
fn vec_mat(v: &[Z], m: &[Vec<Z>], n: usize) -> Vec<Z> {
    let mut out = vec![Z::ZERO; n];
    for (r, vi) in m.iter().zip(v) {
        for (o, x) in out.iter_mut().zip(r) {
            *o = o.add(vi.mul(*x));
        }
    }
    out
}

/// Top-k by value among nonzero entries; stable ascending sort, so on ties the
/// lower index is dropped first (subtensor `is_topk_nonzero`).
fn is_topk_nonzero(v: &[Z], k: usize) -> Vec<bool> {
    let n = v.len();
    let mut res: Vec<bool> = v.iter().map(|x| *x != Z::ZERO).collect();
    if n < k {
        return res;
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by_key(|&i| v[i]);
    for &i in &idx[..n - k] {
        res[i] = false;
    }
    res
}

/// Stake-weighted median by deterministic partitioning (subtensor `weighted_median`).
fn weighted_median(stake: &[Z], score: &[Z], part: &[usize], minority: Z, lo: Z, hi: Z) -> Z {
    // Iterative form of the recursion; each step strictly shrinks `part`.
    let mut part: Vec<usize> = part.to_vec();
    let (mut lo, mut hi) = (lo, hi);
    loop {
        let n = part.len();
        if n == 0 {
            return Z::ZERO;
        }
        if n == 1 {
            return score[part[0]];
        }
        let pivot = score[part[n / 2]];
        let (mut lo_stake, mut hi_stake) = (Z::ZERO, Z::ZERO);
        let (mut lower, mut upper) = (Vec::new(), Vec::new());
        for &i in &part {
            if score[i] < pivot {
                lo_stake = lo_stake.add(stake[i]);
                lower.push(i);
            } else if score[i] > pivot {
                hi_stake = hi_stake.add(stake[i]);
                upper.push(i);
            }
        }
        if minority < lo.add(lo_stake) && !lower.is_empty() {
            hi = lo.add(lo_stake);
            part = lower;
        } else if hi.sub(hi_stake) <= minority && !upper.is_empty() {
            lo = hi.sub(hi_stake);
            part = upper;
        } else {
            return pivot;
        }
    }
}

/// Per column: rows with stake > 0 take part, their stakes renormalised.
fn weighted_median_col(stake: &[Z], score: &[Vec<Z>], majority: Z, n: usize) -> Vec<Z> {
    let rows: Vec<usize> = (0..stake.len()).filter(|&i| stake[i] > Z::ZERO).collect();
    let mut use_stake: Vec<Z> = rows.iter().map(|&i| stake[i]).collect();
    normalize(&mut use_stake);
    let stake_sum = sum(&use_stake);
    let minority = stake_sum.sub(majority);
    let part: Vec<usize> = (0..rows.len()).collect();
    (0..n)
        .map(|j| {
            let use_score: Vec<Z> = rows.iter().map(|&i| score[i][j]).collect();
            weighted_median(&use_stake, &use_score, &part, minority, Z::ZERO, stake_sum)
        })
        .collect()
}

/// a + ratio·(b − a), with exact endpoints (subtensor `interpolate`).
fn interpolate(a: &[Vec<Z>], b: &[Vec<Z>], ratio: Z) -> Vec<Vec<Z>> {
    if ratio == Z::ZERO {
        return a.to_vec();
    }
    if ratio == Z::ONE {
        return b.to_vec();
    }
    a.iter()
        .zip(b)
        .map(|(ra, rb)| {
            ra.iter()
                .zip(rb)
                .map(|(x, y)| x.add(ratio.mul(y.sub(*x))))
                .collect()
        })
        .collect()
}

fn u16_ratio(v: u16) -> Z {
    Z::from_int(v as i64).div(Z::from_int(65535))
}

fn alpha_sigmoid(c: Z, w: Z, b: Z, a_lo: Z, a_hi: Z, steep: Z) -> Z {
    let clamp01 = |x: Z| x.max(Z::ZERO).min(Z::ONE);
    let diff_buy = clamp01(w.sub(c));
    let diff_sell = clamp01(b.sub(w));
    let diff = if w >= b { diff_buy } else { diff_sell };
    let half = I32F32(1 << 31);
    let x = steep.div(Z::from_int(-100)).mul(diff.sub(half));
    let sigmoid = Z::ONE.div(Z::ONE.add(safe_exp(x)));
    a_lo.add(sigmoid.mul(a_hi.sub(a_lo)))
}

fn f(v: &[Z]) -> Vec<f64> {
    v.iter().map(|x| x.to_f64()).collect()
}
fn u16v(v: &[Z]) -> Vec<u16> {
    v.iter().map(|x| x.to_u16_proportion()).collect()
}

/// Step 1 of the epoch: stake below `min_stake` zeroed, normalised in I64F64, floored to
/// I32F32; `stake` padded or cut to `n`.
fn normalized_stake(params: &Params, stake: &[u64], n: usize) -> Vec<Z> {
    let raw: Vec<u64> = (0..n)
        .map(|i| stake.get(i).copied().unwrap_or(0))
        .map(|s| if s < params.min_stake { 0 } else { s })
        .collect();
    let total: u128 = raw.iter().map(|&s| s as u128).sum();
    raw.iter()
        .map(|&s| {
            if total == 0 {
                Z::ZERO
            } else {
                // I64F64 raw = floor(s·2^64 / total) ≤ 2^64; then >> 32 (floor).
                let q = ((s as u128) << 64) / total;
                I32F32((q >> 32) as i64)
            }
        })
        .collect()
}

/// The top-k validator permits of `stake` exactly as the epoch computes
/// `new_validator_permit` (normalised stake, `is_topk_nonzero` with
/// k = `max_allowed_validators`, ties dropping the lower uid), for a chain that grants
/// permits from the current stake instead of the previous epoch's.
pub fn validator_permits(params: &Params, stake: &[u64]) -> Vec<bool> {
    let z = normalized_stake(params, stake, stake.len());
    is_topk_nonzero(&z, params.max_allowed_validators as usize)
}

/// One dense Yuma epoch (subtensor `epoch_dense_mechanism`, steps as in docs/yuma.md).
pub fn epoch(params: &Params, inputs: &Inputs) -> Outputs {
    let n = inputs.n;
    let get_row = |m: &Vec<Vec<u16>>, i: usize| -> Vec<u16> {
        let r = m.get(i).map(|r| r.as_slice()).unwrap_or(&[]);
        (0..n).map(|j| r.get(j).copied().unwrap_or(0)).collect()
    };
    let weights_u16: Vec<Vec<u16>> = (0..n).map(|i| get_row(&inputs.weights, i)).collect();
    let bonds_prev: Vec<Vec<u16>> = (0..n).map(|i| get_row(&inputs.bonds_prev, i)).collect();
    let permit: Vec<bool> = (0..n)
        .map(|i| inputs.validator_permit.get(i).copied().unwrap_or(false))
        .collect();
    let active: Vec<bool> = (0..n)
        .map(|i| {
            inputs
                .active
                .as_ref()
                .is_none_or(|a| a.get(i).copied().unwrap_or(true))
        })
        .collect();

    // 1. Stake: min_stake threshold, normalise in I64F64, floor to I32F32.
    let stake = normalized_stake(params, &inputs.stake, n);
    let new_permit = is_topk_nonzero(&stake, params.max_allowed_validators as usize);

    // 2. Active stake.
    let mut active_stake: Vec<Z> = (0..n)
        .map(|i| {
            if active[i] && permit[i] {
                stake[i]
            } else {
                Z::ZERO
            }
        })
        .collect();
    normalize(&mut active_stake);

    // 3. Weights: permit row mask, diagonal mask, row normalise.
    let mut w: Vec<Vec<Z>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    if !permit[i] || i == j {
                        Z::ZERO
                    } else {
                        Z::from_int(weights_u16[i][j] as i64)
                    }
                })
                .collect()
        })
        .collect();
    row_normalize(&mut w);

    // 4. Consensus.
    let kappa = u16_ratio(params.kappa_u16);
    let consensus = weighted_median_col(&active_stake, &w, kappa, n);

    // 5. Clip and validator trust.
    let clipped: Vec<Vec<Z>> = w
        .iter()
        .map(|r| {
            r.iter()
                .zip(&consensus)
                .map(|(x, c)| (*x).min(*c))
                .collect()
        })
        .collect();
    let validator_trust: Vec<Z> = clipped.iter().map(|r| sum(r)).collect();

    // 6. Ranks and incentive.
    let ranks = vec_mat(&active_stake, &clipped, n);
    let mut incentive = ranks;
    normalize(&mut incentive);

    // 7. Weights for bonds.
    let bp = u16_ratio(params.bonds_penalty_u16);
    let wb = interpolate(&w, &clipped, bp);

    // Scalar alpha: 1 − floor_I32F32(bma / 1e6 in I64F64).
    let bma_q: u128 = ((params.bonds_moving_average as u128) << 64) / 1_000_000u128;
    let bma_z = I32F32(((bma_q >> 32).min(i64::MAX as u128)) as i64);
    let alpha = Z::ONE.sub(bma_z);

    // 8. Bonds and dividends.
    let (bonds_out, mut dividends): (Vec<Vec<Z>>, Vec<Z>) = if !params.yuma3 {
        let mut b: Vec<Vec<Z>> = bonds_prev
            .iter()
            .map(|r| r.iter().map(|&x| Z::from_int(x as i64)).collect())
            .collect();
        col_normalize(&mut b, n);
        let mut delta: Vec<Vec<Z>> = wb
            .iter()
            .zip(&active_stake)
            .map(|(r, s)| r.iter().map(|x| x.mul(*s)).collect())
            .collect();
        col_normalize(&mut delta, n);
        let oma = Z::ONE.sub(alpha);
        let mut ema: Vec<Vec<Z>> = delta
            .iter()
            .zip(&b)
            .map(|(rn, ro)| {
                rn.iter()
                    .zip(ro)
                    .map(|(x, y)| alpha.mul(*x).add(oma.mul(*y)))
                    .collect()
            })
            .collect();
        col_normalize(&mut ema, n);
        let div = mat_vec(&ema, &incentive);
        col_max_upscale(&mut ema, n);
        (ema, div)
    } else {
        let b: Vec<Vec<Z>> = bonds_prev
            .iter()
            .map(|r| r.iter().map(|&x| u16_ratio(x)).collect())
            .collect();
        let use_liquid = params.liquid_alpha && consensus.iter().any(|c| *c != Z::ZERO);
        let ema: Vec<Vec<Z>> = if use_liquid {
            let a_lo = u16_ratio(params.alpha_low_u16);
            let a_hi = u16_ratio(params.alpha_high_u16);
            let steep = Z::from_int(params.alpha_sigmoid_steepness as i64);
            (0..n)
                .map(|i| {
                    (0..n)
                        .map(|j| {
                            let a =
                                alpha_sigmoid(consensus[j], wb[i][j], b[i][j], a_lo, a_hi, steep);
                            let decayed = Z::ONE.sub(a).mul(b[i][j]);
                            let inc = a.mul(wb[i][j]).max(Z::ZERO);
                            decayed.add(inc).min(Z::ONE)
                        })
                        .collect()
                })
                .collect()
        } else {
            let oma = Z::ONE.sub(alpha);
            wb.iter()
                .zip(&b)
                .map(|(rn, ro)| {
                    rn.iter()
                        .zip(ro)
                        .map(|(x, y)| alpha.mul(*x).add(oma.mul(*y)))
                        .collect()
                })
                .collect()
        };
        let mut norm = ema.clone();
        col_normalize(&mut norm, n);
        let per_val = mat_vec(&norm, &incentive);
        let div: Vec<Z> = per_val
            .iter()
            .zip(&active_stake)
            .map(|(x, s)| x.mul(*s))
            .collect();
        (ema, div)
    };
    normalize(&mut dividends);

    // 9. Emission split.
    let emission_sum = sum(&incentive).add(sum(&dividends));
    let miner_norm: Vec<Z> = incentive.iter().map(|x| x.div(emission_sum)).collect();
    let mut val_norm: Vec<Z> = dividends.iter().map(|x| x.div(emission_sum)).collect();
    let mut comb_norm: Vec<Z> = miner_norm
        .iter()
        .zip(&val_norm)
        .map(|(a, b)| a.add(*b))
        .collect();
    if emission_sum == Z::ZERO {
        let fallback = if active_stake.iter().all(|x| *x == Z::ZERO) {
            &stake
        } else {
            &active_stake
        };
        val_norm = fallback.clone();
        comb_norm = fallback.clone();
    }
    let rao = params.rao_emission;
    let miner_emission: Vec<u64> = miner_norm.iter().map(|x| x.mul_rao(rao)).collect();
    let validator_emission: Vec<u64> = val_norm.iter().map(|x| x.mul_rao(rao)).collect();
    let combined_emission: Vec<u64> = comb_norm.iter().map(|x| x.mul_rao(rao)).collect();

    // Storage conversions.
    let bonds_u16: Vec<Vec<u16>> = bonds_out.iter().map(|r| u16v(r)).collect();
    let bonds_stored_u16: Vec<Vec<u16>> = (0..n)
        .map(|i| {
            if new_permit[i] {
                bonds_u16[i].clone()
            } else if permit[i] {
                vec![0; n]
            } else {
                bonds_prev[i].clone()
            }
        })
        .collect();

    Outputs {
        consensus: f(&consensus),
        incentive: f(&incentive),
        dividends: f(&dividends),
        bonds: bonds_out.iter().map(|r| f(r)).collect(),
        validator_trust: f(&validator_trust),
        miner_emission,
        validator_emission,
        miner_emission_normalized: f(&miner_norm),
        validator_emission_normalized: f(&val_norm),
        combined_emission,
        consensus_u16: u16v(&consensus),
        incentive_u16: u16v(&incentive),
        dividends_u16: u16v(&dividends),
        validator_trust_u16: u16v(&validator_trust),
        stake_weight_u16: u16v(&stake),
        bonds_u16,
        bonds_stored_u16,
        new_validator_permit: new_permit,
    }
}

/// Convenience: run a parsed `{"params", "inputs"}` vector.
pub fn run_vector(v: &Vector) -> Outputs {
    epoch(&v.params, &v.inputs)
}

#[cfg(test)]
mod tests;
