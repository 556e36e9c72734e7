//! Unit tests of the epoch's building blocks (median, top-k, rounding, Yuma3).

use super::*;

/// The partition search equals the closed form of the README:
/// the lowest score whose ascending cumulative stake exceeds σ − κ strictly.
fn naive_median(stake: &[Z], score: &[Z], majority: Z) -> Z {
    let rows: Vec<usize> = (0..stake.len()).filter(|&i| stake[i] > Z::ZERO).collect();
    if rows.is_empty() {
        return Z::ZERO;
    }
    let mut s: Vec<Z> = rows.iter().map(|&i| stake[i]).collect();
    normalize(&mut s);
    let minority = sum(&s).sub(majority);
    let mut pairs: Vec<(Z, Z)> = rows
        .iter()
        .zip(&s)
        .map(|(&i, st)| (score[i], *st))
        .collect();
    pairs.sort();
    let mut cum = Z::ZERO;
    let mut k = 0;
    while k < pairs.len() {
        let x = pairs[k].0;
        while k < pairs.len() && pairs[k].0 == x {
            cum = cum.add(pairs[k].1);
            k += 1;
        }
        if cum > minority {
            return x;
        }
    }
    pairs.last().unwrap().0
}

#[test]
fn median_matches_closed_form() {
    let mut seed = 7u64;
    let mut next = |m: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % m
    };
    for _ in 0..3000 {
        let n = 1 + next(9) as usize;
        let stake: Vec<Z> = (0..n).map(|_| Z::from_int(next(5) as i64)).collect();
        let score: Vec<Vec<Z>> = (0..n)
            .map(|_| vec![Z::from_int(next(4) as i64).div(Z::from_int(3))])
            .collect();
        let kappa = u16_ratio(next(65536) as u16);
        let got = weighted_median_col(&stake, &score, kappa, 1)[0];
        let col: Vec<Z> = score.iter().map(|r| r[0]).collect();
        assert_eq!(
            got,
            naive_median(&stake, &col, kappa),
            "{stake:?} {col:?} {kappa:?}"
        );
    }
}

#[test]
fn equal_stake_takes_higher_weight() {
    let s = vec![Z::ONE, Z::ONE];
    let sc = vec![
        vec![Z::from_int(1).div(Z::from_int(4))],
        vec![Z::from_int(3).div(Z::from_int(4))],
    ];
    let c = weighted_median_col(&s, &sc, u16_ratio(32767), 1);
    assert_eq!(c[0], sc[1][0]);
    // κ = 0.5 exactly (32768/65535 > 0.5) no longer lets one half suffice.
    let c = weighted_median_col(&s, &sc, u16_ratio(32768), 1);
    assert_eq!(c[0], sc[0][0]);
}

#[test]
fn topk_drops_lower_uid_on_ties() {
    let v = vec![Z::ONE, Z::ONE, Z::ZERO, Z::from_int(2)];
    assert_eq!(is_topk_nonzero(&v, 2), vec![false, true, false, true]);
    assert_eq!(is_topk_nonzero(&v, 8), vec![true, true, false, true]);
}

#[test]
fn yuma3_scalar_alpha_first_epoch() {
    // Same network as vector 01, Yuma3: E = α·W̄ with no previous bonds.
    let p = Params {
        yuma3: true,
        ..Params::default()
    };
    let mut w = vec![vec![0u16; 5]; 5];
    w[0][2] = 65535;
    w[0][3] = 65535;
    w[1][3] = 65535;
    w[1][4] = 65535;
    let inp = Inputs {
        n: 5,
        stake: vec![3, 1, 0, 0, 0],
        weights: w,
        validator_permit: vec![true, true, false, false, false],
        bonds_prev: vec![vec![0; 5]; 5],
        active: None,
    };
    let o = epoch(&p, &inp);
    assert!((o.bonds[0][2] - 0.05).abs() < 1e-8 && (o.bonds[1][3] - 0.05).abs() < 1e-8);
    // D ∝ S ∘ (colnorm(E)·I): uid0 .75·(3/7 + 4/7·.5), uid1 .25·(4/7·.5).
    let d0 = 0.75 * (3.0 / 7.0 + 2.0 / 7.0);
    let d1 = 0.25 * (2.0 / 7.0);
    assert!((o.dividends[0] - d0 / (d0 + d1)).abs() < 1e-6);
    let o2 = epoch(
        &Params {
            liquid_alpha: true,
            ..p
        },
        &inp,
    );
    // Liquid alpha lies in [alpha_low, alpha_high] ≈ [0.7, 0.9].
    assert!(
        o2.bonds[0][2] > 0.69 * 0.5 && o2.bonds[0][2] < 0.91 * 0.5,
        "{}",
        o2.bonds[0][2]
    );
}
