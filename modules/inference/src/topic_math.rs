//! The arithmetic of a topic's epoch, pure and deterministic (docs/inference.md, "Topics"):
//! the stake-weighted median, losses, the score weights, the network inference, one-out
//! gains, the EMA and the reputers' closeness. Integers and 18-place fixed point only.

use deai_framework::dec::{Dec, DEC_SCALE};

use crate::fx::{mul_div, shift_for, Fx, SCALE};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    Abs,
    Squared,
}

/// The stake-weighted lower median of `(value, stake)` reports: sorted by value, the first
/// value whose cumulative stake reaches half the total (2·cum ≥ Σ stake). On an exact split
/// (two middle values each with half the stake) it is the lower one, so it is always a
/// reported value. Reports of zero stake only count when every stake is zero: then each
/// report weighs 1 (the plain lower median). None without reports.
pub fn weighted_median(reports: &[(i64, u128)]) -> Option<i64> {
    if reports.is_empty() {
        return None;
    }
    let mut r = reports.to_vec();
    r.sort_by_key(|(v, _)| *v);
    let total = r
        .iter()
        .try_fold(0u128, |a, (_, s)| a.checked_add(*s))
        .unwrap_or(u128::MAX);
    let (r, total): (Vec<(i64, u128)>, u128) = if total == 0 {
        let n = r.len() as u128;
        (r.into_iter().map(|(v, _)| (v, 1)).collect(), n)
    } else {
        (r, total)
    };
    let mut cum: u128 = 0;
    for (v, s) in &r {
        cum = cum.saturating_add(*s);
        if cum >= total - cum.min(total) {
            return Some(*v);
        }
    }
    r.last().map(|(v, _)| *v)
}

/// The loss of estimate `x` against truth `t`: |x − t| or (x − t)², in 18-place fixed point,
/// exact for |x|, |t| ≤ MAX_TOPIC_VALUE (the square as a²·10^18 + 2ab + floor(b²/10^18) with
/// |x − t| = a + b/10^18).
pub fn loss(x: Fx, t: i64, method: Loss) -> Fx {
    let d = (x.0 - Fx::from_int(t).0).unsigned_abs();
    match method {
        Loss::Abs => Fx(d as i128),
        Loss::Squared => {
            let s = DEC_SCALE;
            let (a, b) = (d / s, d % s);
            Fx((a * a * s + 2 * a * b + b * b / s) as i128)
        }
    }
}

/// The integer loss of an integer inference (what `WorkerScore.loss` shows).
pub fn int_loss(v: i64, t: i64, method: Loss) -> i64 {
    let d = (v as i128 - t as i128).unsigned_abs();
    let l = match method {
        Loss::Abs => d,
        Loss::Squared => d * d,
    };
    i64::try_from(l).unwrap_or(i64::MAX)
}

/// The weight of each worker in the network inference, from its score before the epoch:
/// p_i = max(score_i, 0) >> k, with k the smallest shift that brings the largest below 2^60;
/// ε = max(1, floor(Σp / (100·n))); w_i = p_i + ε. So workers with no positive score weigh
/// 1% of the average positive weight (or all weigh the same when no score is positive: the
/// plain mean), and every weight is ≥ 1.
pub fn weights(scores: &[Fx]) -> Vec<u128> {
    let pos: Vec<u128> = scores.iter().map(|s| s.positive_units()).collect();
    let k = shift_for(pos.iter().copied().max().unwrap_or(0), 60);
    let p: Vec<u128> = pos.iter().map(|x| x >> k).collect();
    let n = p.len().max(1) as u128;
    let eps = (p.iter().sum::<u128>() / (100 * n)).max(1);
    p.iter().map(|x| x + eps).collect()
}

/// Σ w_i·v_i / Σ w_i in fixed point, floored; None when Σ w is 0. With num = a·W + r
/// (0 ≤ r < W): a·10^18 + floor(r·10^18 / W).
fn mean(num: i128, w: u128) -> Option<Fx> {
    if w == 0 {
        return None;
    }
    let wi = w as i128;
    let a = num.div_euclid(wi);
    let r = num.rem_euclid(wi) as u128;
    Some(Fx(a * SCALE + mul_div(r, DEC_SCALE, w)? as i128))
}

