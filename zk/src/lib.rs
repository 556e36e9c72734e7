//! Groth16 (BN254) proofs of quantized MLP inference.
//!
//! - Always built (the chain's verify-only build, `default-features = false`):
//!   [`model`] (quantized model + integer reference), [`layout`] (public
//!   statement encoding), [`verifier`], [`proof_file`].
//! - Feature `prover` (default): [`quant`] (float → fixed point, safetensors),
//!   [`circuit`] (R1CS), [`prover`] (setup, prove, key files).
//!
//! See docs/zk.md for the circuit design, the trust model and figures.

pub mod error;
pub mod field;
pub mod layout;
pub mod model;
pub mod proof_file;
pub mod verifier;

#[cfg(feature = "prover")]
pub mod circuit;
#[cfg(feature = "prover")]
pub mod prover;
#[cfg(feature = "prover")]
pub mod quant;

pub use error::ZkError;
pub use layout::{CircuitLayout, IoEncoding, Mode, OutputKind, Statement};
pub use model::{argmax, QuantLayer, QuantizedModel};
pub use proof_file::ProofFile;
pub use verifier::{verify, verify_statement};
