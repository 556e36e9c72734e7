//! The quantized MLP and its integer reference inference.
//!
//! [`QuantizedModel::infer`] is the specification: the circuit proves exactly
//! this computation, bit for bit. Semantics of layer `l` with input `x` (integers):
//!
//! ```text
//! acc[j] = bias[j] + sum_i weight[j][i] * x[i]          (exact, i128)
//! hidden layers: y[j] = max(acc[j], 0) >> shift          (floor; the quantizer folds
//!                                                         +2^(shift-1) into bias, so this
//!                                                         rounds half up)
//! last layer:    y[j] = acc[j]                           (logits, no ReLU, no shift)
//! ```
//!
//! Inputs must lie in `[input_min, input_max]`; weights in
//! `[-(2^(weight_bits-1)), 2^(weight_bits-1) - 1]`.

use serde::{Deserialize, Serialize};

use crate::ZkError;

/// Hard limits that keep every intermediate value far below the field modulus
/// and keep setup sizes sane; checked by [`QuantizedModel::validate`].
pub const MAX_LAYERS: usize = 16;
pub const MAX_WIDTH: usize = 4096;
pub const MAX_WEIGHT_BITS: u32 = 16;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantLayer {
    pub n_in: usize,
    pub n_out: usize,
    /// Row-major `[n_out][n_in]`, as in PyTorch's `Linear.weight`.
    pub weight: Vec<i64>,
    /// In accumulator scale; includes the rounding offset of hidden layers.
    pub bias: Vec<i64>,
    /// Right shift applied after ReLU (hidden layers only; 0 on the last layer).
    pub shift: u32,
}

