//! Download requests signed by a grantee's account key, and a bounded replay guard.
//!
//! # Sign bytes
//!
//! ```text
//! "deai/data/download/v1" ‖ u32 BE len(chain_id) ‖ chain_id ‖ dataset_id u64 BE
//!   ‖ grant_id u64 BE ‖ height u64 BE
//! ```
//!
//! signed with secp256k1 ECDSA over sha256(sign bytes), 64-byte `r ‖ s` with low `s`
//! (high-`s` signatures are rejected, so a signature cannot be re-encoded to dodge the
//! [`ReplayGuard`]). The signer is the Cosmos address `ripemd160(sha256(compressed pubkey))`.
//!
//! # HTTP header
//!
//! One header, [`DOWNLOAD_HEADER`] (`x-deai-download`), lowercase hex of
//! `u32 BE len(chain_id) ‖ chain_id ‖ dataset_id u64 BE ‖ grant_id u64 BE ‖ height u64 BE
//!   ‖ pubkey (33) ‖ signature (64)`; see [`SignedRequest::to_header_value`].

use std::collections::{HashSet, VecDeque};

use k256::ecdsa::signature::{Signer, Verifier};
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

pub const DOWNLOAD_DOMAIN: &[u8] = b"deai/data/download/v1";
pub const DOWNLOAD_HEADER: &str = "x-deai-download";
/// The longest chain id a request may carry.
pub const MAX_CHAIN_ID_LEN: usize = 128;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RequestError {
    #[error("chain id is empty or longer than {MAX_CHAIN_ID_LEN} bytes")]
    BadChainId,
    #[error("request height {height} is more than {skew} blocks from {current}")]
    StaleHeight {
        height: u64,
        current: u64,
        skew: u64,
    },
    #[error("public key is not a valid compressed secp256k1 key")]
    BadPubkey,
    #[error("malformed signature")]
    BadSignature,
    #[error("signature does not verify")]
    InvalidSignature,
    #[error("signature seen before (replay)")]
    Replay,
    #[error("malformed header: {0}")]
    BadHeader(&'static str),
}

/// The SDK's secp256k1 address: ripemd160(sha256(compressed public key)), as
/// `deai_auth::pubkey_address` derives it.
pub fn pubkey_address(compressed: &[u8]) -> [u8; 20] {
    Ripemd160::digest(Sha256::digest(compressed)).into()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadRequest {
    pub chain_id: String,
    pub dataset_id: u64,
    pub grant_id: u64,
    pub height: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedRequest {
    pub request: DownloadRequest,
    pub pubkey: [u8; 33],
    pub signature: [u8; 64],
}

impl DownloadRequest {
    fn body(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.chain_id.len() as u32).to_be_bytes());
        out.extend_from_slice(self.chain_id.as_bytes());
        out.extend_from_slice(&self.dataset_id.to_be_bytes());
        out.extend_from_slice(&self.grant_id.to_be_bytes());
        out.extend_from_slice(&self.height.to_be_bytes());
    }

    /// The canonical bytes the grantee signs.
    pub fn sign_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(DOWNLOAD_DOMAIN.len() + 28 + self.chain_id.len());
        out.extend_from_slice(DOWNLOAD_DOMAIN);
        self.body(&mut out);
        out
    }

    fn check_chain_id(&self) -> Result<(), RequestError> {
        if self.chain_id.is_empty() || self.chain_id.len() > MAX_CHAIN_ID_LEN {
            return Err(RequestError::BadChainId);
        }
        Ok(())
    }

    /// Signs with the grantee's account key.
    pub fn sign(self, key: &SigningKey) -> Result<SignedRequest, RequestError> {
        self.check_chain_id()?;
        let sig: Signature = key.sign(&self.sign_bytes());
        let sig = sig.normalize_s().unwrap_or(sig);
        let mut pubkey = [0u8; 33];
        pubkey.copy_from_slice(&key.verifying_key().to_encoded_point(true).as_bytes()[..33]);
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&sig.to_bytes());
        Ok(SignedRequest {
            request: self,
            pubkey,
            signature,
        })
    }
}

impl SignedRequest {
    /// Checks the height window and the signature; returns the signer's 20-byte address.
    /// Does not consult a [`ReplayGuard`]: call [`ReplayGuard::check_and_insert`] after.
    pub fn verify(
        &self,
        max_height_skew: u64,
        current_height: u64,
    ) -> Result<[u8; 20], RequestError> {
        verify(self, max_height_skew, current_height)
    }

