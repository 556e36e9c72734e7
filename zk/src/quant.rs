//! Float MLP (the worker's safetensors) → fixed-point [`QuantizedModel`].
//!
//! Scales are powers of two so that requantization is a right shift:
//! - input: `x_q = round(x * 2^input_frac_bits)` (half away from zero), clamped
//!   to `[input_min, input_max]`;
//! - weights of layer `l`: `w_q = round(w * 2^fw_l)`, with the largest `fw_l` that
//!   keeps `max|w_q| <= 2^(weight_bits-1) - 1` (per-layer, symmetric);
//! - accumulator of layer `l`: fractional bits `f_acc = f_in + fw_l`; bias
//!   `b_q = round(b * 2^f_acc)`;
//! - hidden layers: `shift = max(f_acc - act_frac_bits, 0)`, output fractional bits
//!   `f_acc - shift`; `2^(shift-1)` is added to `b_q` so the floor shift rounds half up;
//! - last layer: no ReLU, no shift: logits with `f_acc` fractional bits.
//!
//! Tensor names: by default `layers.{i}.weight` (`[out, in]`) and
//! `layers.{i}.bias` (`[out]`), i = 0, 1, ... Any other naming where each
//! linear layer is `<prefix>.weight` + `<prefix>.bias` is detected
//! ([`FloatMlp::from_safetensors`]); layers are ordered by the integer that ends
//! their prefix (`fc2 < fc10`). The prefixes must share one stem and their indices
//! must run consecutively from 0 or 1, so a duplicate (`fc1` and `fc01`) or a missing
//! layer is an error. ReLU sits between layers, none after the last. Tensors are
//! decoded by `deai_worker_jobs::tensors` (F32, F64; the single safetensors version).

use deai_worker_jobs::tensors::{self, safetensors};
use safetensors::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};

use crate::model::{QuantLayer, QuantizedModel};
use crate::ZkError;

