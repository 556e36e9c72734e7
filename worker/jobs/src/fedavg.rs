//! Deterministic FedAvg of weights files, in pure Rust (no libtorch), so every machine
//! computes the same aggregate bytes and so the same aggregate hash (docs/training.md,
//! "FedAvg and lineage").

use std::collections::BTreeMap;

use crate::tensors::safetensors::tensor::{serialize, Dtype, TensorView};
use crate::tensors::safetensors::SafeTensors;

/// Why inputs cannot be averaged. Input numbers are 0-based positions in the slice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FedAvgError {
    #[error("fedavg: no inputs")]
    NoInputs,
    #[error("fedavg: the weights sum to zero")]
    ZeroWeight,
    #[error("fedavg: input {input}: {message}")]
    Input { input: usize, message: String },
}

/// The weighted average of safetensors weight files: for every tensor element,
/// `Σ wᵢ·xᵢ / Σ wᵢ` with the products and the sum taken in f64 in input order and the
/// quotient rounded to f32 once.
///
/// Every input must hold the same tensor names with the same shapes, all F32 and finite
/// (metadata is ignored); there must be at least one input and a non-zero total weight
/// (an input of weight 0 is checked but contributes nothing). The output is safetensors
/// with the tensors sorted by name and no metadata: the same inputs give the same bytes on
/// every machine, and a single input averages to its own tensors.
pub fn fedavg(inputs: &[(&[u8], u32)]) -> Result<Vec<u8>, FedAvgError> {
    let bad = |input: usize, message: String| FedAvgError::Input { input, message };
    let total: u64 = inputs.iter().map(|(_, w)| u64::from(*w)).sum();
    if inputs.is_empty() {
        return Err(FedAvgError::NoInputs);
    }
    if total == 0 {
        return Err(FedAvgError::ZeroWeight);
    }
    // name -> (shape, f64 accumulator)
    let mut acc: BTreeMap<String, (Vec<usize>, Vec<f64>)> = BTreeMap::new();
    for (i, (bytes, weight)) in inputs.iter().enumerate() {
        let st = SafeTensors::deserialize(bytes)
            .map_err(|e| bad(i, format!("not safetensors: {e:?}")))?;
        let tensors = st.tensors();
        if i > 0 && tensors.len() != acc.len() {
            let extra = tensors.iter().find(|(n, _)| !acc.contains_key(n));
            let missing = acc.keys().find(|n| !tensors.iter().any(|(m, _)| m == *n));
            return Err(bad(
                i,
                match (extra, missing) {
                    (Some((n, _)), _) => format!("has tensor {n:?}, which input 0 lacks"),
                    (None, Some(n)) => format!("lacks tensor {n:?} of input 0"),
                    _ => format!("{} tensors, input 0 has {}", tensors.len(), acc.len()),
                },
            ));
        }
        let w = f64::from(*weight);
        for (name, view) in &tensors {
            if view.dtype() != Dtype::F32 {
                return Err(bad(
                    i,
                    format!("tensor {name:?} has dtype {:?}, expected F32", view.dtype()),
                ));
            }
            let values = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            if i == 0 {
                let mut sum = Vec::with_capacity(view.data().len() / 4);
                for v in values {
                    check_finite(name, v).map_err(|m| bad(i, m))?;
                    sum.push(w * f64::from(v));
                }
                acc.insert(name.clone(), (view.shape().to_vec(), sum));
                continue;
            }
            let Some((shape, sum)) = acc.get_mut(name) else {
                return Err(bad(i, format!("has tensor {name:?}, which input 0 lacks")));
            };
            if view.shape() != shape.as_slice() {
                return Err(bad(
                    i,
                    format!(
                        "tensor {name:?} has shape {:?}, input 0 has {shape:?}",
                        view.shape()
                    ),
                ));
            }
            for (s, v) in sum.iter_mut().zip(values) {
                check_finite(name, v).map_err(|m| bad(i, m))?;
                *s += w * f64::from(v);
            }
        }
    }
    let total = total as f64;
    let datas: Vec<(String, Vec<usize>, Vec<u8>)> = acc
        .into_iter()
        .map(|(name, (shape, sum))| {
            let data = sum
                .iter()
                .flat_map(|s| ((s / total) as f32).to_le_bytes())
                .collect();
            (name, shape, data)
        })
        .collect();
    let views = datas
        .iter()
        .map(|(name, shape, data)| {
            TensorView::new(Dtype::F32, shape.clone(), data)
                .map(|v| (name.as_str(), v))
                .map_err(|e| bad(0, format!("tensor {name:?}: {e:?}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    serialize(views, &None).map_err(|e| bad(0, format!("cannot serialise: {e:?}")))
}

fn check_finite(name: &str, v: f32) -> Result<(), String> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(format!("tensor {name:?} holds {v}, not a finite number"))
    }
}

#[cfg(test)]
#[path = "fedavg_tests.rs"]
mod tests;
