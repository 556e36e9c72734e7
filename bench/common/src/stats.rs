//! Summaries of timing samples: median and p90 by the nearest-rank method.

use std::time::Duration;

/// The `p`-th percentile (0 < p <= 100) of `samples` by nearest rank: the smallest sample
/// such that at least p% of the samples are at or below it. None for no samples.
pub fn percentile(samples: &[Duration], p: u32) -> Option<Duration> {
    assert!((1..=100).contains(&p), "percentile {p} out of 1..=100");
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    // rank = ceil(p/100 × n), 1-based.
    let n = sorted.len();
    let rank = (p as usize * n).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

/// Median and p90 of a set of runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    pub runs: usize,
    pub median: Duration,
    pub p90: Duration,
}

impl Summary {
    /// None for no samples.
    pub fn of(samples: &[Duration]) -> Option<Self> {
        Some(Self {
            runs: samples.len(),
            median: percentile(samples, 50)?,
            p90: percentile(samples, 90)?,
        })
    }
}

/// `a / b` of two durations (of medians, say); None if `b` is zero.
pub fn ratio(a: Duration, b: Duration) -> Option<f64> {
    (!b.is_zero()).then(|| a.as_secs_f64() / b.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&x| Duration::from_micros(x)).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let s = us(&[10, 1, 9, 2, 8, 3, 7, 4, 6, 5]);
        assert_eq!(percentile(&s, 50), Some(Duration::from_micros(5)));
        assert_eq!(percentile(&s, 90), Some(Duration::from_micros(9)));
        assert_eq!(percentile(&s, 100), Some(Duration::from_micros(10)));
        assert_eq!(percentile(&s, 1), Some(Duration::from_micros(1)));
        // Odd count: the middle element.
        assert_eq!(
            percentile(&us(&[3, 1, 2]), 50),
            Some(Duration::from_micros(2))
        );
        // p90 of 3 samples is the largest (ceil(2.7) = 3).
        assert_eq!(
            percentile(&us(&[3, 1, 2]), 90),
            Some(Duration::from_micros(3))
        );
    }

    #[test]
    fn single_and_empty() {
        assert_eq!(percentile(&us(&[7]), 50), Some(Duration::from_micros(7)));
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(Summary::of(&[]), None);
        let s = Summary::of(&us(&[7])).unwrap();
        assert_eq!((s.runs, s.median, s.p90), (1, s.median, s.median));
    }

    #[test]
    #[should_panic(expected = "out of 1..=100")]
    fn zero_percentile_is_a_bug() {
        percentile(&us(&[1]), 0);
    }

    #[test]
    fn ratios() {
        let r = ratio(Duration::from_micros(30), Duration::from_micros(20)).unwrap();
        assert!((r - 1.5).abs() < 1e-12);
        assert_eq!(ratio(Duration::from_micros(1), Duration::ZERO), None);
    }
}