/// The score-weighted mean of `values` alone (what [`network`] computes first): the live
/// network inference of an epoch whose truth is not known yet.
pub fn weighted_inference(values: &[i64], scores: &[Fx]) -> Option<Fx> {
    let w = weights(scores);
    let num: i128 = values
        .iter()
        .zip(&w)
        .map(|(v, w)| *v as i128 * *w as i128)
        .sum();
    mean(num, w.iter().sum())
}

/// The network inference of one epoch and each worker's one-out gain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Network {
    pub inference: Fx,
    pub loss: Fx,
    /// loss(network without i) − loss(network); 0 when i is the only worker.
    pub gains: Vec<Fx>,
}

/// `values[i]` is worker i's inference, `scores[i]` its EMA score before the epoch.
pub fn network(values: &[i64], scores: &[Fx], truth: i64, method: Loss) -> Option<Network> {
    let w = weights(scores);
    let num: i128 = values
        .iter()
        .zip(&w)
        .map(|(v, w)| *v as i128 * *w as i128)
        .sum();
    let total: u128 = w.iter().sum();
    let inference = mean(num, total)?;
    let l = loss(inference, truth, method);
    let gains = values
        .iter()
        .zip(&w)
        .map(
            |(v, wi)| match mean(num - *v as i128 * *wi as i128, total - wi) {
                Some(without) if values.len() > 1 => Fx(loss(without, truth, method).0 - l.0),
                _ => Fx::ZERO,
            },
        )
        .collect();
    Some(Network {
        inference,
        loss: l,
        gains,
    })
}

/// score_t = floor(alpha × gain) + floor((1 − alpha) × score_{t−1}).
pub fn ema(prev: Fx, gain: Fx, alpha: Dec) -> Fx {
    let rest = Dec::from_units(DEC_SCALE - alpha.units().min(DEC_SCALE));
    Fx(gain.mul_frac(alpha).0 + prev.mul_frac(rest).0)
}

