//! Binding a proof to the request it answers.
//!
//! Every proof has one public input, the request binding, that the prover cannot
//! choose: the verifier computes it from what it knows about the request (on chain:
//! a canonical encoding of chain id and request id; in the worker CLI: the bytes of
//! `--request ID`) and compares. A proof made for one request therefore does not
//! verify for another, so it can be neither replayed nor front-run.

use ark_bn254::Fr;
use ark_ff::PrimeField;
use sha2::{Digest, Sha256};

use crate::field::{fr_from_bytes, fr_to_bytes};
use crate::ZkError;

/// Domain separation tag, hashed before the context.
pub const REQUEST_DOMAIN: &[u8] = b"deai.zk.request.v1";

/// Bytes of the digest kept: 31 bytes (248 bits) are below the BN254 scalar modulus,
/// so the map from digest prefix to field element is injective and canonical.
pub const REQUEST_BINDING_BYTES: usize = 31;

/// `sha256(REQUEST_DOMAIN ‖ context)`, first 31 bytes read as a little-endian integer.
pub fn request_binding(context: &[u8]) -> Fr {
    let digest = Sha256::new()
        .chain_update(REQUEST_DOMAIN)
        .chain_update(context)
        .finalize();
    Fr::from_le_bytes_mod_order(&digest[..REQUEST_BINDING_BYTES])
}

/// The 32-byte little-endian encoding of a binding, hex (as in public inputs).
pub fn request_hex(binding: &Fr) -> String {
    hex::encode(fr_to_bytes(binding))
}

/// Strict inverse of [`request_hex`].
pub fn request_from_hex(s: &str) -> Result<Fr, ZkError> {
    if s.len() != 64 {
        return Err(ZkError::malformed(
            "request binding",
            format!("{} hex digits, want 64", s.len()),
        ));
    }
    let b = hex::decode(s).map_err(|e| ZkError::malformed("request binding", e))?;
    fr_from_bytes(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::BigInteger;

    #[test]
    fn binding_is_the_digest_prefix_little_endian() {
        let b = request_binding(b"42");
        let digest = Sha256::digest(b"deai.zk.request.v142");
        let bytes = b.into_bigint().to_bytes_le();
        assert_eq!(&bytes[..31], &digest[..31]);
        assert_eq!(bytes[31], 0);
        assert_ne!(request_binding(b"42"), request_binding(b"43"));
        assert_ne!(request_binding(b""), request_binding(b"\0"));
        assert_eq!(request_from_hex(&request_hex(&b)).unwrap(), b);
        // A fixed vector, for other implementations (the chain's).
        assert_eq!(
            request_hex(&request_binding(b"req-1")),
            "5b6b4d1ee4b7b415d84f964dede8b11283b8c434b717bf4d7f341d71c7310500"
        );
        assert!(request_from_hex("00").is_err());
        assert!(request_from_hex(&"ff".repeat(32)).is_err());
    }
}
