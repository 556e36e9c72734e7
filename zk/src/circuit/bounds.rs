//! Static value bounds of every neuron, over all inputs in range. They size the
//! bit decompositions, so the circuit never decomposes more bits than needed.
//!
//! Public-model mode uses the actual weights (tight, per neuron). Private-model
//! mode must not leak the weights through the circuit's shape, so it uses the
//! worst case of the declared weight and bias widths (uniform per layer).

use crate::field::bit_len;
use crate::layout::Mode;
use crate::model::QuantizedModel;
use crate::ZkError;

/// Accumulators beyond this many bits are rejected, keeping all values < p/2.
pub const MAX_ACC_BITS: u32 = 120;

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

pub fn compute(model: &QuantizedModel, mode: Mode) -> Result<Bounds, ZkError> {
    model.validate()?;
    let mut x: Vec<(i128, i128)> =
        vec![(model.input_min as i128, model.input_max as i128); model.n_inputs()];
    let wlo = -(1i128 << (model.weight_bits - 1));
    let mut layers = Vec::new();
    for (l, layer) in model.layers.iter().enumerate() {
        let mut acc = Vec::with_capacity(layer.n_out);
        let mut bias_bits = 0;
        match mode {
            Mode::Public => {
                for j in 0..layer.n_out {
                    let (mut lo, mut hi) = (layer.bias[j] as i128, layer.bias[j] as i128);
                    for (i, (xl, xh)) in x.iter().enumerate() {
                        let w = layer.w(j, i) as i128;
                        lo += (w * xl).min(w * xh);
                        hi += (w * xl).max(w * xh);
                    }
                    acc.push((lo, hi));
                }
            }
            Mode::Private => {
                // |sum w x| <= max|w| * sum max|x|; the bias gets the same range.
                let wx: i128 = x.iter().map(|(a, b)| a.abs().max(b.abs())).sum::<i128>() * (-wlo);
                bias_bits = bit_len(wx as u128) + 1;
                let bmax = 1i128 << (bias_bits - 1);
                for (j, b) in layer.bias.iter().enumerate() {
                    if (*b as i128) < -bmax || (*b as i128) >= bmax {
                        return Err(ZkError::InvalidModel(format!(
                            "layer {l}: bias[{j}] = {b} exceeds {bias_bits} bits"
                        )));
                    }
                }
                acc = vec![(-(wx + bmax), wx + bmax); layer.n_out];
            }
        }
        for (lo, hi) in &acc {
            if bit_len(lo.unsigned_abs()).max(bit_len(hi.unsigned_abs())) > MAX_ACC_BITS {
                return Err(ZkError::InvalidModel(format!(
                    "layer {l}: accumulator exceeds {MAX_ACC_BITS} bits"
                )));
            }
        }
        // Next layer's inputs: ReLU then shift (unused after the last layer).
        x = acc
            .iter()
            .map(|(_, hi)| (0, hi.max(&0) >> layer.shift))
            .collect();
        layers.push(LayerBounds { acc, bias_bits });
    }
    Ok(Bounds { layers })
}