impl QuantLayer {
    pub fn w(&self, out: usize, inp: usize) -> i64 {
        self.weight[out * self.n_in + inp]
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantizedModel {
    pub layers: Vec<QuantLayer>,
    pub input_min: i64,
    pub input_max: i64,
    pub weight_bits: u32,
    /// Fractional bits of the input: a float input `x` becomes `round(x * 2^input_frac_bits)`.
    pub input_frac_bits: u32,
    /// Fractional bits of the logits, to map them back to floats (informative only).
    pub output_frac_bits: i32,
}

impl QuantizedModel {
    pub fn n_inputs(&self) -> usize {
        self.layers.first().map_or(0, |l| l.n_in)
    }

    pub fn n_outputs(&self) -> usize {
        self.layers.last().map_or(0, |l| l.n_out)
    }

    pub fn num_parameters(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.weight.len() + l.bias.len())
            .sum()
    }

    /// Structural and range checks: everything the circuit relies on.
    pub fn validate(&self) -> Result<(), ZkError> {
        let bad = |m: String| Err(ZkError::InvalidModel(m));
        if self.layers.is_empty() || self.layers.len() > MAX_LAYERS {
            return bad(format!(
                "{} layers, want 1..={MAX_LAYERS}",
                self.layers.len()
            ));
        }
        if !(2..=MAX_WEIGHT_BITS).contains(&self.weight_bits) {
            return bad(format!(
                "weight_bits {} not in 2..={MAX_WEIGHT_BITS}",
                self.weight_bits
            ));
        }
        if self.input_min > self.input_max
            || self.input_min < -(1 << 24)
            || self.input_max > (1 << 24)
        {
            return bad(format!(
                "input range [{}, {}] unsupported",
                self.input_min, self.input_max
            ));
        }
        let wmax = (1i64 << (self.weight_bits - 1)) - 1;
        let wmin = -(1i64 << (self.weight_bits - 1));
        for (l, layer) in self.layers.iter().enumerate() {
            if layer.n_in == 0
                || layer.n_out == 0
                || layer.n_in > MAX_WIDTH
                || layer.n_out > MAX_WIDTH
            {
                return bad(format!(
                    "layer {l}: shape {}x{} unsupported",
                    layer.n_out, layer.n_in
                ));
            }
            if layer.weight.len() != layer.n_in * layer.n_out || layer.bias.len() != layer.n_out {
                return bad(format!(
                    "layer {l}: tensor sizes do not match {}x{}",
                    layer.n_out, layer.n_in
                ));
            }
            if l > 0 && self.layers[l - 1].n_out != layer.n_in {
                return bad(format!(
                    "layer {l}: input width {} != previous output {}",
                    layer.n_in,
                    self.layers[l - 1].n_out
                ));
            }
            if layer.shift > 62 || (l + 1 == self.layers.len() && layer.shift != 0) {
                return bad(format!("layer {l}: shift {} unsupported", layer.shift));
            }
            if let Some(w) = layer.weight.iter().find(|w| **w < wmin || **w > wmax) {
                return bad(format!(
                    "layer {l}: weight {w} outside {}-bit range",
                    self.weight_bits
                ));
            }
            if let Some(b) = layer.bias.iter().find(|b| b.unsigned_abs() > 1 << 48) {
                return bad(format!("layer {l}: bias {b} too large"));
            }
        }
        Ok(())
    }

    pub fn check_input(&self, x: &[i64]) -> Result<(), ZkError> {
        if x.len() != self.n_inputs() {
            return Err(ZkError::InvalidInput(format!(
                "{} values, model takes {}",
                x.len(),
                self.n_inputs()
            )));
        }
        if let Some(v) = x
            .iter()
            .find(|v| **v < self.input_min || **v > self.input_max)
        {
            return Err(ZkError::InvalidInput(format!(
                "value {v} outside [{}, {}]",
                self.input_min, self.input_max
            )));
        }
        Ok(())
    }

    /// The integer reference inference: returns the logits of the last layer.
    pub fn infer(&self, x: &[i64]) -> Result<Vec<i64>, ZkError> {
        self.validate()?;
        self.check_input(x)?;
        let mut act: Vec<i128> = x.iter().map(|v| *v as i128).collect();
        let last = self.layers.len() - 1;
        for (l, layer) in self.layers.iter().enumerate() {
            let mut next = Vec::with_capacity(layer.n_out);
            for j in 0..layer.n_out {
                let row = &layer.weight[j * layer.n_in..(j + 1) * layer.n_in];
                let acc: i128 = layer.bias[j] as i128
                    + row
                        .iter()
                        .zip(&act)
                        .map(|(w, a)| *w as i128 * a)
                        .sum::<i128>();
                next.push(if l == last {
                    acc
                } else {
                    acc.max(0) >> layer.shift
                });
            }
            act = next;
        }
        act.into_iter()
            .map(|v| {
                i64::try_from(v).map_err(|_| ZkError::InvalidModel("logit overflows i64".into()))
            })
            .collect()
    }
}

/// Index of the largest value; the lowest index wins ties (the circuit proves the same rule).
pub fn argmax(v: &[i64]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> QuantizedModel {
        QuantizedModel {
            layers: vec![
                QuantLayer {
                    n_in: 2,
                    n_out: 2,
                    weight: vec![1, -2, 3, 4],
                    bias: vec![2, -1],
                    shift: 2,
                },
                QuantLayer {
                    n_in: 2,
                    n_out: 1,
                    weight: vec![5, -6],
                    bias: vec![7],
                    shift: 0,
                },
            ],
            input_min: 0,
            input_max: 15,
            weight_bits: 8,
            input_frac_bits: 0,
            output_frac_bits: 0,
        }
    }

    #[test]
    fn reference_matches_hand_computation() {
        // layer 0: acc = [2 + 3 - 8, -1 + 9 + 16] = [-3, 24] -> relu>>2 = [0, 6]
        // layer 1: 7 + 0*5 - 6*6 = -29
        assert_eq!(tiny().infer(&[3, 4]).unwrap(), vec![-29]);
    }

    #[test]
    fn rejects_out_of_range_input() {
        assert!(tiny().infer(&[16, 0]).is_err());
        assert!(tiny().infer(&[1]).is_err());
    }

    #[test]
    fn argmax_takes_lowest_index_on_ties() {
        assert_eq!(argmax(&[1, 5, 5, 2]), 1);
        assert_eq!(argmax(&[-3]), 0);
    }
}
