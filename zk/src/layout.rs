//! The public statement of a proof and its encoding as field elements.
//!
//! Public inputs, in order: `[commitment]` (private-model mode only), the request
//! binding ([`crate::request`]), the input, then the output. Groth16 verification
//! costs one G1 scalar multiplication per public input, so two encodings exist:
//! - [`IoEncoding::Plain`]: one field element per value (signed values map to
//!   `p - |v|`). The verifier's multi-scalar multiplication is cheap because every
//!   scalar is small.
//! - [`IoEncoding::Packed`]: values are offset to be non-negative and packed,
//!   `PACK_BITS` bits per field element.
//!
//! In both encodings the circuit range-checks every input value against
//! `[input_min, input_max]` (outputs need no check: they are computed), so no
//! verifier, not even the raw [`crate::verify`], accepts an out-of-range input.
//! This module checks the same ranges before any pairing, for clear errors.

use ark_bn254::Fr;
use ark_ff::{BigInteger, Field, PrimeField};
use serde::{Deserialize, Serialize};

use crate::field::{bit_len, fr_from_i128, fr_to_i64};
use crate::input::InputSpec;
use crate::model::{MAX_INPUT_FRAC_BITS, MAX_WIDTH};
use crate::ZkError;

/// Bits packed into one field element (the BN254 modulus has 254 bits).
pub const PACK_BITS: u32 = 253;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Weights are circuit constants; the verifying key commits to them.
    Public,
    /// Weights are private witnesses; a Poseidon hash of them is a public input.
    Private,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputKind {
    /// All logits are public.
    Logits,
    /// Only the index of the largest logit (lowest index on ties) is public.
    Argmax,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IoEncoding {
    Plain,
    Packed,
}

/// What a verifier needs besides the verifying key: how to map a statement to
/// public inputs. Stored next to the verifying key (`circuit.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitLayout {
    pub mode: Mode,
    pub output: OutputKind,
    pub encoding: IoEncoding,
    pub n_inputs: usize,
    pub input_min: i64,
    pub input_max: i64,
    /// Fractional bits of the input: a verifier quantizes a float request with
    /// [`CircuitLayout::input_spec`], as the prover did.
    pub input_frac_bits: u32,
    /// Static bounds `[lo, hi]` of each logit over all inputs in range.
    pub logit_bounds: Vec<(i64, i64)>,
    /// Poseidon commitment to the weights (hex, 32 bytes LE), private-model mode only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<String>,
}

/// A decoded statement: what a proof claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub commitment: Option<Fr>,
    /// The request binding ([`crate::request::request_binding`]).
    pub request: Fr,
    pub input: Vec<i64>,
    /// The logits, or `[class]` in argmax mode.
    pub output: Vec<i64>,
}

/// Groups value widths greedily into field elements: `(value index, bit offset)` lists.
pub fn pack_plan(widths: &[u32]) -> Vec<Vec<(usize, u32)>> {
    let mut plan: Vec<Vec<(usize, u32)>> = Vec::new();
    let mut used = PACK_BITS; // forces a new element first
    for (i, w) in widths.iter().enumerate() {
        if used + w > PACK_BITS {
            plan.push(Vec::new());
            used = 0;
        }
        if let Some(last) = plan.last_mut() {
            last.push((i, used));
        }
        used += w;
    }
    plan
}

impl CircuitLayout {
    /// Rejects layouts that could not come from a setup (a layout may come from
    /// untrusted storage; this bounds every allocation made from it).
    pub fn validate(&self) -> Result<(), ZkError> {
        let bad = |m: &str| Err(ZkError::Statement(format!("invalid layout: {m}")));
        if self.n_inputs == 0 || self.n_inputs > MAX_WIDTH {
            return bad("input count");
        }
        if self.logit_bounds.is_empty() || self.logit_bounds.len() > MAX_WIDTH {
            return bad("output count");
        }
        if self.input_min > self.input_max {
            return bad("input range");
        }
        if self.input_frac_bits > MAX_INPUT_FRAC_BITS {
            return bad("input_frac_bits");
        }
        if self.logit_bounds.iter().any(|(lo, hi)| lo > hi) {
            return bad("logit bounds");
        }
        if (self.mode == Mode::Private) != self.commitment.is_some() {
            return bad("commitment presence does not match the mode");
        }
        Ok(())
    }

