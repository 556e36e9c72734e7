//! The inference input: its length, range and scale, and the one function that
//! quantizes a float input. The prover quantizes a request with it, and a verifier
//! that knows the request quantizes it again with the same function, from the
//! scale recorded in the layout (`circuit.json`).

use serde::Deserialize;

use crate::ZkError;

/// Largest input file accepted by [`InputSpec::from_json`].
pub const MAX_INPUT_JSON_BYTES: usize = 1 << 24;

/// What an input must look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputSpec {
    pub n_inputs: usize,
    /// A float input `x` becomes `round(x * 2^frac_bits)`.
    pub frac_bits: u32,
    pub min: i64,
    pub max: i64,
}

impl InputSpec {
    /// Length and range check of a quantized input.
    pub fn check(&self, x: &[i64]) -> Result<(), ZkError> {
        if x.len() != self.n_inputs {
            return Err(ZkError::InvalidInput(format!(
                "{} values, model takes {}",
                x.len(),
                self.n_inputs
            )));
        }
        if let Some(v) = x.iter().find(|v| **v < self.min || **v > self.max) {
            return Err(ZkError::InvalidInput(format!(
                "value {v} outside [{}, {}]",
                self.min, self.max
            )));
        }
        Ok(())
    }

    /// Quantizes a float input: `round(x * 2^frac_bits)` (half away from zero), then
    /// clamped to `[min, max]`. Non-finite values are errors.
    pub fn quantize(&self, x: &[f32]) -> Result<Vec<i64>, ZkError> {
        if x.len() != self.n_inputs {
            return Err(ZkError::InvalidInput(format!(
                "{} values, model takes {}",
                x.len(),
                self.n_inputs
            )));
        }
        let scale = 2f64.powi(self.frac_bits.min(62) as i32);
        x.iter()
            .map(|v| {
                if !v.is_finite() {
                    return Err(ZkError::InvalidInput(format!("non-finite value {v}")));
                }
                Ok(((*v as f64 * scale)
                    .round()
                    .clamp(self.min as f64, self.max as f64)) as i64)
            })
            .collect()
    }

    /// Reads an input file: a JSON array of floats (quantized with [`Self::quantize`])
    /// or `{"quantized": [ints]}` (used as is, range-checked).
    pub fn from_json(&self, json: &str) -> Result<Vec<i64>, ZkError> {
        if json.len() > MAX_INPUT_JSON_BYTES {
            return Err(ZkError::TooLarge {
                what: "input file",
                len: json.len(),
                limit: MAX_INPUT_JSON_BYTES,
            });
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum InputFile {
            Floats(Vec<f32>),
            Quantized { quantized: Vec<i64> },
        }
        match serde_json::from_str(json)
            .map_err(|e| ZkError::InvalidInput(format!("input file: {e}")))?
        {
            InputFile::Floats(x) => self.quantize(&x),
            InputFile::Quantized { quantized } => {
                self.check(&quantized)?;
                Ok(quantized)
            }
        }
    }
}
