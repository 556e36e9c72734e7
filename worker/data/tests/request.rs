//! Signed download requests and the replay guard.

use deai_worker_data::{
    pubkey_address, verify, DownloadRequest, ReplayGuard, RequestError, SignedRequest,
};
use k256::ecdsa::SigningKey;

fn signer(b: u8) -> SigningKey {
    SigningKey::from_slice(&[b; 32]).expect("valid scalar")
}

fn req(height: u64) -> DownloadRequest {
    DownloadRequest {
        chain_id: "deai-1".into(),
        dataset_id: 7,
        grant_id: 11,
        height,
    }
}

#[test]
fn sign_bytes_layout() {
    let b = req(0x0102).sign_bytes();
    let mut want = b"deai/data/download/v1".to_vec();
    want.extend_from_slice(&[0, 0, 0, 6]);
    want.extend_from_slice(b"deai-1");
    want.extend_from_slice(&7u64.to_be_bytes());
    want.extend_from_slice(&11u64.to_be_bytes());
    want.extend_from_slice(&0x0102u64.to_be_bytes());
    assert_eq!(b, want);
}

#[test]
fn verify_ok_and_address_matches_auth() {
    let sk = signer(1);
    let s = req(100).sign(&sk).expect("sign");
    let addr = verify(&s, 3, 102).expect("verify");
    assert_eq!(
        addr.to_vec(),
        deai_auth::pubkey_address(&s.pubkey).as_bytes().to_vec()
    );
    assert_eq!(addr, pubkey_address(&s.pubkey));
    assert_eq!(s.verify(3, 97), Ok(addr));
}

#[test]
fn wrong_key_and_tampered_fields() {
    let s = req(100).sign(&signer(1)).expect("sign");
    let mut t = s.clone();
    t.pubkey = req(100).sign(&signer(2)).expect("sign").pubkey;
    assert_eq!(verify(&t, 3, 100), Err(RequestError::InvalidSignature));
    let mut t = s.clone();
    t.request.chain_id = "deai-2".into();
    assert_eq!(verify(&t, 3, 100), Err(RequestError::InvalidSignature));
    let mut t = s.clone();
    t.request.dataset_id = 8;
    assert_eq!(verify(&t, 3, 100), Err(RequestError::InvalidSignature));
    let mut t = s.clone();
    t.request.grant_id = 12;
    assert_eq!(verify(&t, 3, 100), Err(RequestError::InvalidSignature));
    let mut t = s.clone();
    t.request.height = 101;
    assert_eq!(verify(&t, 3, 100), Err(RequestError::InvalidSignature));
    let mut t = s.clone();
    t.signature[10] ^= 1;
    assert!(verify(&t, 3, 100).is_err());
    let mut t = s.clone();
    t.pubkey[0] = 9;
    assert_eq!(verify(&t, 3, 100), Err(RequestError::BadPubkey));
    let mut t = s.clone();
    t.signature = [0; 64];
    assert_eq!(verify(&t, 3, 100), Err(RequestError::BadSignature));
}

#[test]
fn high_s_rejected() {
    let s = req(100).sign(&signer(1)).expect("sign");
    let sig = k256::ecdsa::Signature::from_slice(&s.signature).expect("sig");
    let (r, sv) = sig.split_scalars();
    let high = k256::ecdsa::Signature::from_scalars(r, -*sv).expect("sig");
    let mut t = s.clone();
    t.signature.copy_from_slice(&high.to_bytes());
    assert_eq!(verify(&t, 3, 100), Err(RequestError::BadSignature));
}

#[test]
fn stale_height() {
    let s = req(100).sign(&signer(1)).expect("sign");
    assert!(matches!(
        verify(&s, 3, 104),
        Err(RequestError::StaleHeight { .. })
    ));
    assert!(matches!(
        verify(&s, 3, 96),
        Err(RequestError::StaleHeight { .. })
    ));
    assert!(verify(&s, 3, 103).is_ok());
    assert!(matches!(
        verify(&s, 0, u64::MAX),
        Err(RequestError::StaleHeight { .. })
    ));
}

#[test]
fn bad_chain_id() {
    let mut r = req(1);
    r.chain_id = String::new();
    assert_eq!(r.clone().sign(&signer(1)), Err(RequestError::BadChainId));
    r.chain_id = "x".repeat(129);
    assert_eq!(r.sign(&signer(1)), Err(RequestError::BadChainId));
}

#[test]
fn replay_guard() {
    let sk = signer(1);
    let mut g = ReplayGuard::new(2);
    let a = req(100).sign(&sk).expect("sign");
    let b = req(101).sign(&sk).expect("sign");
    let c = req(102).sign(&sk).expect("sign");
    assert!(g.verify(&a, 5, 100).is_ok());
    assert_eq!(g.verify(&a, 5, 100), Err(RequestError::Replay));
    assert!(g.verify(&b, 5, 100).is_ok());
    assert!(g.verify(&c, 5, 100).is_ok());
    assert_eq!(g.len(), 2);
    // `a` was evicted (oldest); `b` and `c` are still remembered.
    assert_eq!(g.verify(&b, 5, 100), Err(RequestError::Replay));
    assert_eq!(g.verify(&c, 5, 100), Err(RequestError::Replay));
    assert!(g.verify(&a, 5, 100).is_ok());
    // An invalid request is not recorded.
    let mut bad = req(100).sign(&sk).expect("sign");
    bad.request.grant_id = 99;
    assert!(g.verify(&bad, 5, 100).is_err());
    assert_eq!(g.len(), 2);
    assert!(ReplayGuard::new(0).check_and_insert(&[1; 64]).is_ok());
}

#[test]
fn header_round_trip_and_malformed() {
    let s = req(100).sign(&signer(1)).expect("sign");
    let h = s.to_header_value();
    assert_eq!(SignedRequest::from_header_value(&h), Ok(s.clone()));
    assert!(SignedRequest::from_header_value("zz").is_err());
    assert!(SignedRequest::from_header_value("").is_err());
    assert!(SignedRequest::from_header_value(&h[..h.len() - 2]).is_err());
    assert!(SignedRequest::from_header_value(&format!("{h}00")).is_err());
    assert_eq!(
        SignedRequest::from_header_value("00000000"),
        Err(RequestError::BadChainId)
    );
    assert_eq!(
        SignedRequest::from_header_value("ffffffff"),
        Err(RequestError::BadChainId)
    );
    assert!(SignedRequest::from_header_value(&"0".repeat(10_000)).is_err());
    for cut in 0..h.len() / 2 {
        assert!(SignedRequest::from_header_value(&h[..cut * 2]).is_err());
    }
}