    pub fn n_logits(&self) -> usize {
        self.logit_bounds.len()
    }

    pub fn n_outputs(&self) -> usize {
        match self.output {
            OutputKind::Logits => self.n_logits(),
            OutputKind::Argmax => 1,
        }
    }

    /// The input's length, range and scale.
    pub fn input_spec(&self) -> InputSpec {
        InputSpec {
            n_inputs: self.n_inputs,
            frac_bits: self.input_frac_bits,
            min: self.input_min,
            max: self.input_max,
        }
    }

    /// Bits of one input value, offset by `input_min` (at least 1).
    pub fn input_bits(&self) -> u32 {
        bit_len((self.input_max as i128 - self.input_min as i128).max(1) as u128)
    }

    /// Declared range of each output value.
    pub fn output_ranges(&self) -> Vec<(i64, i64)> {
        match self.output {
            OutputKind::Logits => self.logit_bounds.clone(),
            OutputKind::Argmax => vec![(0, self.n_logits().saturating_sub(1) as i64)],
        }
    }

    /// Packing plan of the inputs (used by the circuit).
    pub fn input_plan(&self) -> Vec<Vec<(usize, u32)>> {
        pack_plan(&vec![self.input_bits(); self.n_inputs])
    }

    /// Packing plan of the outputs (used by the circuit).
    pub fn output_plan(&self) -> Vec<Vec<(usize, u32)>> {
        let widths: Vec<u32> = self
            .output_ranges()
            .iter()
            .map(|(lo, hi)| bit_len((*hi as i128 - *lo as i128).max(1) as u128))
            .collect();
        pack_plan(&widths)
    }

    fn n_input_elems(&self) -> usize {
        match self.encoding {
            IoEncoding::Plain => self.n_inputs,
            IoEncoding::Packed => self.input_plan().len(),
        }
    }

    fn n_output_elems(&self) -> usize {
        match self.encoding {
            IoEncoding::Plain => self.n_outputs(),
            IoEncoding::Packed => self.output_plan().len(),
        }
    }

    /// Total number of public inputs (field elements): `[commitment]`, request, input, output.
    pub fn n_public_inputs(&self) -> usize {
        usize::from(self.mode == Mode::Private) + 1 + self.n_input_elems() + self.n_output_elems()
    }

    /// Position of the request binding among the public inputs.
    pub fn request_index(&self) -> usize {
        usize::from(self.mode == Mode::Private)
    }

    /// The registered commitment, decoded.
    pub fn commitment_fr(&self) -> Result<Option<Fr>, ZkError> {
        match &self.commitment {
            None => Ok(None),
            Some(h) => {
                let b = hex::decode(h).map_err(|e| ZkError::malformed("commitment", e))?;
                crate::field::fr_from_bytes(&b).map(Some)
            }
        }
    }