/// A reputer's closeness to the consensus: rel = |report − consensus| / max(|consensus|, 1)
/// (floored to 18 places), closeness = max(0, 1 − rel / tolerance) (floored); far when
/// rel > tolerance. `tolerance` is positive.
pub fn closeness(report: i64, consensus: i64, tolerance: Dec) -> (Dec, bool) {
    let d = (report as i128 - consensus as i128).unsigned_abs();
    let base = (consensus as i128).unsigned_abs().max(1);
    let rel = mul_div(d, DEC_SCALE, base).unwrap_or(u128::MAX);
    let tol = tolerance.units().max(1);
    let c = if rel >= tol {
        0
    } else {
        mul_div(tol - rel, DEC_SCALE, tol).unwrap_or(0)
    };
    (Dec::from_units(c), rel > tol)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fx(s: &str) -> Fx {
        Fx::parse(s).unwrap()
    }

    #[test]
    fn weighted_median_ties_and_zero_stakes() {
        assert_eq!(weighted_median(&[]), None);
        assert_eq!(weighted_median(&[(5, 1)]), Some(5));
        // An exact split: the lower value.
        assert_eq!(weighted_median(&[(10, 3), (20, 3)]), Some(10));
        assert_eq!(weighted_median(&[(20, 3), (10, 3)]), Some(10));
        // A heavier upper half wins.
        assert_eq!(weighted_median(&[(10, 3), (20, 4)]), Some(20));
        // Stake decides, not the count.
        assert_eq!(weighted_median(&[(1, 1), (2, 1), (100, 5)]), Some(100));
        assert_eq!(weighted_median(&[(1, 2), (2, 1), (100, 1)]), Some(1));
        // Zero-stake reports do not move the median...
        assert_eq!(weighted_median(&[(1, 0), (7, 4), (100, 0)]), Some(7));
        // ...unless every stake is zero: the plain lower median.
        assert_eq!(weighted_median(&[(9, 0), (1, 0), (5, 0), (7, 0)]), Some(5));
        // Equal values, and stakes near u128::MAX, do not overflow.
        assert_eq!(weighted_median(&[(3, u128::MAX), (3, u128::MAX)]), Some(3));
        assert_eq!(weighted_median(&[(-4, 1), (-2, 1), (8, 1)]), Some(-2));
    }

    #[test]
    fn losses_are_exact() {
        assert_eq!(loss(fx("101.5"), 100, Loss::Abs), fx("1.5"));
        assert_eq!(loss(fx("98.5"), 100, Loss::Abs), fx("1.5"));
        assert_eq!(loss(fx("101.5"), 100, Loss::Squared), fx("2.25"));
        assert_eq!(loss(fx("-0.1"), 0, Loss::Squared), fx("0.01"));
        let m = crate::fx::MAX_TOPIC_VALUE;
        assert_eq!(
            loss(Fx::from_int(m), -m, Loss::Squared),
            Fx(4 * 10i128.pow(18) * SCALE)
        );
        assert_eq!(int_loss(m, -m, Loss::Squared), 4_000_000_000_000_000_000);
        assert_eq!(int_loss(-3, 4, Loss::Abs), 7);
    }

    #[test]
    fn weights_and_network() {
        // No positive score: equal weights, the plain mean (floored).
        assert_eq!(weights(&[Fx::ZERO, fx("-3")]), vec![1, 1]);
        let n = network(&[100, 103], &[Fx::ZERO, Fx::ZERO], 100, Loss::Abs).unwrap();
        assert_eq!(n.inference, fx("101.5"));
        assert_eq!(n.loss, fx("1.5"));
        // Without worker 0 the network says 103 (loss 3): it helped by 1.5; worker 1 hurt.
        assert_eq!(n.gains, vec![fx("1.5"), fx("-1.5")]);
        // Scores 1 and −1: weights 10^18 + ε and ε, ε = floor(10^18 / 200).
        let w = weights(&[fx("1"), fx("-1")]);
        assert_eq!(
            w,
            vec![10u128.pow(18) + 5 * 10u128.pow(15), 5 * 10u128.pow(15)]
        );
        let n = network(&[100, 300], &[fx("1"), fx("-1")], 100, Loss::Abs).unwrap();
        assert_eq!(
            weighted_inference(&[100, 300], &[fx("1"), fx("-1")]),
            Some(n.inference)
        );
        assert_eq!(weighted_inference(&[], &[]), None);
        // (100·1.005 + 300·0.005) / 1.01 = 100.990099009900990099…
        assert_eq!(n.inference, fx("100.990099009900990099"));
        // A lone worker has no one-out gain.
        let n = network(&[7], &[fx("2")], 5, Loss::Squared).unwrap();
        assert_eq!(
            (n.inference, n.loss, n.gains),
            (fx("7"), fx("4"), vec![Fx::ZERO])
        );
        // Negative values floor toward −∞.
        let n = network(&[-1, -2], &[Fx::ZERO, Fx::ZERO], 0, Loss::Abs).unwrap();
        assert_eq!(n.inference, fx("-1.5"));
        let n = network(&[-1, -1, -2], &[Fx::ZERO; 3], 0, Loss::Abs).unwrap();
        assert_eq!(n.inference, fx("-1.333333333333333334"));
    }

    #[test]
    fn ema_rounds_down() {
        let a = Dec::parse("0.1").unwrap();
        assert_eq!(ema(Fx::ZERO, fx("2"), a), fx("0.2"));
        assert_eq!(ema(fx("0.2"), fx("-1"), a), fx("0.08"));
        // 0.3 × 0.000000000000000001 floors to 0; −0.7 × … floors to −1 unit.
        let a = Dec::parse("0.3").unwrap();
        assert_eq!(ema(Fx(-1), Fx(1), a), Fx(-1));
        assert_eq!(ema(fx("5"), fx("-5"), Dec::ONE), fx("-5"));
    }

    #[test]
    fn closeness_is_relative_to_the_consensus() {
        let tol = Dec::parse("0.05").unwrap();
        assert_eq!(closeness(100, 100, tol), (Dec::ONE, false));
        assert_eq!(
            closeness(101, 100, tol),
            (Dec::parse("0.8").unwrap(), false)
        );
        assert_eq!(closeness(105, 100, tol), (Dec::ZERO, false));
        assert_eq!(closeness(106, 100, tol), (Dec::ZERO, true));
        // Around zero the distance is in units.
        assert_eq!(closeness(0, 0, tol), (Dec::ONE, false));
        assert_eq!(closeness(1, 0, tol), (Dec::ZERO, true));
    }
}
