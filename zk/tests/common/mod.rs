//! Shared helpers: deterministic pseudo-random models and inputs.
#![allow(dead_code)]

use deai_zk::{QuantLayer, QuantizedModel};

/// SplitMix64: tiny, deterministic, good enough for test data.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi].
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }

    pub fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// A random quantized MLP with int8 weights; shifts chosen to keep activations small.
pub fn random_model(dims: &[usize], seed: u64, input_max: i64) -> QuantizedModel {
    let mut rng = Rng(seed);
    let mut layers = Vec::new();
    for (l, w) in dims.windows(2).enumerate() {
        let (n_in, n_out) = (w[0], w[1]);
        let last = l + 2 == dims.len();
        let weight = (0..n_in * n_out).map(|_| rng.range(-127, 127)).collect();
        let bias = (0..n_out).map(|_| rng.range(-2000, 2000)).collect();
        let shift = if last {
            0
        } else {
            6 + (n_in as f64).log2() as u32
        };
        layers.push(QuantLayer {
            n_in,
            n_out,
            weight,
            bias,
            shift,
        });
    }
    QuantizedModel {
        layers,
        input_min: 0,
        input_max,
        weight_bits: 8,
        input_frac_bits: 0,
        output_frac_bits: 0,
    }
}

pub fn random_input(n: usize, max: i64, rng: &mut Rng) -> Vec<i64> {
    (0..n).map(|_| rng.range(0, max)).collect()
}
