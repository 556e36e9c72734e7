//! Groth16 (BN254) proofs of quantized MLP inference.
//!
//! - Always built (the chain's verify-only build, `default-features = false`):
//!   [`model`] (quantized model + integer reference), [`canonical`] (its canonical
//!   byte encoding `deai.quantized_mlp.v1`), [`input`] (the one input
//!   quantization), [`request`] (the request binding), [`layout`] (public
//!   statement encoding), [`verifier`] ([`verify_for`]), [`proof_file`].
//! - Feature `prover` (default): [`quant`] (float → fixed point, safetensors),
//!   [`circuit`] (R1CS), [`prover`] (setup, prove, key files).
//!
//! See docs/zk.md for the circuit design, the trust model and figures.

pub mod canonical;
pub mod error;
pub mod field;
pub mod input;
pub mod layout;
pub mod model;
pub mod proof_file;
pub mod request;
pub mod verifier;

#[cfg(feature = "prover")]
pub mod circuit;
#[cfg(feature = "prover")]
pub mod prover;
#[cfg(feature = "prover")]
pub mod quant;
#[cfg(feature = "prover")]
#[doc(hidden)]
pub mod testing;

pub use canonical::{canonical_len, DecodeLimits, QUANTIZED_DOMAIN};
pub use error::ZkError;
pub use input::InputSpec;
pub use layout::{CircuitLayout, IoEncoding, Mode, OutputKind, Statement};
pub use model::{argmax, QuantLayer, QuantizedModel};
pub use proof_file::ProofFile;
pub use request::request_binding;
pub use verifier::{verify, verify_for, verify_statement};
