//! Static value bounds of every neuron, over all inputs in range. They size the
//! bit decompositions, so the circuit never decomposes more bits than needed.
//!
//! Public-model mode uses the actual weights (tight, per neuron). Private-model
//! mode must not leak the weights through the circuit's shape, so it uses the
//! worst case of the declared weight and bias widths (uniform per layer).

use crate::field::bit_len;
use crate::layout::Mode;
use crate::model::QuantizedModel;
pub use crate::model::MAX_ACC_BITS;
use crate::ZkError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerBounds {
    /// Accumulator bounds `[lo, hi]` per output neuron.
    pub acc: Vec<(i128, i128)>,
    /// Private mode: width of each (offset) bias value.
    pub bias_bits: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounds {
    pub layers: Vec<LayerBounds>,
}

impl Bounds {
    pub fn logits(&self) -> &[(i128, i128)] {
        self.layers.last().map_or(&[], |l| &l.acc)
    }
}

/// All arithmetic is checked: a model whose bounds could overflow `i128` or exceed
/// [`MAX_ACC_BITS`] is rejected with [`ZkError::InvalidModel`].
pub fn compute(model: &QuantizedModel, mode: Mode) -> Result<Bounds, ZkError> {
    // Validation computes the tight (public-mode) bounds.
    let tight = model.acc_bounds()?;
    if mode == Mode::Public {
        return Ok(Bounds {
            layers: tight
                .into_iter()
                .map(|acc| LayerBounds { acc, bias_bits: 0 })
                .collect(),
        });
    }
    let mut x: Vec<(i128, i128)> =
        vec![(model.input_min as i128, model.input_max as i128); model.n_inputs()];
    let wmax = 1i128 << (model.weight_bits - 1);
    let mut layers = Vec::new();
    for (l, layer) in model.layers.iter().enumerate() {
        let too_big = || {
            ZkError::InvalidModel(format!(
                "layer {l}: worst-case accumulator exceeds {MAX_ACC_BITS} bits"
            ))
        };
        // |sum w x| <= max|w| * sum max|x|; the bias gets the same range.
        let mut xsum: i128 = 0;
        for (a, b) in &x {
            xsum = xsum
                .checked_add(a.unsigned_abs().max(b.unsigned_abs()) as i128)
                .ok_or_else(too_big)?;
        }
        let wx = xsum.checked_mul(wmax).ok_or_else(too_big)?;
        if bit_len(wx as u128) + 1 > MAX_ACC_BITS {
            return Err(too_big());
        }
        let bias_bits = bit_len(wx as u128) + 1;
        let bmax = 1i128 << (bias_bits - 1);
        for (j, b) in layer.bias.iter().enumerate() {
            if (*b as i128) < -bmax || (*b as i128) >= bmax {
                return Err(ZkError::InvalidModel(format!(
                    "layer {l}: bias[{j}] = {b} exceeds {bias_bits} bits"
                )));
            }
        }
        // wx < 2^119 and bmax <= 2^119, so the sum fits.
        let acc = vec![(-(wx + bmax), wx + bmax); layer.n_out];
        // Next layer's inputs: ReLU then shift (unused after the last layer).
        x = acc
            .iter()
            .map(|(_, hi)| (0, hi.max(&0) >> layer.shift))
            .collect();
        layers.push(LayerBounds { acc, bias_bits });
    }
    Ok(Bounds { layers })
}
