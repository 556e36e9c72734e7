//! The one error type of the crate. Every input-handling path returns it; none panics.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ZkError {
    /// Bytes that do not decode as the expected canonical object (key, proof, field element).
    #[error("malformed {what}: {reason}")]
    Malformed { what: &'static str, reason: String },
    /// An input larger than the verifier accepts (protects the chain from work amplification).
    #[error("{what} too large: {len} bytes, limit {limit}")]
    TooLarge {
        what: &'static str,
        len: usize,
        limit: usize,
    },
    /// Public inputs whose count does not match the verifying key.
    #[error("public input count {got} does not match the verifying key ({expected})")]
    PublicInputCount { expected: usize, got: usize },
    /// A model that cannot be quantized or compiled into the circuit.
    #[error("invalid model: {0}")]
    InvalidModel(String),
    /// An inference input of the wrong length or outside the declared range.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A statement (input, output, commitment) inconsistent with the layout or the proof file.
    #[error("statement mismatch: {0}")]
    Statement(String),
    /// A proof that is well formed but does not verify.
    #[error("proof does not verify")]
    InvalidProof,
    /// Setup or proving failed inside arkworks.
    #[error("synthesis failed: {0}")]
    Synthesis(String),
    /// Reading or writing key files.
    #[error("io: {0}")]
    Io(String),
}

impl ZkError {
    pub(crate) fn malformed(what: &'static str, reason: impl ToString) -> Self {
        ZkError::Malformed {
            what,
            reason: reason.to_string(),
        }
    }
}

impl From<std::io::Error> for ZkError {
    fn from(e: std::io::Error) -> Self {
        ZkError::Io(e.to_string())
    }
}