    pub fn to_header_value(&self) -> String {
        let mut raw = Vec::with_capacity(28 + self.request.chain_id.len() + 97);
        self.request.body(&mut raw);
        raw.extend_from_slice(&self.pubkey);
        raw.extend_from_slice(&self.signature);
        hex::encode(raw)
    }

    pub fn from_header_value(value: &str) -> Result<Self, RequestError> {
        if value.len() > 2 * (4 + MAX_CHAIN_ID_LEN + 24 + 97) {
            return Err(RequestError::BadHeader("too long"));
        }
        let raw = hex::decode(value.trim()).map_err(|_| RequestError::BadHeader("not hex"))?;
        let take = |at: usize, n: usize| {
            raw.get(at..at + n)
                .ok_or(RequestError::BadHeader("too short"))
        };
        let mut len4 = [0u8; 4];
        len4.copy_from_slice(take(0, 4)?);
        let len = u32::from_be_bytes(len4) as usize;
        if len == 0 || len > MAX_CHAIN_ID_LEN {
            return Err(RequestError::BadChainId);
        }
        let chain_id = String::from_utf8(take(4, len)?.to_vec())
            .map_err(|_| RequestError::BadHeader("chain id is not utf-8"))?;
        let u64_at = |at: usize| -> Result<u64, RequestError> {
            let mut b = [0u8; 8];
            b.copy_from_slice(take(at, 8)?);
            Ok(u64::from_be_bytes(b))
        };
        let at = 4 + len;
        let request = DownloadRequest {
            chain_id,
            dataset_id: u64_at(at)?,
            grant_id: u64_at(at + 8)?,
            height: u64_at(at + 16)?,
        };
        let mut pubkey = [0u8; 33];
        pubkey.copy_from_slice(take(at + 24, 33)?);
        let mut signature = [0u8; 64];
        signature.copy_from_slice(take(at + 57, 64)?);
        if raw.len() != at + 121 {
            return Err(RequestError::BadHeader("trailing bytes"));
        }
        Ok(SignedRequest {
            request,
            pubkey,
            signature,
        })
    }
}

/// Verifies a signed request against the verifier's view of the chain height.
pub fn verify(
    signed: &SignedRequest,
    max_height_skew: u64,
    current_height: u64,
) -> Result<[u8; 20], RequestError> {
    let req = &signed.request;
    req.check_chain_id()?;
    if req.height.abs_diff(current_height) > max_height_skew {
        return Err(RequestError::StaleHeight {
            height: req.height,
            current: current_height,
            skew: max_height_skew,
        });
    }
    let vk = VerifyingKey::from_sec1_bytes(&signed.pubkey).map_err(|_| RequestError::BadPubkey)?;
    let sig = Signature::from_slice(&signed.signature).map_err(|_| RequestError::BadSignature)?;
    if sig.normalize_s().is_some() {
        return Err(RequestError::BadSignature);
    }
    vk.verify(&req.sign_bytes(), &sig)
        .map_err(|_| RequestError::InvalidSignature)?;
    Ok(pubkey_address(&signed.pubkey))
}

/// Remembers the last `capacity` signatures accepted; a signature seen before is a replay.
/// Entries are evicted oldest first, so `capacity` should cover the requests one height
/// window can carry (older ones fail the height check anyway).
#[derive(Debug)]
pub struct ReplayGuard {
    capacity: usize,
    seen: HashSet<[u8; 64]>,
    order: VecDeque<[u8; 64]>,
}

impl ReplayGuard {
    /// A guard holding at most `capacity` signatures (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            seen: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Whether `signature` is recorded (without recording it).
    pub fn contains(&self, signature: &[u8; 64]) -> bool {
        self.seen.contains(signature)
    }

    /// Records `signature`; [`RequestError::Replay`] if it is already recorded.
    pub fn check_and_insert(&mut self, signature: &[u8; 64]) -> Result<(), RequestError> {
        if self.seen.contains(signature) {
            return Err(RequestError::Replay);
        }
        if self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        self.seen.insert(*signature);
        self.order.push_back(*signature);
        Ok(())
    }

    /// [`verify`], then the replay check: the address of a fresh, valid request.
    pub fn verify(
        &mut self,
        signed: &SignedRequest,
        max_height_skew: u64,
        current_height: u64,
    ) -> Result<[u8; 20], RequestError> {
        let addr = verify(signed, max_height_skew, current_height)?;
        self.check_and_insert(&signed.signature)?;
        Ok(addr)
    }
}
