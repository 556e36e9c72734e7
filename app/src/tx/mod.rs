//! The transaction pipeline: decode and stateless checks, the ante handler (signatures,
//! sequences, fees, gas), message execution on an overlay, and the signature cache.

pub mod amino_binary;
pub mod amino_json;
pub mod ante;
pub mod decode;
pub mod exec;
pub mod fee;
pub mod sigcache;
pub mod signmode;
pub mod strict;

pub use decode::{decode_tx, DecodedTx, MAX_TX_BYTES};
pub use exec::{ExecMode, TxOutcome};

#[cfg(test)]
mod test_chain;
#[cfg(test)]
mod tests_ante;
#[cfg(test)]
mod tests_signmode;
#[cfg(test)]
mod tests_strict;
