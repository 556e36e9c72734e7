//! Conversions between small signed integers and BN254 scalars, and the
//! canonical 32-byte encoding of a scalar used in public inputs and files.

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use crate::ZkError;

/// Bytes of one canonically encoded scalar (little-endian, < p).
pub const FR_BYTES: usize = 32;

/// Maps a signed integer into the field: negative values become p - |v|.
pub fn fr_from_i128(v: i128) -> Fr {
    let mag = Fr::from(v.unsigned_abs());
    if v < 0 {
        -mag
    } else {
        mag
    }
}

pub fn fr_from_i64(v: i64) -> Fr {
    fr_from_i128(v as i128)
}

/// Inverse of [`fr_from_i128`] for values in the i64 range; `None` otherwise.
/// Used by decoders, so out-of-range field elements are rejected, never wrapped.
pub fn fr_to_i64(f: &Fr) -> Option<i64> {
    let small = |x: &Fr| -> Option<u64> {
        let big = x.into_bigint();
        let limbs = big.as_ref();
        if limbs[1..].iter().all(|l| *l == 0) {
            Some(limbs[0])
        } else {
            None
        }
    };
    if let Some(u) = small(f) {
        return i64::try_from(u).ok();
    }
    let neg = -*f;
    match small(&neg) {
        Some(u) if u <= i64::MAX as u64 + 1 => Some((u as i128).wrapping_neg() as i64),
        _ => None,
    }
}

/// Canonical compressed encoding (32 bytes, little-endian).
pub fn fr_to_bytes(f: &Fr) -> [u8; FR_BYTES] {
    let mut out = [0u8; FR_BYTES];
    let le = f.into_bigint().to_bytes_le();
    out[..le.len().min(FR_BYTES)].copy_from_slice(&le[..le.len().min(FR_BYTES)]);
    out
}

/// Strict decoding: exactly 32 bytes and a value below the modulus.
pub fn fr_from_bytes(b: &[u8]) -> Result<Fr, ZkError> {
    if b.len() != FR_BYTES {
        return Err(ZkError::malformed(
            "field element",
            format!("{} bytes, want 32", b.len()),
        ));
    }
    Fr::deserialize_compressed(b).map_err(|e| ZkError::malformed("field element", e))
}

/// Decodes a concatenation of 32-byte scalars.
#[allow(clippy::manual_is_multiple_of)] // is_multiple_of needs Rust 1.87; MSRV is 1.80
pub fn frs_from_bytes(b: &[u8]) -> Result<Vec<Fr>, ZkError> {
    if b.len() % FR_BYTES != 0 {
        return Err(ZkError::malformed(
            "public inputs",
            "length is not a multiple of 32",
        ));
    }
    b.chunks(FR_BYTES).map(fr_from_bytes).collect()
}

pub fn frs_to_bytes(fs: &[Fr]) -> Vec<u8> {
    let mut out = Vec::with_capacity(fs.len() * FR_BYTES);
    for f in fs {
        let mut buf = Vec::with_capacity(FR_BYTES);
        // Serialization into a Vec cannot fail; fall back to the manual encoding regardless.
        if f.serialize_compressed(&mut buf).is_ok() && buf.len() == FR_BYTES {
            out.extend_from_slice(&buf);
        } else {
            out.extend_from_slice(&fr_to_bytes(f));
        }
    }
    out
}

/// Number of bits needed to write `v` (v >= 0); bits(0) = 0.
pub fn bit_len(v: u128) -> u32 {
    128 - v.leading_zeros()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_round_trip() {
        for v in [
            0i64,
            1,
            -1,
            127,
            -128,
            i64::MAX,
            i64::MIN,
            1 << 40,
            -(1 << 40),
        ] {
            assert_eq!(fr_to_i64(&fr_from_i64(v)), Some(v));
            let b = fr_to_bytes(&fr_from_i64(v));
            assert_eq!(fr_from_bytes(&b).unwrap(), fr_from_i64(v));
            assert_eq!(frs_to_bytes(&[fr_from_i64(v)]), b.to_vec());
        }
        assert_eq!(fr_to_i64(&fr_from_i128(1i128 << 70)), None);
    }

    #[test]
    fn non_canonical_bytes_are_rejected() {
        assert!(fr_from_bytes(&[0xff; 32]).is_err());
        assert!(fr_from_bytes(&[0; 31]).is_err());
    }
}
