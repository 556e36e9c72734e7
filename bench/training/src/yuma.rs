//! Part 1: the time of one dense Yuma epoch (`deai_yuma::epoch`) for n neurons, half of them
//! validators, in the classic mode and in Yuma3 with liquid alpha.
//!
//! The inputs are random but seeded: validators (uids 0..n/2) hold stakes drawn in
//! [10⁹, 10¹²) udeai and permits; miners (the other half) hold no stake. Each
//! validator scores every miner as the miner's hidden quality plus its own noise, scaled to
//! u16 as a row max-upscaled to 65535 (the chain's normalisation of a weights row). The bonds
//! are those stored by one untimed epoch on the same stakes and weights from zero bonds (a
//! previous epoch), so the timed epoch does the work of a running subnet.

use std::time::{Duration, Instant};

use deai_bench_common::rng::SplitMix64 as Rng;
use deai_bench_common::stats;
use deai_yuma::{epoch, Inputs, Params};

/// The epoch time target the design asks for n = 256.
pub const TARGET_N: usize = 256;
pub const TARGET: Duration = Duration::from_millis(50);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Classic,
    Yuma3Liquid,
}

impl Mode {
    pub const ALL: [Mode; 2] = [Mode::Classic, Mode::Yuma3Liquid];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Classic => "classic",
            Mode::Yuma3Liquid => "Yuma3 + liquid alpha",
        }
    }

    /// subtensor's defaults, with every validator kept (`max_allowed_validators` = n/2).
    pub fn params(self, n: usize) -> Params {
        let mut p = Params {
            max_allowed_validators: u16::try_from(n / 2).unwrap_or(u16::MAX),
            ..Params::default()
        };
        if self == Mode::Yuma3Liquid {
            p.yuma3 = true;
            p.liquid_alpha = true;
        }
        p
    }
}

/// Seeded inputs for n neurons: stakes, validator permits and weights; bonds empty.
pub fn inputs(n: usize, seed: u64) -> Inputs {
    let mut rng = Rng::new(seed ^ (n as u64).wrapping_mul(0x100_0000_01B3));
    let validators = n / 2;
    let stake: Vec<u64> = (0..n)
        .map(|i| {
            if i < validators {
                rng.range(1_000, 1_000_000) * 1_000_000
            } else {
                0
            }
        })
        .collect();
    let quality: Vec<f64> = (0..n).map(|_| rng.unit()).collect();
    let weights: Vec<Vec<u16>> = (0..n)
        .map(|i| {
            if i >= validators {
                return Vec::new();
            }
            let raw: Vec<f64> = (0..n)
                .map(|j| {
                    if j < validators {
                        0.0
                    } else {
                        (quality[j] + 0.2 * (rng.unit() - 0.5)).max(0.0)
                    }
                })
                .collect();
            let max = raw.iter().cloned().fold(0.0, f64::max);
            raw.iter()
                .map(|x| {
                    if max > 0.0 {
                        (x / max * 65535.0).round() as u16
                    } else {
                        0
                    }
                })
                .collect()
        })
        .collect();
    Inputs {
        n,
        stake,
        weights,
        validator_permit: (0..n).map(|i| i < validators).collect(),
        bonds_prev: Vec::new(),
        active: None,
    }
}

/// One measured (n, mode).
pub struct Row {
    pub n: usize,
    pub mode: Mode,
    pub runs: usize,
    pub median: Duration,
    pub p95: Duration,
    pub min: Duration,
}

/// Times `epoch` for n neurons in `mode`: one untimed epoch from zero bonds makes the previous
/// bonds, one more warms up, then up to `max_runs` timed epochs (at least 3) within `budget`.
pub fn measure(n: usize, mode: Mode, seed: u64, max_runs: usize, budget: Duration) -> Row {
    let params = mode.params(n);
    let mut inp = inputs(n, seed);
    let first = epoch(&params, &inp);
    inp.bonds_prev = first.bonds_stored_u16;
    std::hint::black_box(epoch(&params, &inp));
    let mut samples = Vec::with_capacity(max_runs);
    let start = Instant::now();
    while samples.len() < max_runs.max(1) && (samples.len() < 3 || start.elapsed() < budget) {
        let t = Instant::now();
        let out = epoch(std::hint::black_box(&params), std::hint::black_box(&inp));
        samples.push(t.elapsed());
        std::hint::black_box(out);
    }
    Row {
        n,
        mode,
        runs: samples.len(),
        median: stats::percentile(&samples, 50).expect("samples"),
        p95: stats::percentile(&samples, 95).expect("samples"),
        min: *samples.iter().min().expect("samples"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_have_half_validators_and_emit() {
        let inp = inputs(16, 7);
        assert_eq!(inp.validator_permit.iter().filter(|p| **p).count(), 8);
        assert_eq!(inp, inputs(16, 7), "seeded");
        for mode in Mode::ALL {
            let out = epoch(&mode.params(16), &inp);
            assert!(out.incentive[8..].iter().any(|x| *x > 0.0), "{mode:?}");
            assert!(out.dividends[..8].iter().any(|x| *x > 0.0), "{mode:?}");
        }
    }
}
