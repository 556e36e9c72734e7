//! The data key wrapped to a grantee's secp256k1 account public key (ECIES).
//!
//! # Layout (version 1, [`WRAPPED_KEY_LEN`] = 106 bytes)
//!
//! ```text
//! version    1   0x01
//! ephemeral  33  the sender's ephemeral public key, SEC1 compressed
//! nonce      24  random XChaCha20 nonce
//! sealed     48  XChaCha20-Poly1305(kek, nonce, aad, data key (32)) ‖ tag (16)
//! ```
//!
//! `kek = HKDF-SHA256(ikm = ECDH x-coordinate, salt = ephemeral (33) ‖ recipient (33),
//! info = "deai/data/key-wrap/v1")`, 32 bytes; `aad = version ‖ ephemeral ‖ recipient`, both
//! public keys SEC1 compressed. Binding the recipient's key means a wrapped key opens only for
//! the key it was made for; a wrong recipient and a tampered wrap both fail authentication
//! ([`KeyWrapError::Unwrap`]).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use k256::ecdh::{diffie_hellman, EphemeralSecret};
use k256::elliptic_curve::sec1::ToEncodedPoint;
use k256::{PublicKey, SecretKey};
use rand_core::{OsRng, RngCore};
use sha2::Sha256;
use zeroize::Zeroizing;

pub const WRAP_VERSION: u8 = 1;
pub const KEY_WRAP_INFO: &[u8] = b"deai/data/key-wrap/v1";
pub const WRAPPED_KEY_LEN: usize = 1 + 33 + 24 + 32 + 16;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyWrapError {
    #[error("recipient public key is not a valid compressed secp256k1 key")]
    BadRecipientKey,
    #[error("wrapped key has length {0}, expected {WRAPPED_KEY_LEN}")]
    BadLength(usize),
    #[error("unsupported key-wrap version {0}")]
    UnsupportedVersion(u8),
    #[error("ephemeral public key is invalid")]
    BadEphemeralKey,
    #[error("wrapped key does not open with this key (wrong recipient or tampered)")]
    Unwrap,
    #[error("encryption failed")]
    Encrypt,
}

fn compressed(pk: &PublicKey) -> [u8; 33] {
    let mut out = [0u8; 33];
    out.copy_from_slice(pk.to_encoded_point(true).as_bytes());
    out
}

fn kek(shared_x: &[u8], ephemeral: &[u8; 33], recipient: &[u8; 33]) -> Zeroizing<[u8; 32]> {
    let mut salt = [0u8; 66];
    salt[..33].copy_from_slice(ephemeral);
    salt[33..].copy_from_slice(recipient);
    let mut out = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's 255 * 32 limit: expand cannot fail.
    let _ = Hkdf::<Sha256>::new(Some(&salt), shared_x).expand(KEY_WRAP_INFO, out.as_mut());
    out
}

fn aad(ephemeral: &[u8; 33], recipient: &[u8; 33]) -> [u8; 67] {
    let mut a = [0u8; 67];
    a[0] = WRAP_VERSION;
    a[1..34].copy_from_slice(ephemeral);
    a[34..].copy_from_slice(recipient);
    a
}

/// Wraps `data_key` to the holder of `recipient_pubkey_sec1_compressed` (33 bytes).
pub fn wrap_key(
    recipient_pubkey_sec1_compressed: &[u8],
    data_key: &[u8; 32],
) -> Result<Vec<u8>, KeyWrapError> {
    if recipient_pubkey_sec1_compressed.len() != 33 {
        return Err(KeyWrapError::BadRecipientKey);
    }
    let recipient = PublicKey::from_sec1_bytes(recipient_pubkey_sec1_compressed)
        .map_err(|_| KeyWrapError::BadRecipientKey)?;
    let recipient_c = compressed(&recipient);
    let eph = EphemeralSecret::random(&mut OsRng);
    let eph_c = compressed(&eph.public_key());
    let shared = eph.diffie_hellman(&recipient);
    let kek = kek(shared.raw_secret_bytes(), &eph_c, &recipient_c);
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut nonce);
    let sealed = XChaCha20Poly1305::new(kek.as_ref().into())
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: data_key,
                aad: &aad(&eph_c, &recipient_c),
            },
        )
        .map_err(|_| KeyWrapError::Encrypt)?;
    let mut out = Vec::with_capacity(WRAPPED_KEY_LEN);
    out.push(WRAP_VERSION);
    out.extend_from_slice(&eph_c);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens a key wrapped by [`wrap_key`] with the recipient's account secret key.
pub fn unwrap_key(secret: &SecretKey, wrapped: &[u8]) -> Result<[u8; 32], KeyWrapError> {
    if wrapped.len() != WRAPPED_KEY_LEN {
        return Err(KeyWrapError::BadLength(wrapped.len()));
    }
    if wrapped[0] != WRAP_VERSION {
        return Err(KeyWrapError::UnsupportedVersion(wrapped[0]));
    }
    let mut eph_c = [0u8; 33];
    eph_c.copy_from_slice(&wrapped[1..34]);
    let eph = PublicKey::from_sec1_bytes(&eph_c).map_err(|_| KeyWrapError::BadEphemeralKey)?;
    if compressed(&eph) != eph_c {
        return Err(KeyWrapError::BadEphemeralKey);
    }
    let recipient_c = compressed(&secret.public_key());
    let shared = diffie_hellman(secret.to_nonzero_scalar(), eph.as_affine());
    let kek = kek(shared.raw_secret_bytes(), &eph_c, &recipient_c);
    let mut nonce = [0u8; 24];
    nonce.copy_from_slice(&wrapped[34..58]);
    let nonce = XNonce::from(nonce);
    let plain = Zeroizing::new(
        XChaCha20Poly1305::new(kek.as_ref().into())
            .decrypt(
                &nonce,
                Payload {
                    msg: &wrapped[58..],
                    aad: &aad(&eph_c, &recipient_c),
                },
            )
            .map_err(|_| KeyWrapError::Unwrap)?,
    );
    let mut key = [0u8; 32];
    if plain.len() != 32 {
        return Err(KeyWrapError::Unwrap);
    }
    key.copy_from_slice(&plain);
    Ok(key)
}