    /// Encodes a statement as public inputs, rejecting out-of-range values.
    pub fn encode(&self, st: &Statement) -> Result<Vec<Fr>, ZkError> {
        self.validate()?;
        let mut out = Vec::with_capacity(self.n_public_inputs());
        match (self.mode, st.commitment) {
            (Mode::Private, Some(c)) => out.push(c),
            (Mode::Public, None) => {}
            _ => {
                return Err(ZkError::Statement(
                    "commitment presence does not match the mode".into(),
                ))
            }
        }
        out.push(st.request);
        if st.input.len() != self.n_inputs {
            return Err(ZkError::Statement(format!(
                "{} inputs, layout has {}",
                st.input.len(),
                self.n_inputs
            )));
        }
        let in_ranges = vec![(self.input_min, self.input_max); self.n_inputs];
        check_ranges("input", &st.input, &in_ranges)?;
        let out_ranges = self.output_ranges();
        if st.output.len() != out_ranges.len() {
            return Err(ZkError::Statement(format!(
                "{} outputs, layout has {}",
                st.output.len(),
                out_ranges.len()
            )));
        }
        check_ranges("output", &st.output, &out_ranges)?;
        match self.encoding {
            IoEncoding::Plain => {
                out.extend(st.input.iter().map(|v| fr_from_i128(*v as i128)));
                out.extend(st.output.iter().map(|v| fr_from_i128(*v as i128)));
            }
            IoEncoding::Packed => {
                out.extend(pack(&st.input, &in_ranges, &self.input_plan()));
                out.extend(pack(&st.output, &out_ranges, &self.output_plan()));
            }
        }
        Ok(out)
    }

    /// Decodes public inputs into a statement, rejecting anything non-canonical or out of range.
    pub fn decode(&self, inputs: &[Fr]) -> Result<Statement, ZkError> {
        self.validate()?;
        if inputs.len() != self.n_public_inputs() {
            return Err(ZkError::PublicInputCount {
                expected: self.n_public_inputs(),
                got: inputs.len(),
            });
        }
        let (commitment, rest) = match self.mode {
            Mode::Private => (Some(inputs[0]), &inputs[1..]),
            Mode::Public => (None, inputs),
        };
        let (request, rest) = match rest.split_first() {
            Some((r, rest)) => (*r, rest),
            None => return Err(ZkError::Statement("no request binding".into())),
        };
        let (ins, outs) = rest.split_at(self.n_input_elems());
        let in_ranges = vec![(self.input_min, self.input_max); self.n_inputs];
        let out_ranges = self.output_ranges();
        let (input, output) = match self.encoding {
            IoEncoding::Plain => (plain(ins)?, plain(outs)?),
            IoEncoding::Packed => (
                unpack(ins, &in_ranges, &self.input_plan())?,
                unpack(outs, &out_ranges, &self.output_plan())?,
            ),
        };
        check_ranges("input", &input, &in_ranges)?;
        check_ranges("output", &output, &out_ranges)?;
        Ok(Statement {
            commitment,
            request,
            input,
            output,
        })
    }
}

fn check_ranges(what: &str, vals: &[i64], ranges: &[(i64, i64)]) -> Result<(), ZkError> {
    for (i, (v, (lo, hi))) in vals.iter().zip(ranges).enumerate() {
        if v < lo || v > hi {
            return Err(ZkError::Statement(format!(
                "{what}[{i}] = {v} outside [{lo}, {hi}]"
            )));
        }
    }
    Ok(())
}

fn plain(fs: &[Fr]) -> Result<Vec<i64>, ZkError> {
    fs.iter()
        .map(|f| {
            fr_to_i64(f)
                .ok_or_else(|| ZkError::Statement("public input is not a small integer".into()))
        })
        .collect()
}

fn pack(vals: &[i64], ranges: &[(i64, i64)], plan: &[Vec<(usize, u32)>]) -> Vec<Fr> {
    plan.iter()
        .map(|elem| {
            let mut acc = Fr::from(0u64);
            for (i, off) in elem {
                let v = (vals[*i] as i128 - ranges[*i].0 as i128) as u128;
                acc += Fr::from(v) * Fr::from(2u64).pow([*off as u64]);
            }
            acc
        })
        .collect()
}