#[derive(Clone, Debug, PartialEq)]
pub struct FloatLayer {
    pub n_in: usize,
    pub n_out: usize,
    /// Row-major `[n_out][n_in]`.
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FloatMlp {
    pub layers: Vec<FloatLayer>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantConfig {
    pub input_frac_bits: u32,
    pub input_min: i64,
    pub input_max: i64,
    pub weight_bits: u32,
    /// Fractional bits kept in hidden activations.
    pub act_frac_bits: u32,
}

impl Default for QuantConfig {
    /// Inputs in [0, 1] at 8 fractional bits (an 8-bit image), int8 weights.
    fn default() -> Self {
        QuantConfig {
            input_frac_bits: 8,
            input_min: 0,
            input_max: 255,
            weight_bits: 8,
            act_frac_bits: 6,
        }
    }
}

impl QuantConfig {
    /// Inputs in `[0, max_value]` (floats) mapped exactly onto `[0, max_value · 2^frac_bits]`.
    /// The worker's digits job scales pixels by 1/16 into [0, 1]: `unit_range(1.0, 4)`
    /// makes the quantized input the raw pixel 0..16.
    pub fn unit_range(max_value: f64, frac_bits: u32) -> Self {
        let max = (max_value * 2f64.powi(frac_bits as i32))
            .round()
            .clamp(1.0, (1u64 << 24) as f64) as i64;
        QuantConfig {
            input_frac_bits: frac_bits,
            input_min: 0,
            input_max: max,
            ..QuantConfig::default()
        }
    }
}

/// Reads an inference input file: either a JSON array of floats (quantized with the
/// model's input scale) or `{"quantized": [ints]}` (used as is, range-checked).
/// The same as [`crate::input::InputSpec::from_json`] on the model's input spec.
pub fn input_from_json(model: &QuantizedModel, json: &str) -> Result<Vec<i64>, ZkError> {
    model.input_spec().from_json(json)
}

/// Explicit tensor names; `{i}` is replaced by the layer index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorNaming {
    pub weight: String,
    pub bias: String,
}

impl Default for TensorNaming {
    fn default() -> Self {
        TensorNaming {
            weight: "layers.{i}.weight".into(),
            bias: "layers.{i}.bias".into(),
        }
    }
}

/// Largest safetensors file accepted (keeps a bad file from exhausting memory).
pub const MAX_SAFETENSORS_BYTES: usize = 1 << 30;

fn tensor_f32(st: &SafeTensors, name: &str) -> Result<(Vec<usize>, Vec<f32>), ZkError> {
    let t = st
        .tensor(name)
        .map_err(|e| ZkError::InvalidModel(format!("{name}: {e}")))?;
    let vals = tensors::floats(name, &t).map_err(ZkError::InvalidModel)?;
    if let Some(v) = vals.iter().find(|v| !v.is_finite()) {
        return Err(ZkError::InvalidModel(format!(
            "{name}: non-finite value {v}"
        )));
    }
    Ok((t.shape().to_vec(), vals))
}

/// Splits a layer prefix into its stem and trailing index: `fc01` → (`fc`, 1),
/// `net.10` → (`net.`, 10). `None` without a trailing integer.
fn layer_index(prefix: &str) -> Option<(&str, u64)> {
    let stem = prefix.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = &prefix[stem.len()..];
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    digits.parse().ok().map(|i| (stem, i))
}

/// Orders detected layer prefixes by their trailing index. The prefixes must share one
/// stem and their indices must run consecutively from 0 or 1: a duplicate (`fc1` and
/// `fc01`) or a gap (a missing layer, e.g. a Linear without bias) is an error.
fn order_layers(prefixes: Vec<String>) -> Result<Vec<String>, ZkError> {
    let mut indexed = Vec::with_capacity(prefixes.len());
    for p in &prefixes {
        let (stem, i) = layer_index(p).ok_or_else(|| {
            ZkError::InvalidModel(format!(
                "linear layer {p:?} has no trailing layer index (want e.g. fc0, layers.1)"
            ))
        })?;
        indexed.push((i, stem, p.as_str()));
    }
    indexed.sort();
    if let Some((_, stem, p)) = indexed.iter().find(|(_, s, _)| *s != indexed[0].1) {
        return Err(ZkError::InvalidModel(format!(
            "linear layers {:?} and {p:?} do not share one naming ({:?} vs {stem:?})",
            indexed[0].2, indexed[0].1
        )));
    }
    for w in indexed.windows(2) {
        if w[0].0 == w[1].0 {
            return Err(ZkError::InvalidModel(format!(
                "linear layers {:?} and {:?} both have index {}",
                w[0].2, w[1].2, w[0].0
            )));
        }
        if w[1].0 != w[0].0 + 1 {
            return Err(ZkError::InvalidModel(format!(
                "linear layers jump from {:?} to {:?}: layer {} is missing",
                w[0].2,
                w[1].2,
                w[0].0 + 1
            )));
        }
    }
    match indexed.first() {
        Some((first, _, p)) if *first > 1 => Err(ZkError::InvalidModel(format!(
            "the first linear layer is {p:?}: layer indices must start at 0 or 1"
        ))),
        _ => Ok(indexed.into_iter().map(|(_, _, p)| p.to_string()).collect()),
    }
}

impl FloatMlp {
    /// Reads a safetensors file, detecting the layer naming (see module docs).
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, ZkError> {
        let st = Self::open(bytes)?;
        let prefixes: Vec<String> = st
            .names()
            .into_iter()
            .filter_map(|n| n.strip_suffix(".weight").map(str::to_string))
            .filter(|p| st.tensor(&format!("{p}.bias")).is_ok())
            .filter(|p| {
                st.tensor(&format!("{p}.weight"))
                    .map(|t| t.shape().len() == 2)
                    .unwrap_or(false)
            })
            .collect();
        let prefixes = order_layers(prefixes)?;
        let names: Vec<(String, String)> = prefixes
            .iter()
            .map(|p| (format!("{p}.weight"), format!("{p}.bias")))
            .collect();
        Self::from_names(&st, &names)
    }

    /// Reads a safetensors file with explicit names, layer indices 0, 1, ... until one is missing.
    pub fn from_safetensors_with(bytes: &[u8], naming: &TensorNaming) -> Result<Self, ZkError> {
        let st = Self::open(bytes)?;
        let mut names = Vec::new();
        for i in 0..crate::model::MAX_LAYERS + 1 {
            let w = naming.weight.replace("{i}", &i.to_string());
            if st.tensor(&w).is_err() {
                break;
            }
            names.push((w, naming.bias.replace("{i}", &i.to_string())));
        }
        Self::from_names(&st, &names)
    }

