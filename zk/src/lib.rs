//! Groth16 proofs of quantized MLP inference (see issue 6).