fn unpack(
    fs: &[Fr],
    ranges: &[(i64, i64)],
    plan: &[Vec<(usize, u32)>],
) -> Result<Vec<i64>, ZkError> {
    let mut out = vec![0i64; ranges.len()];
    for (f, elem) in fs.iter().zip(plan) {
        let bits = f.into_bigint().to_bits_le();
        let mut end = 0u32;
        for (i, off) in elem {
            let (lo, hi) = ranges[*i];
            let width = bit_len((hi as i128 - lo as i128).max(1) as u128);
            let mut v: u128 = 0;
            for b in 0..width {
                if bits.get((off + b) as usize).copied().unwrap_or(false) {
                    v |= 1 << b;
                }
            }
            out[*i] = i64::try_from(lo as i128 + v as i128)
                .map_err(|_| ZkError::Statement("packed value overflows".into()))?;
            end = off + width;
        }
        // Bits above the last value must be zero, or two encodings would exist.
        if bits.iter().skip(end as usize).any(|b| *b) {
            return Err(ZkError::Statement(
                "packed public input has stray high bits".into(),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(mode: Mode, output: OutputKind, encoding: IoEncoding) -> CircuitLayout {
        CircuitLayout {
            mode,
            output,
            encoding,
            n_inputs: 70,
            input_min: -3,
            input_max: 16,
            input_frac_bits: 2,
            logit_bounds: vec![(-1000, 1000), (0, 5), (-(1 << 40), 1 << 40)],
            commitment: (mode == Mode::Private)
                .then(|| hex::encode(crate::field::fr_to_bytes(&Fr::from(42u64)))),
        }
    }

    #[test]
    fn encode_decode_round_trip_all_variants() {
        for mode in [Mode::Public, Mode::Private] {
            for out in [OutputKind::Logits, OutputKind::Argmax] {
                for enc in [IoEncoding::Plain, IoEncoding::Packed] {
                    let l = layout(mode, out, enc);
                    let st = Statement {
                        commitment: (mode == Mode::Private).then(|| Fr::from(42u64)),
                        request: crate::request::request_binding(b"r"),
                        input: (0..70).map(|i| (i % 20) - 3).collect(),
                        output: match out {
                            OutputKind::Logits => vec![-1000, 5, -(1 << 40)],
                            OutputKind::Argmax => vec![2],
                        },
                    };
                    let fs = l.encode(&st).unwrap();
                    assert_eq!(fs.len(), l.n_public_inputs());
                    assert_eq!(l.decode(&fs).unwrap(), st);
                }
            }
        }
        // Request, 70 inputs of 5 bits -> 50 per element -> 2 elements, 1 output element.
        assert_eq!(
            layout(Mode::Public, OutputKind::Logits, IoEncoding::Packed).n_public_inputs(),
            1 + 2 + 1
        );
        let l = layout(Mode::Private, OutputKind::Logits, IoEncoding::Plain);
        assert_eq!(
            (l.n_public_inputs(), l.request_index()),
            (1 + 1 + 70 + 3, 1)
        );
    }

    #[test]
    fn absurd_layouts_are_rejected_before_allocating() {
        let mut l = layout(Mode::Public, OutputKind::Logits, IoEncoding::Packed);
        l.n_inputs = usize::MAX;
        assert!(l.decode(&[]).is_err());
        let mut l = layout(Mode::Public, OutputKind::Logits, IoEncoding::Plain);
        l.logit_bounds[0] = (5, 4);
        assert!(l.decode(&[]).is_err());
    }

    #[test]
    fn out_of_range_values_are_rejected() {
        let l = layout(Mode::Public, OutputKind::Logits, IoEncoding::Plain);
        let mut st = Statement {
            commitment: None,
            request: Fr::from(7u64),
            input: vec![0; 70],
            output: vec![0, 6, 0],
        };
        assert!(l.encode(&st).is_err());
        st.output[1] = 5;
        let mut fs = l.encode(&st).unwrap();
        fs[1] = Fr::from(17u64);
        assert!(l.decode(&fs).is_err());
        let lp = layout(Mode::Public, OutputKind::Logits, IoEncoding::Packed);
        let mut fs = lp.encode(&st).unwrap();
        fs[1] += Fr::from(2u64).pow([252u64]);
        assert!(lp.decode(&fs).is_err());
    }
}