    fn open(bytes: &[u8]) -> Result<SafeTensors<'_>, ZkError> {
        if bytes.len() > MAX_SAFETENSORS_BYTES {
            return Err(ZkError::TooLarge {
                what: "safetensors",
                len: bytes.len(),
                limit: MAX_SAFETENSORS_BYTES,
            });
        }
        SafeTensors::deserialize(bytes)
            .map_err(|e| ZkError::InvalidModel(format!("safetensors: {e}")))
    }

    fn from_names(st: &SafeTensors, names: &[(String, String)]) -> Result<Self, ZkError> {
        if names.is_empty() || names.len() > crate::model::MAX_LAYERS {
            return Err(ZkError::InvalidModel(format!(
                "found {} linear layers",
                names.len()
            )));
        }
        let mut layers = Vec::new();
        for (wn, bn) in names {
            let (ws, w) = tensor_f32(st, wn)?;
            let (bs, b) = tensor_f32(st, bn)?;
            if ws.len() != 2 || bs != [ws[0]] {
                return Err(ZkError::InvalidModel(format!(
                    "{wn} {ws:?} / {bn} {bs:?}: want [out,in] and [out]"
                )));
            }
            layers.push(FloatLayer {
                n_in: ws[1],
                n_out: ws[0],
                weight: w,
                bias: b,
            });
        }
        let m = FloatMlp { layers };
        m.check_shapes()?;
        Ok(m)
    }

    fn check_shapes(&self) -> Result<(), ZkError> {
        for (l, w) in self.layers.windows(2).enumerate() {
            if w[0].n_out != w[1].n_in {
                return Err(ZkError::InvalidModel(format!(
                    "layer {} outputs {} but layer {} takes {}",
                    l,
                    w[0].n_out,
                    l + 1,
                    w[1].n_in
                )));
            }
        }
        Ok(())
    }

