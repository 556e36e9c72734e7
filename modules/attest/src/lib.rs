//! attest: consensus attestation of off-chain ML results through ABCI 2.0 vote extensions.
//! See README.md and docs/attestation.md.

pub mod wire;
