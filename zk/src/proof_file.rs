//! The proof file the worker writes and anyone can check:
//! `{"output": [...], "request": "<64 hex>", "public_inputs": ["<64 hex>", ...],
//! "proof": "<256 hex>"}`. `output` is the logits, or `[class]` in argmax mode, and
//! `request` the request binding; both are redundant with the public inputs and are
//! checked against them. A verifier checks a file with [`crate::verify_for`], which
//! also compares the input and the request with the ones it expects.

use ark_bn254::Fr;
use serde::{Deserialize, Serialize};

use crate::field::{fr_from_bytes, fr_to_bytes, frs_to_bytes};
use crate::layout::{CircuitLayout, Statement};
use crate::request::{request_from_hex, request_hex};
use crate::verifier::{self, MAX_PUBLIC_INPUTS, MAX_VK_BYTES};
use crate::ZkError;

/// Largest proof file accepted (hex of the maximum public inputs plus slack).
pub const MAX_PROOF_FILE_BYTES: usize = MAX_PUBLIC_INPUTS * 70 + MAX_VK_BYTES;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofFile {
    pub output: Vec<i64>,
    /// The request binding, hex of its 32-byte little-endian encoding.
    pub request: String,
    pub public_inputs: Vec<String>,
    pub proof: String,
}

impl ProofFile {
    pub fn new(output: Vec<i64>, request: &Fr, public_inputs: &[Fr], proof: &[u8]) -> Self {
        ProofFile {
            output,
            request: request_hex(request),
            public_inputs: public_inputs
                .iter()
                .map(|f| hex::encode(fr_to_bytes(f)))
                .collect(),
            proof: hex::encode(proof),
        }
    }

    pub fn to_json(&self) -> String {
        // A struct of strings and integers always serializes.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn from_json(s: &str) -> Result<Self, ZkError> {
        if s.len() > MAX_PROOF_FILE_BYTES {
            return Err(ZkError::TooLarge {
                what: "proof file",
                len: s.len(),
                limit: MAX_PROOF_FILE_BYTES,
            });
        }
        serde_json::from_str(s).map_err(|e| ZkError::malformed("proof file", e))
    }

    pub fn public_input_frs(&self) -> Result<Vec<Fr>, ZkError> {
        if self.public_inputs.len() > MAX_PUBLIC_INPUTS {
            return Err(ZkError::TooLarge {
                what: "public inputs",
                len: self.public_inputs.len(),
                limit: MAX_PUBLIC_INPUTS,
            });
        }
        self.public_inputs
            .iter()
            .map(|h| {
                let b = hex::decode(h).map_err(|e| ZkError::malformed("public input hex", e))?;
                fr_from_bytes(&b)
            })
            .collect()
    }

    pub fn public_input_bytes(&self) -> Result<Vec<u8>, ZkError> {
        Ok(frs_to_bytes(&self.public_input_frs()?))
    }

    pub fn proof_bytes(&self) -> Result<Vec<u8>, ZkError> {
        if self.proof.len() > 2 * verifier::PROOF_BYTES {
            return Err(ZkError::malformed("proof hex", "too long"));
        }
        hex::decode(&self.proof).map_err(|e| ZkError::malformed("proof hex", e))
    }

    /// The statement the file claims, decoded from its public inputs under the layout
    /// (range-checked), after checking that the `output` and `request` fields agree
    /// with it. This verifies nothing: use [`crate::verify_for`].
    pub fn claimed_statement(&self, layout: &CircuitLayout) -> Result<Statement, ZkError> {
        let statement = layout.decode(&self.public_input_frs()?)?;
        if statement.output != self.output {
            return Err(ZkError::Statement(
                "output differs from the one in the public inputs".into(),
            ));
        }
        if request_from_hex(&self.request)? != statement.request {
            return Err(ZkError::Statement(
                "request differs from the one in the public inputs".into(),
            ));
        }
        Ok(statement)
    }
}