    /// Writes the model with the default naming (`layers.{i}.weight|bias`, F32).
    pub fn to_safetensors(&self) -> Result<Vec<u8>, ZkError> {
        let mut bufs: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
        for (i, l) in self.layers.iter().enumerate() {
            let w: Vec<u8> = l.weight.iter().flat_map(|v| v.to_le_bytes()).collect();
            let b: Vec<u8> = l.bias.iter().flat_map(|v| v.to_le_bytes()).collect();
            bufs.push((format!("layers.{i}.weight"), vec![l.n_out, l.n_in], w));
            bufs.push((format!("layers.{i}.bias"), vec![l.n_out], b));
        }
        let views = bufs
            .iter()
            .map(|(n, s, d)| {
                safetensors::tensor::TensorView::new(Dtype::F32, s.clone(), d)
                    .map(|v| (n.clone(), v))
                    .map_err(|e| ZkError::InvalidModel(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        safetensors::serialize(views, &None).map_err(|e| ZkError::InvalidModel(e.to_string()))
    }

    /// Float forward pass (ReLU between layers), for accuracy comparisons.
    pub fn forward(&self, x: &[f32]) -> Vec<f32> {
        let mut act = x.to_vec();
        let last = self.layers.len().saturating_sub(1);
        for (l, layer) in self.layers.iter().enumerate() {
            let mut next = layer.bias.clone();
            for (j, out) in next.iter_mut().enumerate() {
                let row = &layer.weight[j * layer.n_in..(j + 1) * layer.n_in];
                *out += row.iter().zip(&act).map(|(w, a)| w * a).sum::<f32>();
                if l != last {
                    *out = out.max(0.0);
                }
            }
            act = next;
        }
        act
    }
}

fn round_to_i64(v: f64) -> Result<i64, ZkError> {
    if !v.is_finite() || v.abs() > (1u64 << 52) as f64 {
        return Err(ZkError::InvalidModel(format!(
            "value {v} does not fit the fixed-point range"
        )));
    }
    Ok(v.round() as i64)
}

/// Quantizes a float MLP (see module docs for the exact rules).
pub fn quantize(model: &FloatMlp, cfg: &QuantConfig) -> Result<QuantizedModel, ZkError> {
    model.check_shapes()?;
    if !(2..=crate::model::MAX_WEIGHT_BITS).contains(&cfg.weight_bits)
        || cfg.input_frac_bits > crate::model::MAX_INPUT_FRAC_BITS
        || cfg.act_frac_bits > 24
    {
        return Err(ZkError::InvalidModel(
            "quantization config out of range".into(),
        ));
    }
    let qmax = ((1i64 << (cfg.weight_bits - 1)) - 1) as f64;
    let mut f_in = cfg.input_frac_bits as i32;
    let last = model.layers.len().saturating_sub(1);
    let mut layers = Vec::new();
    for (l, fl) in model.layers.iter().enumerate() {
        if fl.weight.len() != fl.n_in * fl.n_out || fl.bias.len() != fl.n_out {
            return Err(ZkError::InvalidModel(format!(
                "layer {l}: tensor sizes do not match"
            )));
        }
        let wmax = fl.weight.iter().fold(0f64, |m, w| m.max((*w as f64).abs()));
        // Largest power-of-two scale that keeps every weight in range.
        let fw = if wmax == 0.0 {
            0
        } else {
            (qmax / wmax).log2().floor().clamp(-16.0, 30.0) as i32
        };
        let f_acc = f_in + fw;
        let shift = if l == last {
            0
        } else {
            (f_acc - cfg.act_frac_bits as i32).max(0) as u32
        };
        let weight = fl
            .weight
            .iter()
            .map(|w| {
                round_to_i64(*w as f64 * 2f64.powi(fw))
                    .map(|q| q.clamp(-(qmax as i64), qmax as i64))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let half = if shift > 0 { 1i64 << (shift - 1) } else { 0 };
        let bias = fl
            .bias
            .iter()
            .map(|b| {
                round_to_i64(*b as f64 * 2f64.powi(f_acc))?
                    .checked_add(half)
                    .ok_or_else(|| ZkError::InvalidModel(format!("layer {l}: bias overflows")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        layers.push(QuantLayer {
            n_in: fl.n_in,
            n_out: fl.n_out,
            weight,
            bias,
            shift,
        });
        f_in = f_acc - shift as i32;
    }
    let q = QuantizedModel {
        layers,
        input_min: cfg.input_min,
        input_max: cfg.input_max,
        weight_bits: cfg.weight_bits,
        input_frac_bits: cfg.input_frac_bits,
        output_frac_bits: f_in,
    };
    q.validate()?;
    Ok(q)
}

/// Quantizes a float input vector with the model's input scale (round half away
/// from zero, then clamp to the input range): [`crate::input::InputSpec::quantize`].
pub fn quantize_input(model: &QuantizedModel, x: &[f32]) -> Result<Vec<i64>, ZkError> {
    model.input_spec().quantize(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mlp() -> FloatMlp {
        FloatMlp {
            layers: vec![
                FloatLayer {
                    n_in: 3,
                    n_out: 2,
                    weight: vec![0.5, -0.25, 1.0, -1.5, 0.75, 0.1],
                    bias: vec![0.1, -0.2],
                },
                FloatLayer {
                    n_in: 2,
                    n_out: 2,
                    weight: vec![1.0, -1.0, 0.3, 0.2],
                    bias: vec![0.0, 0.05],
                },
            ],
        }
    }

    #[test]
    fn safetensors_round_trip_default_and_detected_names() {
        let m = mlp();
        let bytes = m.to_safetensors().unwrap();
        assert_eq!(FloatMlp::from_safetensors(&bytes).unwrap(), m);
        assert_eq!(
            FloatMlp::from_safetensors_with(&bytes, &TensorNaming::default()).unwrap(),
            m
        );
        assert!(FloatMlp::from_safetensors(&bytes[..bytes.len() - 3]).is_err());
        assert!(FloatMlp::from_safetensors(b"garbage").is_err());
    }

    #[test]
    fn worker_style_names_are_detected() {
        // deai-worker writes `fc0.weight`, `fc1.weight`, ... (and 10 sorts after 2).
        let mut layers = Vec::new();
        for i in 0..11 {
            layers.push(FloatLayer {
                n_in: 2,
                n_out: 2,
                weight: vec![i as f32; 4],
                bias: vec![0.0; 2],
            });
        }
        let mut bufs = Vec::new();
        for (i, l) in layers.iter().enumerate() {
            bufs.push((
                format!("fc{i}.weight"),
                vec![2usize, 2],
                l.weight
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect::<Vec<u8>>(),
            ));
            bufs.push((
                format!("fc{i}.bias"),
                vec![2usize],
                l.bias
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect::<Vec<u8>>(),
            ));
        }
        let views: Vec<_> = bufs
            .iter()
            .map(|(n, s, d)| {
                (
                    n.clone(),
                    safetensors::tensor::TensorView::new(Dtype::F32, s.clone(), d).unwrap(),
                )
            })
            .collect();
        let bytes = safetensors::serialize(views, &None).unwrap();
        let m = FloatMlp::from_safetensors(&bytes).unwrap();
        assert_eq!(
            m.layers.iter().map(|l| l.weight[0]).collect::<Vec<_>>(),
            (0..11).map(|i| i as f32).collect::<Vec<_>>()
        );
    }

    #[test]
    fn input_files_floats_or_quantized() {
        let q = quantize(&mlp(), &QuantConfig::unit_range(1.0, 4)).unwrap();
        assert_eq!(q.input_max, 16);
        assert_eq!(
            input_from_json(&q, "[0.5, 1.0, 0.0]").unwrap(),
            vec![8, 16, 0]
        );
        assert_eq!(
            input_from_json(&q, r#"{"quantized": [1, 2, 3]}"#).unwrap(),
            vec![1, 2, 3]
        );
        assert!(input_from_json(&q, r#"{"quantized": [1, 2, 17]}"#).is_err());
        assert!(input_from_json(&q, "[0.5]").is_err());
        assert!(input_from_json(&q, "nonsense").is_err());
    }

    #[test]
    fn layers_are_ordered_by_their_index_and_must_be_consecutive() {
        let order = |v: &[&str]| order_layers(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            order(&["net.10", "net.2", "net.0", "net.1"]).unwrap_err(),
            ZkError::InvalidModel(
                "linear layers jump from \"net.2\" to \"net.10\": layer 3 is missing".into()
            )
        );
        assert_eq!(
            order(&["fc2", "fc10", "fc1", "fc3", "fc4", "fc5", "fc6", "fc7", "fc8", "fc9"])
                .unwrap()[..3],
            ["fc1", "fc2", "fc3"]
        );
        assert_eq!(
            order(&["layers.1", "layers.0"]).unwrap(),
            ["layers.0", "layers.1"]
        );
        let err = order(&["fc0", "fc1", "fc01"]).unwrap_err().to_string();
        assert!(err.contains("both have index 1"), "{err}");
        let err = order(&["net.0", "net.2"]).unwrap_err().to_string();
        assert!(err.contains("layer 1 is missing"), "{err}");
        let err = order(&["fc2", "fc3"]).unwrap_err().to_string();
        assert!(err.contains("must start at 0 or 1"), "{err}");
        let err = order(&["fc0", "out"]).unwrap_err().to_string();
        assert!(err.contains("\"out\" has no trailing layer index"), "{err}");
        let err = order(&["enc.0", "head1"]).unwrap_err().to_string();
        assert!(err.contains("do not share one naming"), "{err}");
    }

    #[test]
    fn quantization_uses_power_of_two_scales() {
        let q = quantize(
            &mlp(),
            &QuantConfig {
                input_frac_bits: 4,
                input_min: 0,
                input_max: 16,
                weight_bits: 8,
                act_frac_bits: 4,
            },
        )
        .unwrap();
        // max |w| = 1.5 -> fw = floor(log2(127/1.5)) = 6 -> -1.5 * 64 = -96.
        assert_eq!(q.layers[0].weight, vec![32, -16, 64, -96, 48, 6]);
        assert_eq!(q.layers[0].shift, 6); // f_acc = 4 + 6 = 10, act 4
        assert_eq!(q.layers[0].bias[0], (0.1f64 * 1024.0).round() as i64 + 32);
        assert_eq!(q.layers[1].shift, 0);
        assert_eq!(
            quantize_input(&q, &[0.5, 2.0, -1.0]).unwrap(),
            vec![8, 16, 0]
        );
    }
}
