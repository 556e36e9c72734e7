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

use crate::field::bit_len;
use crate::input::InputSpec;
use crate::ZkError;

/// Hard limits that keep every intermediate value far below the field modulus
/// and keep setup sizes sane; checked by [`QuantizedModel::validate`].
pub const MAX_LAYERS: usize = 16;
pub const MAX_WIDTH: usize = 4096;
pub const MAX_WEIGHT_BITS: u32 = 16;
/// Accumulators beyond this many bits are rejected, keeping every value the
/// circuit handles below p/2 and every product of the reference in `i128`.
pub const MAX_ACC_BITS: u32 = 120;
/// Largest number of fractional bits of the input.
pub const MAX_INPUT_FRAC_BITS: u32 = 24;

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

    /// Structural and range checks: everything the circuit relies on, including that
    /// no accumulator can exceed [`MAX_ACC_BITS`] for any input in range (so neither
    /// the reference nor the circuit can overflow).
    pub fn validate(&self) -> Result<(), ZkError> {
        self.acc_bounds().map(|_| ())
    }

    /// Static bounds `[lo, hi]` of every accumulator (per layer, per neuron) over all
    /// inputs in range, computed from the actual weights in checked `i128`. Rejects a
    /// model whose bounds exceed [`MAX_ACC_BITS`] bits with [`ZkError::InvalidModel`].
    pub fn acc_bounds(&self) -> Result<Vec<Vec<(i128, i128)>>, ZkError> {
        self.check_structure()?;
        let mut x: Vec<(i128, i128)> =
            vec![(self.input_min as i128, self.input_max as i128); self.n_inputs()];
        let mut out = Vec::with_capacity(self.layers.len());
        for (l, layer) in self.layers.iter().enumerate() {
            let too_big = |j: usize| {
                ZkError::InvalidModel(format!(
                    "layer {l}: accumulator of neuron {j} can exceed {MAX_ACC_BITS} bits"
                ))
            };
            let mut acc = Vec::with_capacity(layer.n_out);
            for j in 0..layer.n_out {
                let b = layer.bias[j] as i128;
                let (mut lo, mut hi) = (b, b);
                for (i, (xl, xh)) in x.iter().enumerate() {
                    let w = layer.w(j, i) as i128;
                    let (a, c) = match (w.checked_mul(*xl), w.checked_mul(*xh)) {
                        (Some(a), Some(c)) => (a, c),
                        _ => return Err(too_big(j)),
                    };
                    lo = lo.checked_add(a.min(c)).ok_or_else(|| too_big(j))?;
                    hi = hi.checked_add(a.max(c)).ok_or_else(|| too_big(j))?;
                }
                if bit_len(lo.unsigned_abs()).max(bit_len(hi.unsigned_abs())) > MAX_ACC_BITS {
                    return Err(too_big(j));
                }
                acc.push((lo, hi));
            }
            // Next layer's inputs: ReLU then shift (unused after the last layer).
            x = acc
                .iter()
                .map(|(_, hi)| (0, hi.max(&0) >> layer.shift))
                .collect();
            out.push(acc);
        }
        Ok(out)
    }

    fn check_structure(&self) -> Result<(), ZkError> {
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
        if self.input_frac_bits > MAX_INPUT_FRAC_BITS {
            return bad(format!(
                "input_frac_bits {} exceeds {MAX_INPUT_FRAC_BITS}",
                self.input_frac_bits
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

    /// The model's input: length, range and scale.
    pub fn input_spec(&self) -> InputSpec {
        InputSpec {
            n_inputs: self.n_inputs(),
            frac_bits: self.input_frac_bits,
            min: self.input_min,
            max: self.input_max,
        }
    }

    pub fn check_input(&self, x: &[i64]) -> Result<(), ZkError> {
        self.input_spec().check(x)
    }

    /// The integer reference inference: returns the logits of the last layer.
    /// Arithmetic is checked: [`Self::validate`] bounds every accumulator, and an
    /// overflow would still be an error, never a wrapped value.
    pub fn infer(&self, x: &[i64]) -> Result<Vec<i64>, ZkError> {
        self.validate()?;
        self.check_input(x)?;
        let mut act: Vec<i128> = x.iter().map(|v| *v as i128).collect();
        let last = self.layers.len() - 1;
        for (l, layer) in self.layers.iter().enumerate() {
            let overflow =
                || ZkError::InvalidModel(format!("layer {l}: accumulator overflows i128"));
            let mut next = Vec::with_capacity(layer.n_out);
            for j in 0..layer.n_out {
                let row = &layer.weight[j * layer.n_in..(j + 1) * layer.n_in];
                let mut acc = layer.bias[j] as i128;
                for (w, a) in row.iter().zip(&act) {
                    acc = (*w as i128)
                        .checked_mul(*a)
                        .and_then(|p| acc.checked_add(p))
                        .ok_or_else(overflow)?;
                }
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

    /// A tower of 1x1 layers with these weights, no bias and no shift, inputs in
    /// [0, 2^24]: the accumulator bound after layer k is 2^24 * w_0 * ... * w_k.
    fn tower(weights: &[i64]) -> QuantizedModel {
        QuantizedModel {
            layers: weights
                .iter()
                .map(|w| QuantLayer {
                    n_in: 1,
                    n_out: 1,
                    weight: vec![*w],
                    bias: vec![0],
                    shift: 0,
                })
                .collect(),
            input_min: 0,
            input_max: 1 << 24,
            weight_bits: 16,
            input_frac_bits: 0,
            output_frac_bits: 0,
        }
    }

    #[test]
    fn models_whose_accumulators_could_overflow_are_rejected_not_wrapped() {
        let w = (1i64 << 15) - 1;
        // Layers 0..=6 reach 63 * w^6 * 2^24 < 2^120, within MAX_ACC_BITS; layer 7
        // multiplies that by w: about 2^135, beyond i128 before any width check.
        let mut weights = vec![w; 6];
        weights.push(63);
        let fits = tower(&weights);
        fits.validate().unwrap();
        let hi = fits.acc_bounds().unwrap()[6][0].1;
        assert!(hi > 1i128 << 119 && hi < 1i128 << 120, "{hi}");
        // The logit is valid but not an i64.
        assert_eq!(
            fits.infer(&[1 << 24]).unwrap_err(),
            ZkError::InvalidModel("logit overflows i64".into())
        );
        weights.push(w);
        let over = tower(&weights);
        let err = over.validate().unwrap_err();
        assert_eq!(
            err,
            ZkError::InvalidModel(format!(
                "layer 7: accumulator of neuron 0 can exceed {MAX_ACC_BITS} bits"
            ))
        );
        assert_eq!(over.infer(&[1 << 24]).unwrap_err(), err);
        assert_eq!(over.infer(&[0]).unwrap_err(), err);
        // Beyond MAX_ACC_BITS without overflowing i128.
        weights[7] = 256;
        assert!(
            matches!(tower(&weights).validate(), Err(ZkError::InvalidModel(s)) if s.starts_with("layer 7"))
        );
        assert_eq!(tower(&[w, w]).infer(&[3]).unwrap(), vec![3 * w * w]);
    }

    #[test]
    fn argmax_takes_lowest_index_on_ties() {
        assert_eq!(argmax(&[1, 5, 5, 2]), 1);
        assert_eq!(argmax(&[-3]), 0);
    }
}
