//! ECIES key wrapping.

use deai_worker_data::{unwrap_key, wrap_key, KeyWrapError, WRAPPED_KEY_LEN};
use k256::elliptic_curve::sec1::ToEncodedPoint;
use k256::SecretKey;

fn key(b: u8) -> SecretKey {
    SecretKey::from_slice(&[b; 32]).expect("valid scalar")
}

fn pubkey(sk: &SecretKey) -> Vec<u8> {
    sk.public_key().to_encoded_point(true).as_bytes().to_vec()
}

#[test]
fn round_trip() {
    let sk = key(3);
    let data_key = [42u8; 32];
    let w = wrap_key(&pubkey(&sk), &data_key).expect("wrap");
    assert_eq!(w.len(), WRAPPED_KEY_LEN);
    assert!(w.len() <= 256);
    assert_eq!(unwrap_key(&sk, &w), Ok(data_key));
    // Fresh ephemeral key and nonce each time.
    assert_ne!(wrap_key(&pubkey(&sk), &data_key).expect("wrap"), w);
}

#[test]
fn wrong_recipient() {
    let w = wrap_key(&pubkey(&key(3)), &[1u8; 32]).expect("wrap");
    assert_eq!(unwrap_key(&key(4), &w), Err(KeyWrapError::Unwrap));
}

#[test]
fn tampering() {
    let sk = key(5);
    let w = wrap_key(&pubkey(&sk), &[9u8; 32]).expect("wrap");
    for i in 0..w.len() {
        let mut t = w.clone();
        t[i] ^= 0x01;
        let r = unwrap_key(&sk, &t);
        assert!(r.is_err(), "byte {i} flipped still opened");
        if i == 0 {
            assert_eq!(r, Err(KeyWrapError::UnsupportedVersion(0)));
        } else if i >= 34 {
            assert_eq!(r, Err(KeyWrapError::Unwrap));
        }
    }
    assert_eq!(
        unwrap_key(&sk, &w[..w.len() - 1]),
        Err(KeyWrapError::BadLength(w.len() - 1))
    );
    let mut long = w.clone();
    long.push(0);
    assert_eq!(
        unwrap_key(&sk, &long),
        Err(KeyWrapError::BadLength(w.len() + 1))
    );
    assert_eq!(unwrap_key(&sk, &[]), Err(KeyWrapError::BadLength(0)));
}

#[test]
fn bad_recipient_key() {
    let sk = key(6);
    let uncompressed = sk.public_key().to_encoded_point(false).as_bytes().to_vec();
    assert_eq!(
        wrap_key(&uncompressed, &[0; 32]),
        Err(KeyWrapError::BadRecipientKey)
    );
    // x = 5 is not on the curve (5³ + 7 = 132 is a non-residue mod p).
    let mut off_curve = [0u8; 33];
    off_curve[0] = 2;
    off_curve[32] = 5;
    assert!(k256::PublicKey::from_sec1_bytes(&off_curve).is_err());
    assert_eq!(
        wrap_key(&off_curve, &[0; 32]),
        Err(KeyWrapError::BadRecipientKey)
    );
    assert_eq!(wrap_key(&[], &[0; 32]), Err(KeyWrapError::BadRecipientKey));
    assert_eq!(
        wrap_key(&[9u8; 33], &[0; 32]),
        Err(KeyWrapError::BadRecipientKey)
    );
}
