//! The fuzzer's only source of randomness: SplitMix64 from the `--seed`, so that a run (and
//! any input it finds) replays exactly. Typed values come from `arbitrary` over its bytes.

use arbitrary::{Arbitrary, Unstructured};

#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// An independent stream for `name` (each target gets its own, so adding inputs to one
    /// target does not change what another sees).
    pub fn fork(&self, name: &str) -> Self {
        let mut h = self.0 ^ 0xcbf2_9ce4_8422_2325;
        for b in name.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Self(h)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with probability 1/n.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }

    /// Up to `max - 1` random bytes.
    pub fn bytes_upto(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max);
        self.bytes(n)
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// An `arbitrary` value of `T` drawn from `len` random bytes.
    pub fn arb<T: for<'a> Arbitrary<'a> + Default>(&mut self, len: usize) -> T {
        let raw = self.bytes(len);
        T::arbitrary(&mut Unstructured::new(&raw)).unwrap_or_default()
    }

    /// An `arbitrary` value of `T` drawn from up to `max` random bytes.
    pub fn arb_upto<T: for<'a> Arbitrary<'a> + Default>(&mut self, max: usize) -> T {
        let len = 1 + self.below(max);
        self.arb(len)
    }

    /// An integer biased to the edges where arithmetic breaks.
    pub fn interesting_u64(&mut self) -> u64 {
        const EDGES: &[u64] = &[
            0,
            1,
            2,
            7,
            8,
            16,
            127,
            128,
            255,
            256,
            1000,
            65535,
            65536,
            i32::MAX as u64,
            u32::MAX as u64,
            1 << 32,
            i64::MAX as u64,
            (i64::MAX as u64) + 1,
            u64::MAX - 1,
            u64::MAX,
        ];
        match self.below(4) {
            0 => self.next_u64(),
            1 => self.next_u64() % 1000,
            _ => *self.pick(EDGES),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_stream_and_forks_differ() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!(a.bytes(64), b.bytes(64));
        assert_ne!(
            Rng::new(7).fork("x").next_u64(),
            Rng::new(7).fork("y").next_u64()
        );
        assert_eq!(Rng::new(1).below(0), 0);
    }
}
