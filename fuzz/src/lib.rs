//! deai's fuzzer: a deterministic mutation harness on stable Rust (no coverage feedback), built
//! on `arbitrary`, over the inputs a hostile peer or client controls. See docs/fuzzing.md.

pub mod chain;
pub mod gen;
pub mod harness;
pub mod mutate;
pub mod rng;
pub mod targets;
