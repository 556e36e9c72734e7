//! A small seeded RNG (SplitMix64) for data splits and batch order. It is defined here,
//! not taken from torch, so that any epoch's order can be recomputed on its own (replay
//! starts mid-run) and a verifier without libtorch gets the same order.

#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// An independent stream for `(seed, stream)`, e.g. one per epoch.
    pub fn derive(seed: u64, stream: u64) -> SplitMix64 {
        let mut base = SplitMix64::new(seed ^ 0x6a09_e667_f3bc_c908);
        let mixed = base.next_u64() ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        SplitMix64::new(mixed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` without modulo bias (rejection sampling); `n > 0`.
    pub fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }

    /// A Fisher–Yates permutation of `0..n`.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.below(i as u64 + 1) as usize;
            p.swap(i, j);
        }
        p
    }
}

/// Splits `0..n` into (train, test) index lists by seed. The test part has
/// `round(n * test_fraction)` rows.
pub fn split_indices(n: usize, test_fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let perm = SplitMix64::derive(seed, u64::MAX).permutation(n);
    let n_test = test_rows(n, test_fraction);
    let test = perm[..n_test].to_vec();
    let train = perm[n_test..].to_vec();
    (train, test)
}

/// The (train, test) row indices a split spec selects from `n` rows: `split_indices`, then
/// only the training positions its shard keeps (the test part is never sharded).
pub fn split_rows(n: usize, split: &crate::spec::SplitSpec) -> (Vec<usize>, Vec<usize>) {
    let (train, test) = split_indices(n, split.test_fraction, split.seed);
    let train = match &split.shard {
        None => train,
        Some(shard) => train
            .into_iter()
            .enumerate()
            .filter(|(i, _)| shard.keeps(*i as u64))
            .map(|(_, r)| r)
            .collect(),
    };
    (train, test)
}

/// Rows in the test part of a split of `n` rows: `round(n * test_fraction)`, at most `n`.
/// (An f64 product and round-half-away-from-zero: both are exactly specified by IEEE 754.)
pub fn test_rows(n: usize, test_fraction: f64) -> usize {
    (((n as f64) * test_fraction).round() as usize).min(n)
}

/// The order in which epoch `epoch` visits the `n` training rows.
pub fn epoch_order(n: usize, seed: u64, epoch: u64) -> Vec<usize> {
    SplitMix64::derive(seed, epoch).permutation(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_is_a_permutation_and_repeatable() {
        let p = epoch_order(100, 7, 3);
        let mut s = p.clone();
        s.sort_unstable();
        assert_eq!(s, (0..100).collect::<Vec<_>>());
        assert_eq!(p, epoch_order(100, 7, 3));
        assert_ne!(p, epoch_order(100, 7, 4));
    }

    #[test]
    fn split_is_disjoint_and_sized() {
        let (train, test) = split_indices(1797, 0.2, 1);
        assert_eq!(test.len(), 359);
        assert_eq!(train.len() + test.len(), 1797);
        let mut all: Vec<_> = train.iter().chain(test.iter()).copied().collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 1797);
    }

    #[test]
    fn shards_partition_the_training_part() {
        use crate::spec::{ShardSpec, SplitSpec};
        let mut s = SplitSpec {
            test_fraction: 0.2,
            seed: 1,
            shard: None,
        };
        let (train, test) = split_rows(101, &s);
        let mut seen = Vec::new();
        for index in 0..3 {
            s.shard = Some(ShardSpec { index, count: 3 });
            let (part, t) = split_rows(101, &s);
            assert_eq!(t, test);
            assert_eq!(part.len() as u64, ShardSpec { index, count: 3 }.rows(81));
            // Position i of the full training part, for i % 3 == index.
            assert_eq!(part[1], train[index as usize + 3]);
            seen.extend(part);
        }
        seen.sort_unstable();
        let mut all = train.clone();
        all.sort_unstable();
        assert_eq!(seen, all);
    }

    #[test]
    fn first_values_are_pinned() {
        // Pinned so that a change to the RNG, which would change every split and
        // checkpoint chain, is caught here.
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xe220_a839_7b1d_cdaf);
    }
}
