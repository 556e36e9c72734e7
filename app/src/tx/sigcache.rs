//! Remembers signatures already verified, so a tx verified in CheckTx (or in FinalizeBlock's
//! parallel pre-pass) is not verified again. The key covers the exact signed bytes, the key
//! and the signature, so a hit proves the same check passed before. It is only a cache:
//! a miss re-verifies, and nothing in consensus state depends on it.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use k256::ecdsa::signature::Verifier;
use k256::ecdsa::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

pub struct SigCache {
    inner: Mutex<(HashSet<[u8; 32]>, VecDeque<[u8; 32]>)>,
    capacity: usize,
}

fn cache_key(sign_bytes: &[u8], pub_key: &[u8], signature: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update((sign_bytes.len() as u64).to_be_bytes());
    h.update(sign_bytes);
    h.update(pub_key);
    h.update(signature);
    h.finalize().into()
}

/// Verifies a secp256k1 ECDSA signature (64 bytes r||s, low-S) over sha256(sign_bytes).
pub fn verify_secp256k1(sign_bytes: &[u8], pub_key: &[u8], signature: &[u8]) -> bool {
    let Ok(key) = VerifyingKey::from_sec1_bytes(pub_key) else {
        return false;
    };
    let Ok(sig) = Signature::from_slice(signature) else {
        return false;
    };
    // The SDK rejects high-S signatures to prevent malleability; k256 does the same in verify,
    // but be explicit.
    if sig.normalize_s().is_some() {
        return false;
    }
    key.verify(sign_bytes, &sig).is_ok()
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
        self.inner.lock().map(|g| g.0.contains(key)).unwrap_or(false)
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
